package store

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"net/netip"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"
)

// History returns the closed intervals of ip in time order: all of
// them when at is zero, else those that contain at (from ≤ at ≤ to). The
// open interval of the active binding is not history: ask the live
// bindings for it. With limit > 0 it returns only the newest limit
// intervals and more reports that older ones were left out: an IP's
// history grows with every client that held it within the retention, and
// a client that keeps asking and releasing grows it without bound.
func (bv Bindings) History(ip netip.Addr, at time.Time, limit int) (ivs []BindingInterval, more bool, err error) {
	ip = ip.Unmap()
	if !ip.Is4() {
		return nil, false, fmt.Errorf("history: only IPv4 addresses have history")
	}
	err = bv.db.view(func(tx *bolt.Tx) error {
		a := ip.As4()
		prefix := a[:]
		// Keys are IP | from, read newest first: with a time, only
		// intervals that started by then can contain it, so the scan
		// starts at IP | at.
		start := append(bytes.Clone(prefix), bytes.Repeat([]byte{0xff}, intervalKeyLen)...)
		if !at.IsZero() {
			start = binary.BigEndian.AppendUint64(bytes.Clone(prefix), uint64(at.UnixNano())+1)
		}
		c := tx.Bucket(bucketBindingHistory).Cursor()
		k, v := c.Seek(start)
		if k == nil {
			k, v = c.Last()
		} else {
			k, v = c.Prev()
		}
		for ; k != nil && bytes.HasPrefix(k, prefix); k, v = c.Prev() {
			iv, err := openInterval(k, v)
			if err != nil {
				return err
			}
			if !at.IsZero() && iv.To.Before(at) {
				continue
			}
			if limit > 0 && len(ivs) == limit {
				more = true
				break
			}
			ivs = append(ivs, iv)
		}
		return nil
	})
	slices.Reverse(ivs)
	return ivs, more, err
}

// PurgeHistory forgets history intervals that ended before `before`
// and events that happened before it, and returns how many of each.
func (bv Bindings) PurgeHistory(before time.Time) (intervals, events int, err error) {
	err = bv.db.update(func(tx *bolt.Tx) error {
		h, to, acc := tx.Bucket(bucketBindingHistory), tx.Bucket(bucketHistoryTo), tx.Bucket(bucketHistoryAccess)
		limit := binary.BigEndian.AppendUint64(nil, uint64(before.UnixNano()))
		c := to.Cursor()
		for k, _ := c.First(); k != nil && bytes.Compare(k[:8], limit) < 0; k, _ = c.First() {
			if len(k) == 8+intervalKeyLen {
				if err := unindexHistoryAccess(acc, k[8:], h.Get(k[8:])); err != nil {
					return err
				}
				if err := h.Delete(k[8:]); err != nil {
					return err
				}
			}
			if err := c.Delete(); err != nil {
				return err
			}
			intervals++
		}
		ec := tx.Bucket(bucketBindingEvents).Cursor()
		for k, v := ec.First(); k != nil; k, v = ec.First() {
			var e BindingEvent
			if openJSON(bucketBindingEvents, k, v, &e) == nil && !e.Time.Before(before) {
				break
			}
			if err := ec.Delete(); err != nil {
				return err
			}
			events++
		}
		return nil
	})
	if err != nil {
		return 0, 0, fmt.Errorf("purge binding history: %w", err)
	}
	return intervals, events, nil
}

// Events returns up to limit events with a sequence after `after`,
// oldest first.
func (bv Bindings) Events(after uint64, limit int) ([]BindingEvent, error) {
	var out []BindingEvent
	err := bv.db.view(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketBindingEvents).Cursor()
		for k, v := c.Seek(binary.BigEndian.AppendUint64(nil, after+1)); k != nil && len(out) < limit; k, v = c.Next() {
			var e BindingEvent
			if err := openJSON(bucketBindingEvents, k, v, &e); err != nil {
				return err
			}
			out = append(out, e)
		}
		return nil
	})
	return out, err
}

// LastEvents returns the newest limit events, oldest first.
func (bv Bindings) LastEvents(limit int) ([]BindingEvent, error) {
	var out []BindingEvent
	err := bv.db.view(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketBindingEvents).Cursor()
		for k, v := c.Last(); k != nil && len(out) < limit; k, v = c.Prev() {
			var e BindingEvent
			if err := openJSON(bucketBindingEvents, k, v, &e); err != nil {
				return err
			}
			out = append(out, e)
		}
		return nil
	})
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, err
}
