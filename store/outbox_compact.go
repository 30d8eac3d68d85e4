package store

import (
	"bytes"
	"encoding/binary"
	"time"

	bolt "go.etcd.io/bbolt"
)

// OutboxCompaction says what one compaction dropped.
type OutboxCompaction struct {
	Dropped     map[string]int // by sink
	BytesBefore int64
	BytesAfter  int64
}

// OutboxStats describes one sink's part of the outbox.
type OutboxStats struct {
	Pending int
	Oldest  time.Time // Created of the oldest pending entry; zero when none
	Parked  int
	Bytes   int64 // pending and parked entries
	// Compacted counts, for ever, the pending entries compaction dropped.
	Compacted uint64
}

// OutboxUsage is the whole outbox against its budget.
type OutboxUsage struct {
	Bytes      int64
	Budget     int64 // 0: unbounded
	OverBudget bool  // at or over the budget: compaction found nothing more to drop
}

// Compact drops, when the outbox is at or over its budget, pending entries
// that a later pending entry of the same sink and key supersedes (the
// latest state wins), oldest first across every sink, until the outbox is
// under 90 % of the budget or nothing more can be dropped. Parked entries
// are never dropped. Appends compact the same way in their transaction.
func (v Outbox) Compact() (OutboxCompaction, error) {
	var c OutboxCompaction
	err := v.commit(func(x *OutboxTx) error {
		var err error
		c, err = x.compactIfDue()
		return err
	})
	if c.Dropped == nil {
		c.Dropped = map[string]int{}
	}
	return c, err
}

// compactIfDue compacts when the outbox is at or over its budget. The
// superseded entries wait in outbox_superseded/ in sequence order, so a
// compaction reads only what it drops, and an outbox of distinct keys
// over its budget costs nothing to look at.
func (x *OutboxTx) compactIfDue() (OutboxCompaction, error) {
	c := OutboxCompaction{BytesBefore: x.outboxBytes()}
	c.BytesAfter = c.BytesBefore
	budget := x.db.outboxSettings().budget
	if budget <= 0 || c.BytesBefore < budget {
		return c, nil
	}
	c.Dropped = map[string]int{}
	low := budget / 10 * 9
	sup := x.tx.Bucket(bucketOutboxSuperseded)
	for c.BytesAfter >= low {
		k, sealed := sup.Cursor().First()
		if k == nil {
			break
		}
		sink, err := open(bucketOutboxSuperseded, k, sealed)
		if err != nil {
			return c, err
		}
		name := string(sink)
		key, err := x.drop(name, binary.BigEndian.Uint64(k))
		if err != nil {
			return c, err
		}
		if key == "" { // a stale mark: the entry is gone
			if err := sup.Delete(bytes.Clone(k)); err != nil {
				return c, err
			}
			continue
		}
		if err := x.sink(name, func(s *outboxSink) { s.Compacted++ }); err != nil {
			return c, err
		}
		c.Dropped[name]++
		c.BytesAfter = x.outboxBytes()
	}
	return c, nil
}

// Stats describes sink's part of the outbox.
func (v Outbox) Stats(sink string) (OutboxStats, error) {
	var st OutboxStats
	err := v.db.view(func(tx *bolt.Tx) error {
		s, err := readOutboxSink(tx, sink)
		if err != nil {
			return err
		}
		st = OutboxStats{Pending: s.Pending, Parked: s.Parked, Bytes: s.Bytes, Compacted: s.Compacted}
		prefix := outboxSinkPrefix(sink)
		if k, val := tx.Bucket(bucketOutbox).Cursor().Seek(prefix); k != nil && hasPrefixLen(k, prefix, 8) {
			b, err := open(bucketOutbox, k, val)
			if err != nil {
				return err
			}
			st.Oldest = outboxCreated(b)
		}
		return nil
	})
	return st, err
}

// Usage is the whole outbox against its budget.
func (v Outbox) Usage() (OutboxUsage, error) {
	var u OutboxUsage
	err := v.db.view(func(tx *bolt.Tx) error {
		u.Bytes = int64(getUint(tx.Bucket(bucketMeta), keyOutboxBytes))
		return nil
	})
	u.Budget = v.db.outboxSettings().budget
	u.OverBudget = u.Budget > 0 && u.Bytes >= u.Budget
	return u, err
}

// Sinks lists the sinks the outbox has ever held entries for.
func (v Outbox) Sinks() ([]string, error) {
	var out []string
	err := v.db.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketOutboxSinks).ForEach(func(k, _ []byte) error {
			out = append(out, string(k))
			return nil
		})
	})
	return out, err
}
