package upstream

import (
	"context"

	"github.com/stadsnat/accessd/cmd/accessd/internal/upstream/outbox"
	"github.com/stadsnat/accessd/store"
)

// Storage is the store's outbox (store.Outbox) as the delivery side sees
// it: an outbox.Storage and outbox.Appender. The store keeps its own
// persisted form of an entry; Storage converts at this edge. The store's
// calls do not block on anything but the file, so the contexts are not
// consulted.
type Storage struct{ v store.Outbox }

var (
	_ outbox.Storage  = (*Storage)(nil)
	_ outbox.Appender = (*Storage)(nil)
)

// NewStorage wraps the store's outbox.
func NewStorage(v store.Outbox) *Storage { return &Storage{v: v} }

func toStore(e outbox.Entry) store.OutboxEntry {
	return store.OutboxEntry{Seq: e.Seq, Sink: e.Sink, Key: e.Key, IdempotencyKey: e.IdempotencyKey, Kind: e.Kind,
		Payload: e.Payload, Created: e.Created, Attempts: e.Attempts}
}

func fromStore(e store.OutboxEntry) outbox.Entry {
	return outbox.Entry{Seq: e.Seq, Sink: e.Sink, Key: e.Key, IdempotencyKey: e.IdempotencyKey, Kind: e.Kind,
		Payload: e.Payload, Created: e.Created, Attempts: e.Attempts}
}

// Append implements outbox.Appender: the entries in a transaction of their
// own (group-committed with other appends).
func (s *Storage) Append(_ context.Context, entries ...outbox.Entry) error {
	es := make([]store.OutboxEntry, len(entries))
	for i, e := range entries {
		if err := e.Validate(); err != nil {
			return err
		}
		es[i] = toStore(e)
	}
	return s.v.Append(es...)
}

// Pending implements outbox.Storage.
func (s *Storage) Pending(_ context.Context, sink string, after uint64, limit int) ([]outbox.Entry, error) {
	es, err := s.v.Pending(sink, after, limit)
	if err != nil {
		return nil, err
	}
	out := make([]outbox.Entry, len(es))
	for i, e := range es {
		out[i] = fromStore(e)
	}
	return out, nil
}

// Cursor implements outbox.Storage.
func (s *Storage) Cursor(_ context.Context, sink string) (uint64, error) { return s.v.Cursor(sink) }

// Advance implements outbox.Storage.
func (s *Storage) Advance(_ context.Context, sink string, seq uint64) error {
	return s.v.Advance(sink, seq)
}

// Park implements outbox.Storage.
func (s *Storage) Park(_ context.Context, p outbox.Parked) error {
	if err := p.Validate(); err != nil {
		return err
	}
	return s.v.Park(store.OutboxParked{OutboxEntry: toStore(p.Entry), Error: p.Error, Parked: p.Parked})
}

// Parked implements outbox.Storage.
func (s *Storage) Parked(_ context.Context, sink string, after uint64, limit int) ([]outbox.Parked, error) {
	ps, err := s.v.Parked(sink, after, limit)
	if err != nil {
		return nil, err
	}
	out := make([]outbox.Parked, len(ps))
	for i, p := range ps {
		out[i] = outbox.Parked{Entry: fromStore(p.OutboxEntry), Error: p.Error, Parked: p.Parked}
	}
	return out, nil
}

// Requeue implements outbox.Storage.
func (s *Storage) Requeue(_ context.Context, sink string, seqs []uint64) (int, error) {
	return s.v.Requeue(sink, seqs)
}

// Compact implements outbox.Storage.
func (s *Storage) Compact(context.Context) (outbox.Compaction, error) {
	c, err := s.v.Compact()
	return outbox.Compaction{Dropped: c.Dropped, BytesBefore: c.BytesBefore, BytesAfter: c.BytesAfter}, err
}

// Stats implements outbox.Storage.
func (s *Storage) Stats(_ context.Context, sink string) (outbox.Stats, error) {
	st, err := s.v.Stats(sink)
	return outbox.Stats{Pending: st.Pending, Oldest: st.Oldest, Parked: st.Parked, Bytes: st.Bytes, Compacted: st.Compacted}, err
}

// Usage implements outbox.Storage.
func (s *Storage) Usage(context.Context) (outbox.Usage, error) {
	u, err := s.v.Usage()
	return outbox.Usage{Bytes: u.Bytes, Budget: u.Budget, OverBudget: u.OverBudget}, err
}
