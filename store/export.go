package store

import (
	"bytes"
	"encoding/binary"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/stadsnat/accessd/store/inventory"
)

// ExportOptions say what an export of the accesses answers.
type ExportOptions struct {
	// Since is the If-Modified-Since of the request; zero for a full
	// export.
	Since time.Time
	// Dates makes an access's Sellable and Activatable dates changes of
	// it when they come, at local midnight of Dates' zone: for answers
	// that are computed from the date (ON-API's accessState, services'
	// availability), not for those that carry the dates themselves (PI
	// V1, PI-API feasibility). nil: dates are not changes.
	Dates *inventory.Calendar
	// Also is a change of every access at that time; zero: none.
	Also time.Time
	// Catalogue makes the last change of the service catalogue (see
	// DB.NoteCatalogue) a change of every access, for the answers that
	// list services.
	Catalogue bool
	// OnlyPIV1 leaves out the accesses whose premises type PI V1 cannot
	// name (UNKNOWN): its five values are all it may send.
	OnlyPIV1 bool
	// Orders makes a change of an order or subscription on an access
	// (anyone's: another provider's claim changes what the caller may
	// order) a change of the access, from the change log; before the
	// log's horizon every access counts as changed.
	Orders bool
	// Follow makes the export cover every committed change, those of the
	// current second too: for in-process followers of the inventory (an
	// index kept beside the store), never for an HTTP answer, whose
	// Last-Modified must not reach its own second (see DB.beginAnswer).
	// A follower that reads again from LastModified must read that second
	// again (changes of it may come after the read): its changes are
	// given once more.
	Follow bool
	// Owner, when set, keeps only the accesses where this service
	// provider has (or, in an incremental export, had) a subscription,
	// and counts only its own subscription changes (ON-API's
	// subscriptions/).
	Owner string
}

// endOfTime is the cut-off of a Follow export: after every change.
var endOfTime = time.Unix(1<<40, 0).UTC()

// Snapshot is a consistent view of the accesses for one answer: a read
// transaction that the caller streams from and must Close.
type Snapshot struct {
	tx *bolt.Tx
	db *DB // counts a damaged record Each meets
	// Cutoff is the answer's cut-off (see DB.beginAnswer): it covers the
	// changes made before it.
	Cutoff time.Time
	// LastModified is the newest change the answer covers, in whole
	// seconds, and never later than one second before Cutoff.
	LastModified time.Time
	// Count is how many records Each will give.
	Count int

	opts  ExportOptions
	since time.Time // truncated to the second
	// all: an incremental export in which every access changed (Also).
	all bool
	// ownerSubs: the accesses where Owner's subscriptions changed in the
	// span (incremental exports with Owner).
	ownerSubs map[string]bool
	now       time.Time
}

// OrderTx reads orders and services in the snapshot's transaction, for
// answers that show them beside each access.
func (s *Snapshot) OrderTx() *OrderTx { return &OrderTx{tx: s.tx, now: s.now} }

// Accesses opens an export of the accesses: every live access in AccessId
// order (since zero), or every access, tombstones included, changed after
// since, whose whole seconds are compared as HTTP dates are, oldest change
// first.
func (inv Inventory) Accesses(since time.Time) (*Snapshot, error) {
	return inv.Export(ExportOptions{Since: since})
}

// Export opens an export of the accesses as opts says.
func (inv Inventory) Export(opts ExportOptions) (*Snapshot, error) {
	tx, c, err := inv.db.beginAnswer()
	if err != nil {
		return nil, err
	}
	// A panic here (a fault on a damaged file) must not leave the read
	// transaction open: the caller has no Snapshot to close, and the
	// store could never be closed.
	defer func() {
		if v := recover(); v != nil {
			tx.Rollback()
			panic(v)
		}
	}()
	if opts.Follow {
		c = endOfTime
	}
	if opts.Catalogue {
		opts.Also = later(opts.Also, catalogueStamp(tx))
	}
	s := &Snapshot{tx: tx, db: inv.db, Cutoff: c, opts: opts, since: opts.Since.Truncate(time.Second), now: inv.db.now()}
	s.LastModified = lastModified(s.newest(), c)
	if opts.Follow && s.LastModified.After(inv.db.now()) {
		s.LastModified = time.Time{} // no change yet: a follower reads from the start
	}
	if opts.Since.IsZero() && opts.Owner == "" {
		m := tx.Bucket(bucketMeta)
		s.Count = int(getUint(m, keyAccessCount))
		if opts.OnlyPIV1 {
			s.Count -= int(getUint(m, keyUnknownPremises))
		}
		return s, nil
	}
	s.all = !opts.Also.IsZero() && s.after(opts.Also)
	if (opts.Orders || opts.Owner != "") && s.since.Before(time.Unix(0, getInt(tx.Bucket(bucketMeta), keyChangeHorizon))) {
		s.all = true // the change log does not reach back so far
	}
	if opts.Owner != "" && !s.all {
		s.ownerSubs = map[string]bool{}
		err := s.eachLogged(func(c Change) bool {
			if c.Object == ObjectSubscription && c.Owner == opts.Owner {
				s.ownerSubs[c.AccessID] = true
			}
			return true
		})
		if err != nil {
			inv.db.noteErr(err)
			tx.Rollback()
			return nil, err
		}
	}
	if !s.all && !opts.OnlyPIV1 && opts.Dates == nil && !opts.Orders && opts.Owner == "" {
		s.Count = s.countChanged()
		return s, nil
	}
	err = s.Each(func(*AccessRecord) error { s.Count++; return nil })
	if err != nil {
		tx.Rollback()
		return nil, err
	}
	return s, nil
}

// after reports whether t is a change this incremental answer covers:
// its second is after Since's and it is before the cut-off.
func (s *Snapshot) after(t time.Time) bool {
	return t.Truncate(time.Second).After(s.since) && t.Before(s.Cutoff)
}

// newest is the newest change before the cut-off: of an access, a date
// that came, or Also; zero when there is none.
func (s *Snapshot) newest() time.Time {
	var t time.Time
	c := s.tx.Bucket(bucketAccessMtime).Cursor()
	k, _ := c.Seek(mtimeKey(s.Cutoff, 0))
	if k == nil {
		k, _ = c.Last()
	} else {
		k, _ = c.Prev()
	}
	if len(k) == 16 {
		t = mtimeOf(k)
	}
	if s.opts.Dates != nil {
		if d, ok := s.lastDateBefore(); ok {
			t = later(t, s.opts.Dates.Midnight(d))
		}
	}
	if s.opts.Also.Before(s.Cutoff) {
		t = later(t, s.opts.Also)
	}
	if s.opts.Orders || s.opts.Owner != "" {
		c := s.tx.Bucket(bucketChangeLog).Cursor()
		k, _ := c.Seek(changeKey(s.Cutoff, 0))
		if k == nil {
			k, _ = c.Last()
		} else {
			k, _ = c.Prev()
		}
		if len(k) == 16 {
			t = later(t, mtimeOf(k))
		}
	}
	return t
}

// lastDateBefore is the latest date in the dates index whose midnight is
// before the cut-off.
func (s *Snapshot) lastDateBefore() (inventory.Date, bool) {
	end := s.opts.Dates.Today(s.Cutoff.Add(-time.Nanosecond))
	c := s.tx.Bucket(bucketAccessDates).Cursor()
	k, _ := c.Seek(dateKey(end.AddDays(1), ""))
	if k == nil {
		k, _ = c.Last()
	} else {
		k, _ = c.Prev()
	}
	d, _, ok := parseDateKey(k)
	return d, ok
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

func mtimeOf(k []byte) time.Time { return time.Unix(0, int64(binary.BigEndian.Uint64(k))).UTC() }

// Incremental reports whether the snapshot gives changes only.
func (s *Snapshot) Incremental() bool { return !s.since.IsZero() }

// Each calls fn for every record of the export. The record, and every
// string in it, is only valid during the call: its text aliases the
// store's memory map (no copy per record), so fn must copy what it keeps.
func (s *Snapshot) Each(fn func(*AccessRecord) error) error {
	err := s.each(fn)
	s.db.noteErr(err)
	return err
}

func (s *Snapshot) each(fn func(*AccessRecord) error) error {
	if s.opts.Owner != "" {
		fn = s.ownedOnly(fn)
	}
	switch {
	case s.since.IsZero():
		return s.eachLive(fn)
	case s.all:
		return s.eachAll(fn)
	}
	if err := s.eachChanged(fn); err != nil {
		return err
	}
	if s.opts.Dates != nil {
		if err := s.eachDated(fn); err != nil {
			return err
		}
	}
	if s.opts.Orders || s.opts.Owner != "" {
		return s.eachOrdered(fn)
	}
	return nil
}

// skip reports whether the options leave a record out.
func (s *Snapshot) skip(rec *AccessRecord) bool {
	return s.opts.OnlyPIV1 && !rec.PremisesTypePIV1()
}

func (s *Snapshot) eachLive(fn func(*AccessRecord) error) error {
	c := s.tx.Bucket(bucketAccesses).Cursor()
	var rec AccessRecord
	for k, v := c.First(); k != nil; k, v = c.Next() {
		if err := openRecordView(&rec, k, v); err != nil {
			return err
		}
		if rec.Removed || s.skip(&rec) {
			continue
		}
		if err := fn(&rec); err != nil {
			return err
		}
	}
	return nil
}

// eachAll gives every live access and the tombstones changed since.
func (s *Snapshot) eachAll(fn func(*AccessRecord) error) error {
	c := s.tx.Bucket(bucketAccesses).Cursor()
	var rec AccessRecord
	for k, v := c.First(); k != nil; k, v = c.Next() {
		if err := openRecordView(&rec, k, v); err != nil {
			return err
		}
		if (rec.Removed && !rec.Modified.Truncate(time.Second).After(s.since)) || s.skip(&rec) {
			continue
		}
		if err := fn(&rec); err != nil {
			return err
		}
	}
	return nil
}

// countChanged counts what eachChanged gives without decoding records.
func (s *Snapshot) countChanged() int {
	n := 0
	c := s.tx.Bucket(bucketAccessMtime).Cursor()
	end := mtimeKey(s.Cutoff, 0)
	for k, _ := c.Seek(mtimeKey(s.since.Add(time.Second), 0)); k != nil && bytes.Compare(k, end) < 0; k, _ = c.Next() {
		n++
	}
	return n
}

// eachChanged gives the accesses whose latest change the answer covers,
// oldest first: a range of the mtime index.
func (s *Snapshot) eachChanged(fn func(*AccessRecord) error) error {
	acc := s.tx.Bucket(bucketAccesses)
	c := s.tx.Bucket(bucketAccessMtime).Cursor()
	end := mtimeKey(s.Cutoff, 0)
	var rec AccessRecord
	for k, sealedID := c.Seek(mtimeKey(s.since.Add(time.Second), 0)); k != nil && bytes.Compare(k, end) < 0; k, sealedID = c.Next() {
		id, err := open(bucketAccessMtime, k, sealedID)
		if err != nil {
			return err
		}
		v := acc.Get(id)
		if v == nil {
			continue
		}
		if err := openRecordView(&rec, id, v); err != nil {
			return err
		}
		if s.skip(&rec) {
			continue
		}
		if err := fn(&rec); err != nil {
			return err
		}
	}
	return nil
}

// eachDated gives the live accesses whose Sellable or Activatable date
// came in the answer's span and that eachChanged did not give, once each
// (at the later of their dates in the span).
func (s *Snapshot) eachDated(fn func(*AccessRecord) error) error {
	cal := *s.opts.Dates
	first := cal.Today(s.since).AddDays(1)
	last := cal.Today(s.Cutoff.Add(-time.Nanosecond))
	if last.Before(first) {
		return nil
	}
	acc := s.tx.Bucket(bucketAccesses)
	c := s.tx.Bucket(bucketAccessDates).Cursor()
	end := dateKey(last.AddDays(1), "")
	var rec AccessRecord
	for k, _ := c.Seek(dateKey(first, "")); k != nil && bytes.Compare(k, end) < 0; k, _ = c.Next() {
		d, id, ok := parseDateKey(k)
		if !ok {
			continue
		}
		v := acc.Get([]byte(id))
		if v == nil {
			continue
		}
		if err := openRecordView(&rec, []byte(id), v); err != nil {
			return err
		}
		if rec.Removed || s.skip(&rec) || s.after(rec.Modified) || !lastIn(&rec.Access, d, last) {
			continue
		}
		if err := fn(&rec); err != nil {
			return err
		}
	}
	return nil
}

// lastIn reports whether d is the latest of the access's dates on or
// before last (so that an access whose two dates both came is given once).
func lastIn(a *inventory.Access, d, last inventory.Date) bool {
	for _, x := range datesOf(a) {
		if d.Before(x) && !last.Before(x) {
			return false
		}
	}
	return true
}

// ownedOnly wraps fn to give only the accesses where the owner has a
// subscription, or (incremental) had one changed in the span.
func (s *Snapshot) ownedOnly(fn func(*AccessRecord) error) func(*AccessRecord) error {
	owned := s.tx.Bucket(bucketServiceOwner).Cursor()
	return func(rec *AccessRecord) error {
		p := keyStr(s.opts.Owner, rec.AccessID, "")
		if k, _ := owned.Seek(p); (k != nil && bytes.HasPrefix(k, p)) || s.ownerSubs[rec.AccessID] {
			return fn(rec)
		}
		return nil
	}
}

// eachLogged calls fn for the change-log entries of the span, oldest
// first, until fn returns false; a damaged entry ends it with its
// DamageError (an answer never leaves out a change it cannot read).
func (s *Snapshot) eachLogged(fn func(Change) bool) error {
	c := s.tx.Bucket(bucketChangeLog).Cursor()
	end := changeKey(s.Cutoff, 0)
	for k, v := c.Seek(changeKey(s.since.Add(time.Second), 0)); k != nil && bytes.Compare(k, end) < 0; k, v = c.Next() {
		ch, err := decodeChange(k, v)
		if err != nil {
			return err
		}
		if !fn(ch) {
			return nil
		}
	}
	return nil
}

// eachOrdered gives the accesses whose orders or subscriptions changed in
// the span (only the owner's own, with Owner) and that neither
// eachChanged nor eachDated gave, once each.
func (s *Snapshot) eachOrdered(fn func(*AccessRecord) error) error {
	acc := s.tx.Bucket(bucketAccesses)
	seen := map[string]bool{}
	var rec AccessRecord
	var err error
	lerr := s.eachLogged(func(c Change) bool {
		if c.Object == ObjectAccess || seen[c.AccessID] || (s.opts.Owner != "" && (c.Owner != s.opts.Owner || c.Object != ObjectSubscription)) {
			return true
		}
		seen[c.AccessID] = true
		v := acc.Get([]byte(c.AccessID))
		if v == nil {
			return true
		}
		if err = openRecordView(&rec, []byte(c.AccessID), v); err != nil {
			return false
		}
		if s.skip(&rec) || s.after(rec.Modified) || s.datedIn(&rec) {
			return true
		}
		err = fn(&rec)
		return err == nil
	})
	if err == nil {
		err = lerr
	}
	return err
}

// datedIn reports whether eachDated gives the record.
func (s *Snapshot) datedIn(rec *AccessRecord) bool {
	if s.opts.Dates == nil || rec.Removed {
		return false
	}
	first := s.opts.Dates.Today(s.since).AddDays(1)
	last := s.opts.Dates.Today(s.Cutoff.Add(-time.Nanosecond))
	for _, d := range datesOf(&rec.Access) {
		if !d.Before(first) && !last.Before(d) {
			return true
		}
	}
	return false
}

// Close ends the snapshot's read transaction.
func (s *Snapshot) Close() error { return s.tx.Rollback() }

// Generation is the inventory generation the snapshot reads (see
// Inventory.Generation): two snapshots of one generation hold the same
// accesses.
func (s *Snapshot) Generation() uint64 { return s.tx.Bucket(bucketAccesses).Sequence() }
