package store

import (
	"time"

	bolt "go.etcd.io/bbolt"
)

// stamp gives the modification time of a change being written. Call it
// under writeMu (inside update). It never goes back, and it is at least one
// second after the newest Last-Modified handed out, so that "changed since
// Last-Modified" finds it (see doc.go).
func (d *DB) stamp() time.Time {
	t := d.now().UTC()
	if min := d.watermark.Add(time.Second); t.Before(min) {
		t = min
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
