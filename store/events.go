package store

import (
	"bytes"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/stadsnat/accessd/store/inventory"
)

// EventsOptions say what an answer of ON-API's events/ covers.
type EventsOptions struct {
	// Since is the If-Modified-Since of the request; zero: every event
	// kept.
	Since time.Time
	// Owner is the service provider asking: it sees every access's
	// events and its own orders' and subscriptions'.
	Owner string
	// Dates: an access's Sellable or Activatable date coming is an UPDATE
	// of it at local midnight of this calendar (its accessState and
	// services are computed from the date). nil: not.
	Dates *inventory.Calendar
}

// EventsAnswer is one answer of events/: the changes of the span, from one
// read transaction the caller must Close.
type EventsAnswer struct {
	tx *bolt.Tx
	db *DB // counts a damaged entry the answer meets
	// err is the first damaged change-log entry met: the answer fails
	// rather than leave the change out.
	err error
	// Cutoff, LastModified: see Snapshot. The answer covers the changes
	// after Since up to the cut-off (the current second is omitted).
	Cutoff, LastModified time.Time
	// Count is how many events Each gives.
	Count int
	opts  EventsOptions
	// from is the span's start, exclusive; start the first instant in it.
	from, start time.Time
}

// Events opens an answer of events/. It reads only the span: a range of
// the change log merged with a range of the dates index.
func (cv Changes) Events(opts EventsOptions) (*EventsAnswer, error) {
	tx, c, err := cv.db.beginAnswer()
	if err != nil {
		return nil, err
	}
	a := &EventsAnswer{tx: tx, db: cv.db, Cutoff: c, opts: opts, from: opts.Since.Truncate(time.Second)}
	a.start = a.from.Add(time.Second) // a later second than If-Modified-Since's
	if opts.Since.IsZero() {
		// Every event kept, and the dates that came since the log's
		// horizon or its retention, whichever is later.
		h := time.Unix(0, getInt(tx.Bucket(bucketMeta), keyChangeHorizon)).UTC()
		a.start = later(h, c.Add(-ChangeRetention))
		a.from = a.start.Add(-time.Nanosecond)
	}
	var newest time.Time
	err = a.Each(func(ch Change) error { a.Count++; newest = ch.Time; return nil })
	if err == nil && newest.IsZero() {
		newest = a.newestAny()
		err = a.err
	}
	if err != nil {
		tx.Rollback()
		return nil, err
	}
	a.LastModified = lastModified(newest, c)
	return a, nil
}

// newestAny is the newest change before the cut-off anyone can see, for
// the Last-Modified of an answer with no event.
func (a *EventsAnswer) newestAny() time.Time {
	c := a.tx.Bucket(bucketChangeLog).Cursor()
	k, v := c.Seek(changeKey(a.Cutoff, 0))
	if k == nil {
		k, v = c.Last()
	} else {
		k, v = c.Prev()
	}
	for ; k != nil; k, v = c.Prev() {
		ch, err := decodeChange(k, v)
		if err != nil {
			a.fail(err)
			return time.Time{}
		}
		if a.visible(ch) {
			return ch.Time
		}
		if a.opts.Since.IsZero() || !ch.Time.Truncate(time.Second).After(a.from) {
			break // older than the span: the client has seen it
		}
	}
	return time.Time{}
}

func (a *EventsAnswer) visible(ch Change) bool {
	return ch.Object == ObjectAccess || ch.Owner == a.opts.Owner
}

// fail records the first damaged entry the answer met, and counts it.
func (a *EventsAnswer) fail(err error) {
	if a.err == nil {
		a.err = err
		a.db.noteErr(err)
	}
}

// Each calls fn for every event of the answer, oldest first (an entry of
// the log and a date coming at the same instant: the log's first). A
// damaged entry of the log ends it with its DamageError.
func (a *EventsAnswer) Each(fn func(Change) error) error {
	logNext, dateNext := a.logged(), a.dated()
	lc, lok := logNext()
	dc, dok := dateNext()
	for lok || dok {
		var e Change
		if lok && (!dok || !dc.Time.Before(lc.Time)) {
			e = lc
			lc, lok = logNext()
		} else {
			e = dc
			dc, dok = dateNext()
		}
		if err := fn(e); err != nil {
			return err
		}
	}
	return a.err
}

// logged iterates over the visible entries of the change log in the span.
func (a *EventsAnswer) logged() func() (Change, bool) {
	c := a.tx.Bucket(bucketChangeLog).Cursor()
	end := changeKey(a.Cutoff, 0)
	k, v := c.Seek(changeKey(a.start, 0))
	return func() (Change, bool) {
		for ; k != nil && bytes.Compare(k, end) < 0; k, v = c.Next() {
			ch, err := decodeChange(k, v)
			if err != nil {
				a.fail(err)
				k = nil
				break
			}
			if a.visible(ch) {
				k, v = c.Next()
				return ch, true
			}
		}
		return Change{}, false
	}
}

// dated iterates over the dates that came in the span, as access UPDATEs
// at local midnight, oldest first (the index is in date order).
func (a *EventsAnswer) dated() func() (Change, bool) {
	none := func() (Change, bool) { return Change{}, false }
	if a.opts.Dates == nil {
		return none
	}
	cal := *a.opts.Dates
	first := cal.Today(a.from).AddDays(1)
	last := cal.Today(a.Cutoff.Add(-time.Nanosecond))
	if last.Before(first) {
		return none
	}
	c := a.tx.Bucket(bucketAccessDates).Cursor()
	end := dateKey(last.AddDays(1), "")
	k, _ := c.Seek(dateKey(first, ""))
	return func() (Change, bool) {
		for ; k != nil && bytes.Compare(k, end) < 0; k, _ = c.Next() {
			d, id, ok := parseDateKey(k)
			if ok {
				k, _ = c.Next()
				return Change{Time: cal.Midnight(d).UTC(), Kind: Update, Object: ObjectAccess, ID: id, AccessID: id}, true
			}
		}
		return Change{}, false
	}
}

// Close ends the answer's read transaction.
func (a *EventsAnswer) Close() error { return a.tx.Rollback() }
