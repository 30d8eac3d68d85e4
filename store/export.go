package store

import (
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Snapshot is a consistent view of the accesses for one export: a read
// transaction that the caller streams from and must Close.
type Snapshot struct {
	tx *bolt.Tx
	// LastModified is the Last-Modified of the whole collection: the newest
	// change, truncated to the second. Changes after the snapshot get later
	// stamps (see doc.go).
	LastModified time.Time
	// Count is how many records Each will give.
	Count int

	since time.Time // zero: a full export
}

// Accesses opens an export of the accesses. With a zero since it gives every
// live access in AccessId order; otherwise every access (tombstones
// included) changed after since, whose whole seconds are compared as HTTP
// dates are, oldest change first.
func (d *DB) Accesses(since time.Time) (*Snapshot, error) {
	d.writeMu.Lock()
	lm := d.lastStamp.Truncate(time.Second)
	if lm.After(d.watermark) {
		d.watermark = lm
	}
	tx, err := d.bolt.Begin(false)
	d.writeMu.Unlock()
	if err != nil {
		return nil, fmt.Errorf("begin export: %w", err)
	}
	s := &Snapshot{tx: tx, LastModified: lm, since: since.Truncate(time.Second)}
	if since.IsZero() {
		s.Count = int(getUint(tx.Bucket(bucketMeta), keyAccessCount))
		return s, nil
	}
	c := tx.Bucket(bucketAccessMtime).Cursor()
	for k, _ := c.Seek(s.seek()); k != nil; k, _ = c.Next() {
		s.Count++
	}
	return s, nil
}

// seek is the first change-feed key after since: a change at since+1s or
// later (floor(mtime) > since).
func (s *Snapshot) seek() []byte { return mtimeKey(s.since.Add(time.Second), 0) }

// Incremental reports whether the snapshot gives changes only.
func (s *Snapshot) Incremental() bool { return !s.since.IsZero() }

// Each calls fn for every record of the export. The record, and every
// string in it, is only valid during the call: its text aliases the
// store's memory map (no copy per record), so fn must copy what it keeps.
func (s *Snapshot) Each(fn func(*AccessRecord) error) error {
	acc := s.tx.Bucket(bucketAccesses)
	if s.since.IsZero() {
		c := acc.Cursor()
		var rec AccessRecord
		for k, v := c.First(); k != nil; k, v = c.Next() {
			if err := decodeRecordView(&rec, v); err != nil {
				return fmt.Errorf("access %q: %w", k, err)
			}
			if rec.Removed {
				continue
			}
			if err := fn(&rec); err != nil {
				return err
			}
		}
		return nil
	}
	c := s.tx.Bucket(bucketAccessMtime).Cursor()
	var rec AccessRecord
	for k, id := c.Seek(s.seek()); k != nil; k, id = c.Next() {
		v := acc.Get(id)
		if v == nil {
			continue
		}
		if err := decodeRecordView(&rec, v); err != nil {
			return fmt.Errorf("access %q: %w", id, err)
		}
		if err := fn(&rec); err != nil {
			return err
		}
	}
	return nil
}

// Close ends the snapshot's read transaction.
func (s *Snapshot) Close() error { return s.tx.Rollback() }
