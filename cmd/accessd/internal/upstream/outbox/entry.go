package outbox

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Entry is one change addressed to one sink.
type Entry struct {
	// Seq is the entry's place in the outbox, given by the Storage when it
	// is appended: strictly increasing across all sinks.
	Seq uint64
	// Sink names the upstream system the entry is for ("atlas-portal",
	// "cubit", …).
	Sink string
	// Key names the thing the entry is about (an order id, a customer
	// number, a metering point id): the unit of ordering and of compaction.
	Key string
	// IdempotencyKey is the same for every delivery of the entry, and for a
	// requeued parked entry, so that repeats can be dropped.
	IdempotencyKey string
	// Kind says what Payload holds; the Sink interprets it.
	Kind    string
	Payload []byte
	// Created is when the change was made.
	Created time.Time
	// Attempts counts failed deliveries before the entry was parked; the
	// Runner keeps the count of a pending entry in memory.
	Attempts int
}

// Size is what the entry counts against the byte budget: its fields plus
// a fixed overhead for the record and its keys.
func (e Entry) Size() int64 {
	const overhead = 64
	return int64(overhead + len(e.Sink) + len(e.Key) + len(e.IdempotencyKey) + len(e.Kind) + len(e.Payload))
}

// Validate says what is missing from an entry about to be appended.
func (e Entry) Validate() error {
	switch {
	case e.Sink == "":
		return errors.New("outbox entry: sink is empty")
	case e.Key == "":
		return fmt.Errorf("outbox entry for %s: key is empty", e.Sink)
	case e.IdempotencyKey == "":
		return fmt.Errorf("outbox entry for %s key %s: idempotency key is empty", e.Sink, e.Key)
	case e.Kind == "":
		return fmt.Errorf("outbox entry for %s key %s: kind is empty", e.Sink, e.Key)
	}
	return nil
}

// Parked is an entry its sink refused for good, with the refusal.
type Parked struct {
	Entry
	Error  string
	Parked time.Time
}

// Stats describes one sink's part of the outbox.
type Stats struct {
	Pending int       // entries after the cursor
	Oldest  time.Time // Created of the oldest pending entry; zero when none
	Parked  int
	Bytes   int64 // pending and parked entries
	// Compacted counts, for ever, the pending entries that compaction
	// dropped because a later entry of the same key superseded them.
	Compacted uint64
}

// Usage is the whole outbox against its budget.
type Usage struct {
	Bytes  int64
	Budget int64 // 0: unbounded
	// OverBudget is set when the outbox is at or over its budget and
	// compaction found nothing more to drop.
	OverBudget bool
}

// Compaction says what one compaction dropped.
type Compaction struct {
	Dropped     map[string]int // by sink
	BytesBefore int64
	BytesAfter  int64
}

// Storage is the outbox as the store keeps it. Sequence numbers are
// assigned at append, strictly increasing. All methods are safe for
// concurrent use. storagetest.Run checks an implementation against this
// contract.
type Storage interface {
	// Pending returns, in sequence order, at most limit entries of sink
	// whose sequence is greater than after.
	Pending(ctx context.Context, sink string, after uint64, limit int) ([]Entry, error)
	// Cursor is the sequence of the last entry of sink delivered or parked
	// (0: none yet).
	Cursor(ctx context.Context, sink string) (uint64, error)
	// Advance moves the cursor of sink to seq and releases the entries up
	// to it. A seq at or below the cursor changes nothing.
	Advance(ctx context.Context, sink string, seq uint64) error
	// Park moves the entry p.Entry of sink p.Sink from the queue to the
	// parked list with its error. Parking an entry already parked replaces
	// its error; parking an entry no longer queued (delivered, compacted)
	// still records it.
	Park(ctx context.Context, p Parked) error
	// Parked returns, in sequence order, at most limit parked entries of
	// sink whose sequence is greater than after.
	Parked(ctx context.Context, sink string, after uint64, limit int) ([]Parked, error)
	// Requeue appends the parked entries of sink named by seqs (all of them
	// when seqs is empty) again at the tail of the queue, with new sequence
	// numbers and the same idempotency keys, and removes them from the
	// parked list. It returns how many it requeued; unknown seqs are
	// ignored. A requeued entry is an old state: in compaction it
	// supersedes nothing, and only an entry appended after it supersedes
	// it.
	Requeue(ctx context.Context, sink string, seqs []uint64) (int, error)
	// Compact drops, when the outbox is at or over its budget, pending
	// entries superseded by a later pending entry of the same sink and key,
	// oldest first, until the outbox is under 90 % of the budget or nothing
	// more can be dropped. An append that reaches the budget compacts the
	// same way in the same operation.
	Compact(ctx context.Context) (Compaction, error)
	// Stats describes sink's part of the outbox.
	Stats(ctx context.Context, sink string) (Stats, error)
	// Usage is the whole outbox against its budget.
	Usage(ctx context.Context) (Usage, error)
}

// Appender adds entries to the outbox. The store appends in the
// transaction of the change instead; this is for producers that have no
// local change to go with (e.g. a refusal to report upstream). Entries get
// their Seq, and Created when it is zero.
type Appender interface {
	Append(ctx context.Context, entries ...Entry) error
}

// Sink delivers one entry to an upstream system. It returns nil once the
// upstream has accepted the entry (or had it already: the idempotency
// key), and otherwise an error whose [Class] says what the Runner does:
// [Permanent] parks the entry, [AuthRefused] pauses the sink, anything else
// is retried with back-off. Deliver must give up when ctx is done.
type Sink interface {
	Deliver(ctx context.Context, e Entry) error
}

// SinkFunc adapts a function to Sink.
type SinkFunc func(ctx context.Context, e Entry) error

// Deliver calls f.
func (f SinkFunc) Deliver(ctx context.Context, e Entry) error { return f(ctx, e) }
