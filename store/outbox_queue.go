package store

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"slices"

	bolt "go.etcd.io/bbolt"
)

// Append adds entries in a transaction of their own, for a producer with
// no local change to go with (a refusal to report upstream). It returns
// once the entries are durable. An invalid entry fails only its own call.
func (v Outbox) Append(entries ...OutboxEntry) error {
	for i := range entries {
		if err := entries[i].validate(); err != nil {
			return err
		}
	}
	return v.commit(func(x *OutboxTx) error { return x.Append(entries...) })
}

// Pending returns, in sequence order, at most limit entries of sink after
// sequence after.
func (v Outbox) Pending(sink string, after uint64, limit int) ([]OutboxEntry, error) {
	var out []OutboxEntry
	if limit <= 0 {
		return nil, nil
	}
	err := v.db.view(func(tx *bolt.Tx) error {
		prefix := outboxSinkPrefix(sink)
		c := tx.Bucket(bucketOutbox).Cursor()
		for k, val := c.Seek(outboxQueueKey(sink, after+1)); k != nil && hasPrefixLen(k, prefix, 8) && len(out) < limit; k, val = c.Next() {
			e, _, err := openOutboxEntry(bucketOutbox, k, sink, binary.BigEndian.Uint64(k[len(prefix):]), val)
			if err != nil {
				return err
			}
			out = append(out, e)
		}
		return nil
	})
	return out, err
}

// Cursor is the sequence of the last entry of sink delivered or parked (0:
// none yet).
func (v Outbox) Cursor(sink string) (uint64, error) {
	var c uint64
	err := v.db.view(func(tx *bolt.Tx) error {
		s, err := readOutboxSink(tx, sink)
		c = s.Cursor
		return err
	})
	return c, err
}

// Advance moves the cursor of sink to seq and releases the pending entries
// up to it; a seq at or below the cursor changes nothing.
func (v Outbox) Advance(sink string, seq uint64) error {
	return v.commit(func(x *OutboxTx) error {
		tx := x.tx
		s, err := x.readSink(sink)
		if err != nil {
			return err
		}
		if seq <= s.Cursor {
			return nil
		}
		prefix := outboxSinkPrefix(sink)
		var keys [][]byte
		c := tx.Bucket(bucketOutbox).Cursor()
		for k, _ := c.Seek(prefix); k != nil && hasPrefixLen(k, prefix, 8) && binary.BigEndian.Uint64(k[len(prefix):]) <= seq; k, _ = c.Next() {
			keys = append(keys, bytes.Clone(k))
		}
		for _, k := range keys {
			key, err := x.drop(sink, binary.BigEndian.Uint64(k[len(prefix):]))
			if err != nil {
				return err
			}
			lk := outboxKeyPrefix(sink, key)
			lk = lk[:len(lk)-1]
			l, err := get(tx, bucketOutboxLatest, lk)
			if err != nil {
				return err
			}
			if len(l) == 8 && binary.BigEndian.Uint64(l) <= seq {
				if err := tx.Bucket(bucketOutboxLatest).Delete(lk); err != nil {
					return err
				}
			}
		}
		return x.sink(sink, func(s *outboxSink) { s.Cursor = seq })
	})
}

// drop takes the pending entry of sink at seq out of the queue and its
// indexes and uncounts it; it returns the entry's key ("" when it was not
// pending).
func (x *OutboxTx) drop(sink string, seq uint64) (string, error) {
	qk := outboxQueueKey(sink, seq)
	val := x.tx.Bucket(bucketOutbox).Get(qk)
	if val == nil {
		return "", nil
	}
	b, err := open(bucketOutbox, qk, val)
	if err != nil {
		return "", err
	}
	key, size, err := outboxKeyAndSize(sink, seq, b)
	if err != nil {
		return "", damaged(ErrKindDecode, bucketOutbox, qk, err)
	}
	if err := x.tx.Bucket(bucketOutbox).Delete(qk); err != nil {
		return "", err
	}
	if err := x.tx.Bucket(bucketOutboxKey).Delete(binary.BigEndian.AppendUint64(outboxKeyPrefix(sink, key), seq)); err != nil {
		return "", err
	}
	if err := x.tx.Bucket(bucketOutboxSuperseded).Delete(u64(seq)); err != nil {
		return "", err
	}
	if err := x.sink(sink, func(s *outboxSink) { s.Pending--; s.Bytes -= size }); err != nil {
		return "", err
	}
	return key, x.addBytes(-size)
}

// Park moves p's entry from the queue of p.Sink to the parked list with
// its error; parking an entry already parked replaces its error, and an
// entry no longer queued is still recorded. Parking the latest state of a
// key leaves the key's older entries unsuperseded: compaction drops an
// entry only for a later one that is still pending.
func (v Outbox) Park(p OutboxParked) error {
	if err := p.validate(); err != nil {
		return err
	}
	return v.commit(func(x *OutboxTx) error {
		tx := x.tx
		if _, err := x.drop(p.Sink, p.Seq); err != nil {
			return err
		}
		if err := x.unsupersede(&p.OutboxEntry); err != nil {
			return err
		}
		pk := outboxQueueKey(p.Sink, p.Seq)
		pb := tx.Bucket(bucketOutboxParked)
		var delta int64
		again := false
		if old := pb.Get(pk); old != nil {
			op, err := openOutboxParked(pk, p.Sink, p.Seq, old)
			if err != nil {
				return err
			}
			delta -= op.Size()
			again = true
		}
		if err := pb.Put(pk, sealOwned(encodeOutboxParked(&p))); err != nil {
			return err
		}
		delta += p.Size()
		if err := x.sink(p.Sink, func(s *outboxSink) {
			s.Bytes += delta
			if !again {
				s.Parked++
			}
		}); err != nil {
			return err
		}
		return x.addBytes(delta)
	})
}

// unsupersede clears the superseded marks of e's key when e is its latest
// state.
func (x *OutboxTx) unsupersede(e *OutboxEntry) error {
	prefix := outboxKeyPrefix(e.Sink, e.Key)
	l, err := get(x.tx, bucketOutboxLatest, prefix[:len(prefix)-1])
	if err != nil {
		return err
	}
	if len(l) != 8 || binary.BigEndian.Uint64(l) != e.Seq {
		return nil
	}
	sup := x.tx.Bucket(bucketOutboxSuperseded)
	c := x.tx.Bucket(bucketOutboxKey).Cursor()
	for k, _ := c.Seek(prefix); k != nil && hasPrefixLen(k, prefix, 8); k, _ = c.Next() {
		if err := sup.Delete(k[len(prefix):]); err != nil {
			return err
		}
	}
	return nil
}

// Parked returns, in sequence order, at most limit parked entries of sink
// after sequence after.
func (v Outbox) Parked(sink string, after uint64, limit int) ([]OutboxParked, error) {
	var out []OutboxParked
	err := v.db.view(func(tx *bolt.Tx) error {
		prefix := outboxSinkPrefix(sink)
		c := tx.Bucket(bucketOutboxParked).Cursor()
		for k, val := c.Seek(outboxQueueKey(sink, after+1)); k != nil && hasPrefixLen(k, prefix, 8) && len(out) < limit; k, val = c.Next() {
			p, err := openOutboxParked(k, sink, binary.BigEndian.Uint64(k[len(prefix):]), val)
			if err != nil {
				return err
			}
			out = append(out, p)
		}
		return nil
	})
	return out, err
}

// Requeue appends the parked entries of sink named by seqs (all when seqs
// is empty) again at the tail of its queue, with new sequences and the
// same idempotency keys, and takes them off the parked list. A requeued
// entry is an old state: it supersedes nothing. It returns how many it
// requeued; unknown seqs are ignored.
func (v Outbox) Requeue(sink string, seqs []uint64) (int, error) {
	n := 0
	err := v.commit(func(x *OutboxTx) error {
		n = 0
		pb := x.tx.Bucket(bucketOutboxParked)
		prefix := outboxSinkPrefix(sink)
		want := seqs
		if len(want) == 0 {
			c := pb.Cursor()
			for k, _ := c.Seek(prefix); k != nil && hasPrefixLen(k, prefix, 8); k, _ = c.Next() {
				want = append(want, binary.BigEndian.Uint64(k[len(prefix):]))
			}
		}
		for _, seq := range slices.Compact(slices.Sorted(slices.Values(want))) {
			ok, err := x.requeue(sink, seq)
			if err != nil {
				return err
			}
			if ok {
				n++
			}
		}
		_, err := x.compactIfDue()
		return err
	})
	return n, err
}

func (x *OutboxTx) requeue(sink string, seq uint64) (bool, error) {
	pb := x.tx.Bucket(bucketOutboxParked)
	pk := outboxQueueKey(sink, seq)
	val := pb.Get(pk)
	if val == nil {
		return false, nil
	}
	p, err := openOutboxParked(pk, sink, seq, val)
	if err != nil {
		return false, err
	}
	if err := pb.Delete(pk); err != nil {
		return false, err
	}
	size := p.Size()
	if err := x.sink(sink, func(s *outboxSink) { s.Parked--; s.Bytes -= size }); err != nil {
		return false, err
	}
	e := p.OutboxEntry
	if e.Seq, err = x.tx.Bucket(bucketOutbox).NextSequence(); err != nil {
		return false, err
	}
	if err := x.push(&e, false); err != nil {
		return false, fmt.Errorf("requeue %s/%d: %w", sink, seq, err)
	}
	x.notifyAfterCommit(sink)
	return true, nil // the outbox's bytes are unchanged: the same entry, moved
}
