// Package memstore is an in-memory outbox.Storage, for tests and
// benchmarks of the delivery side. It behaves as the contract in package
// outbox says, budget compaction included (storagetest checks it), but
// keeps nothing across restarts.
package memstore

import (
	"cmp"
	"context"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/stadsnat/accessd/cmd/accessd/internal/upstream/outbox"
)

// Options configure a Store.
type Options struct {
	// Budget is the outbox's byte budget (outbox.Entry.Size summed over
	// pending and parked entries); 0: unbounded.
	Budget int64
	// Now stamps appended entries without a Created time; nil: time.Now.
	Now func() time.Time
}

// Store is the in-memory outbox.
type Store struct {
	mu     sync.Mutex
	now    func() time.Time
	budget int64
	seq    uint64
	bytes  int64
	sinks  map[string]*queue
}

type slot struct {
	seq uint64
	e   *outbox.Entry // nil once released, parked or compacted
}

type queue struct {
	slots     []slot // ascending seq
	live      int
	cursor    uint64
	parked    map[uint64]outbox.Parked
	latest    map[string]uint64 // key ⇒ seq of the newest state appended (not requeued)
	keyLive   map[string]int    // key ⇒ live entries
	bytes     int64
	compacted uint64
}

// New makes an empty Store.
func New(o Options) *Store {
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Store{now: o.Now, budget: o.Budget, sinks: map[string]*queue{}}
}

var _ outbox.Storage = (*Store)(nil)
var _ outbox.Appender = (*Store)(nil)

func (s *Store) queue(sink string) *queue {
	q := s.sinks[sink]
	if q == nil {
		q = &queue{parked: map[uint64]outbox.Parked{}, latest: map[string]uint64{}, keyLive: map[string]int{}}
		s.sinks[sink] = q
	}
	return q
}

// Append adds entries, all or none, and compacts when they take the
// outbox to its budget.
func (s *Store) Append(_ context.Context, entries ...outbox.Entry) error {
	for _, e := range entries {
		if err := e.Validate(); err != nil {
			return err
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	for _, e := range entries {
		s.seq++
		e.Seq = s.seq
		if e.Created.IsZero() {
			e.Created = now
		}
		e.Payload = slices.Clone(e.Payload)
		s.push(s.queue(e.Sink), e, true)
	}
	if s.budget > 0 && s.bytes >= s.budget {
		s.compact()
	}
	return nil
}

// push queues e; a new state (not a requeued old one) becomes its key's
// latest.
func (s *Store) push(q *queue, e outbox.Entry, newState bool) {
	q.slots = append(q.slots, slot{seq: e.Seq, e: &e})
	q.live++
	if newState {
		q.latest[e.Key] = e.Seq
	}
	q.keyLive[e.Key]++
	q.bytes += e.Size()
	s.bytes += e.Size()
}

// drop takes a live slot out of the queue.
func (s *Store) drop(q *queue, i int) outbox.Entry {
	e := *q.slots[i].e
	q.slots[i].e = nil
	q.live--
	if q.keyLive[e.Key]--; q.keyLive[e.Key] <= 0 {
		delete(q.keyLive, e.Key)
	}
	q.bytes -= e.Size()
	s.bytes -= e.Size()
	return e
}

func (q *queue) find(seq uint64) (int, bool) {
	i := sort.Search(len(q.slots), func(i int) bool { return q.slots[i].seq >= seq })
	return i, i < len(q.slots) && q.slots[i].seq == seq
}

func copyEntry(e outbox.Entry) outbox.Entry {
	e.Payload = slices.Clone(e.Payload)
	return e
}

// Pending implements outbox.Storage.
func (s *Store) Pending(_ context.Context, sink string, after uint64, limit int) ([]outbox.Entry, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.sinks[sink]
	if q == nil || limit <= 0 {
		return nil, nil
	}
	i, _ := q.find(after + 1)
	var out []outbox.Entry
	for ; i < len(q.slots) && len(out) < limit; i++ {
		if e := q.slots[i].e; e != nil {
			out = append(out, copyEntry(*e))
		}
	}
	return out, nil
}

// Cursor implements outbox.Storage.
func (s *Store) Cursor(_ context.Context, sink string) (uint64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if q := s.sinks[sink]; q != nil {
		return q.cursor, nil
	}
	return 0, nil
}

// Advance implements outbox.Storage.
func (s *Store) Advance(_ context.Context, sink string, seq uint64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.queue(sink)
	if seq <= q.cursor {
		return nil
	}
	q.cursor = seq
	n, _ := q.find(seq + 1)
	for i := range n {
		if q.slots[i].e != nil {
			e := s.drop(q, i)
			if q.latest[e.Key] <= seq {
				delete(q.latest, e.Key)
			}
		}
	}
	q.slots = q.slots[n:]
	if cap(q.slots) > 2*len(q.slots)+64 {
		q.slots = slices.Clone(q.slots)
	}
	return nil
}

// Park implements outbox.Storage.
func (s *Store) Park(_ context.Context, p outbox.Parked) error {
	if err := p.Validate(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.queue(p.Sink)
	if i, ok := q.find(p.Seq); ok && q.slots[i].e != nil {
		s.drop(q, i)
	}
	if old, ok := q.parked[p.Seq]; ok {
		q.bytes -= old.Size()
		s.bytes -= old.Size()
	}
	p.Entry = copyEntry(p.Entry)
	q.parked[p.Seq] = p
	q.bytes += p.Size()
	s.bytes += p.Size()
	return nil
}

// Parked implements outbox.Storage.
func (s *Store) Parked(_ context.Context, sink string, after uint64, limit int) ([]outbox.Parked, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.sinks[sink]
	if q == nil {
		return nil, nil
	}
	seqs := q.parkedSeqs()
	var out []outbox.Parked
	for _, seq := range seqs {
		if seq > after && len(out) < limit {
			p := q.parked[seq]
			p.Entry = copyEntry(p.Entry)
			out = append(out, p)
		}
	}
	return out, nil
}

func (q *queue) parkedSeqs() []uint64 {
	seqs := make([]uint64, 0, len(q.parked))
	for seq := range q.parked {
		seqs = append(seqs, seq)
	}
	slices.Sort(seqs)
	return seqs
}

// Requeue implements outbox.Storage.
func (s *Store) Requeue(_ context.Context, sink string, seqs []uint64) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.sinks[sink]
	if q == nil {
		return 0, nil
	}
	if len(seqs) == 0 {
		seqs = q.parkedSeqs()
	} else {
		seqs = slices.Sorted(slices.Values(seqs))
	}
	n := 0
	for _, seq := range slices.Compact(seqs) {
		p, ok := q.parked[seq]
		if !ok {
			continue
		}
		delete(q.parked, seq)
		q.bytes -= p.Size()
		s.bytes -= p.Size()
		s.seq++
		e := p.Entry
		e.Seq = s.seq
		s.push(q, e, false)
		n++
	}
	if s.budget > 0 && s.bytes >= s.budget {
		s.compact()
	}
	return n, nil
}

// Compact implements outbox.Storage.
func (s *Store) Compact(context.Context) (outbox.Compaction, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.compact(), nil
}

type victim struct {
	seq  uint64
	sink string
}

// compact drops superseded pending entries, oldest first, down to 90 % of
// the budget.
func (s *Store) compact() outbox.Compaction {
	c := outbox.Compaction{Dropped: map[string]int{}, BytesBefore: s.bytes, BytesAfter: s.bytes}
	if s.budget <= 0 || s.bytes < s.budget {
		return c
	}
	var vs []victim
	for name, q := range s.sinks {
		if q.live == len(q.keyLive) {
			continue // one entry per key: nothing is superseded
		}
		for _, sl := range q.slots {
			if sl.e != nil && q.superseded(*sl.e) {
				vs = append(vs, victim{sl.seq, name})
			}
		}
	}
	slices.SortFunc(vs, func(a, b victim) int { return cmp.Compare(a.seq, b.seq) })
	low := s.budget / 10 * 9
	for _, v := range vs {
		if s.bytes < low {
			break
		}
		q := s.sinks[v.sink]
		i, _ := q.find(v.seq)
		s.drop(q, i)
		q.compacted++
		c.Dropped[v.sink]++
	}
	c.BytesAfter = s.bytes
	return c
}

// superseded: a later entry of e's key is still pending.
func (q *queue) superseded(e outbox.Entry) bool {
	latest, ok := q.latest[e.Key]
	if !ok || latest <= e.Seq {
		return false
	}
	i, found := q.find(latest)
	return found && q.slots[i].e != nil
}

// Stats implements outbox.Storage.
func (s *Store) Stats(_ context.Context, sink string) (outbox.Stats, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.sinks[sink]
	if q == nil {
		return outbox.Stats{}, nil
	}
	st := outbox.Stats{Pending: q.live, Parked: len(q.parked), Bytes: q.bytes, Compacted: q.compacted}
	for _, sl := range q.slots {
		if sl.e != nil {
			st.Oldest = sl.e.Created
			break
		}
	}
	return st, nil
}

// Usage implements outbox.Storage.
func (s *Store) Usage(context.Context) (outbox.Usage, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return outbox.Usage{Bytes: s.bytes, Budget: s.budget, OverBudget: s.budget > 0 && s.bytes >= s.budget}, nil
}
