package store

// The outbox's counts: each sink's record in outbox_sinks/ (cursor,
// pending, parked, bytes, compacted) and the whole outbox's bytes in
// meta/. Every entry appended, delivered or parked changes both. In the
// outbox's own group commit (runGroup) they are kept in the OutboxTx and
// written once, before the commit, instead of read, decoded, encoded and
// written again for every entry of the batch; in other transactions (an
// order's, an import's) they are written through.

// outboxCounts are the counts a transaction changed, not yet written.
type outboxCounts struct {
	sinks map[string]*outboxSink
	order []string // of the sinks, first change first
	bytes int64    // change of the outbox's bytes
}

// readSink reads the record of sink name as the transaction has it.
func (x *OutboxTx) readSink(name string) (outboxSink, error) {
	if x.counts != nil {
		if s, ok := x.counts.sinks[name]; ok {
			return *s, nil
		}
	}
	return readOutboxSink(x.tx, name)
}

// sink changes the record of sink name through f.
func (x *OutboxTx) sink(name string, f func(*outboxSink)) error {
	if x.counts == nil {
		s, err := readOutboxSink(x.tx, name)
		if err != nil {
			return err
		}
		f(&s)
		return x.putSink(name, &s)
	}
	s, ok := x.counts.sinks[name]
	if !ok {
		r, err := readOutboxSink(x.tx, name)
		if err != nil {
			return err
		}
		s = &r
		x.counts.sinks[name] = s
		x.counts.order = append(x.counts.order, name)
	}
	f(s)
	return nil
}

func (x *OutboxTx) putSink(name string, s *outboxSink) error {
	return x.tx.Bucket(bucketOutboxSinks).Put([]byte(name), sealOwned(encodeOutboxSink(s)))
}

// addBytes changes the outbox's byte count by delta.
func (x *OutboxTx) addBytes(delta int64) error {
	if x.counts != nil {
		x.counts.bytes += delta
		return nil
	}
	return addUint(x.tx.Bucket(bucketMeta), keyOutboxBytes, int(delta))
}

// outboxBytes is the outbox's byte count as the transaction has it.
func (x *OutboxTx) outboxBytes() int64 {
	n := int64(getUint(x.tx.Bucket(bucketMeta), keyOutboxBytes))
	if x.counts != nil {
		n += x.counts.bytes
	}
	return n
}

// flushCounts writes the counts the transaction kept.
func (x *OutboxTx) flushCounts() error {
	c := x.counts
	if c == nil {
		return nil
	}
	for _, name := range c.order {
		if err := x.putSink(name, c.sinks[name]); err != nil {
			return err
		}
	}
	if c.bytes != 0 {
		if err := addUint(x.tx.Bucket(bucketMeta), keyOutboxBytes, int(c.bytes)); err != nil {
			return err
		}
	}
	x.counts = &outboxCounts{sinks: map[string]*outboxSink{}}
	return nil
}
