package store

import (
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// stamp gives the modification time of a change being written: the
// clock's time, but never before the newest stamp given (it never goes
// back) nor before the cut-off of an answer already handed out (see
// beginAnswer), so that a change is never hidden behind a Last-Modified a
// client already has. Call it under writeMu (inside update).
func (d *DB) stamp() time.Time {
	t := d.now().UTC()
	if t.Before(d.cutoff) {
		t = d.cutoff
	}
	if t.Before(d.lastStamp) {
		t = d.lastStamp
	}
	return t
}

// commitStamp records t as the newest modification, in the transaction and
// in memory once it commits.
func (d *DB) commitStamp(meta *bolt.Bucket, t time.Time, tx *bolt.Tx) error {
	if !t.After(d.lastStamp) {
		return nil
	}
	if err := putInt(meta, keyLastStamp, t.UnixNano()); err != nil {
		return err
	}
	tx.OnCommit(func() { d.lastStamp = t })
	return nil
}

func (d *DB) loadStamps() error {
	return d.bolt.View(func(tx *bolt.Tx) error {
		m := tx.Bucket(bucketMeta)
		if ns := getInt(m, keyLastStamp); ns != 0 {
			d.lastStamp = time.Unix(0, ns).UTC()
		} else {
			d.lastStamp = time.Unix(0, getInt(m, keyCreated)).UTC()
		}
		return nil
	})
}

// beginAnswer opens the read transaction of an answer and gives its
// cut-off: the start of the current second. An answer covers the changes
// made before its cut-off, and its Last-Modified is at most one second
// before it — never later than the answer's Date (RFC 9110 §8.8.2.1) —
// while every later change is stamped at or after it (see stamp): a
// client that sends that Last-Modified back as If-Modified-Since gets
// every change it has not seen, as ON-API's events.md prescribes ("up to
// the previous second … the current second is omitted"). Taking writeMu
// means no write is half done with an earlier stamp.
func (d *DB) beginAnswer() (*bolt.Tx, time.Time, error) {
	d.writeMu.Lock()
	defer d.writeMu.Unlock()
	c := d.now().UTC().Truncate(time.Second)
	if c.Before(d.cutoff) {
		c = d.cutoff // the clock stepped back: answers never go back
	}
	d.cutoff = c
	tx, err := d.bolt.Begin(false)
	if err != nil {
		return nil, c, fmt.Errorf("begin answer: %w", err)
	}
	return tx, c, nil
}

// lastModified is the Last-Modified of an answer with cut-off c whose
// newest change is newest (zero: none before c): that change's second, or
// when there is none the second before c.
func lastModified(newest, c time.Time) time.Time {
	if newest.IsZero() || !newest.Before(c) {
		return c.Add(-time.Second)
	}
	return newest.Truncate(time.Second)
}
