package clustersys

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/stadsnat/accessd/cmd/accessd/internal/cluster"
	"github.com/stadsnat/accessd/cmd/accessd/internal/cluster/wire"
	"github.com/stadsnat/accessd/store"
)

// factPage is how many outbox entries one publication call takes.
const factPage = 1000

// factSink is the NATS sink of the store's outbox: it publishes this
// box's facts (SinkFacts) into its stream in outbox order, the outbox
// sequence as the fact's seq, in pages (PublishFacts pipelines them).
//
// The outbox releases a fact (Advance) only once JetStream has surely
// written it to disk — hold after its publication (the sync interval):
// JetStream acknowledges a message before its files are synced, so after
// a SIGKILL or a power cut the stream may end before what was published.
// At start the sink resumes after min(cursor, LastPublished): what the
// outbox still holds and the stream lacks is published again, what the
// stream has is skipped by PublishFacts, and the hub skips by its marks
// anything it already applied.
type factSink struct {
	node *cluster.Node
	ob   store.Outbox
	role cluster.Role
	hold time.Duration
	log  *slog.Logger
	m    *metrics
	wake chan struct{}

	mu      sync.Mutex
	pos     uint64    // published up to (outbox seq)
	cursor  uint64    // released up to
	held    []pubMark // publications not released yet, in order
	lastErr string
	lastAt  time.Time
	resumed bool
	dropped uint64
}

type pubMark struct {
	seq uint64
	at  time.Time
}

func newFactSink(n *cluster.Node, ob store.Outbox, role cluster.Role, hold time.Duration, log *slog.Logger, m *metrics) *factSink {
	return &factSink{node: n, ob: ob, role: role, hold: hold, log: log, m: m, wake: make(chan struct{}, 1)}
}

// notify wakes the sink: the outbox has new facts.
func (f *factSink) notify() {
	select {
	case f.wake <- struct{}{}:
	default:
	}
}

// run publishes until ctx ends.
func (f *factSink) run(ctx context.Context) error {
	bo := cluster.Backoff{}
	for ctx.Err() == nil {
		if err := f.resume(ctx); err != nil {
			f.failed(err)
			bo.Wait(ctx)
			continue
		}
		n, err := f.step(ctx)
		f.release()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			f.failed(err)
			bo.Wait(ctx)
			continue
		}
		bo.Reset()
		if n == 0 {
			f.idle(ctx)
		}
	}
	return nil
}

// resume finds where to start, once.
func (f *factSink) resume(ctx context.Context) error {
	f.mu.Lock()
	done := f.resumed
	f.mu.Unlock()
	if done {
		return nil
	}
	cursor, err := f.ob.Cursor(SinkFacts)
	if err != nil {
		return fmt.Errorf("read the facts cursor: %w", err)
	}
	pos := cursor
	if f.role == cluster.Edge {
		last, err := f.node.LastPublished(ctx)
		if err != nil {
			return fmt.Errorf("read the newest fact of the stream: %w", err)
		}
		if last < cursor {
			f.log.Warn("the facts stream ends before what the outbox released: the facts in between are lost",
				"stream_last", last, "outbox_cursor", cursor)
		}
		pos = min(cursor, last)
	}
	f.mu.Lock()
	f.pos, f.cursor, f.resumed = pos, cursor, true
	f.mu.Unlock()
	f.log.Info("publishing facts", "after", pos, "released_up_to", cursor)
	return nil
}

// step publishes one page; it returns how many entries it had.
func (f *factSink) step(ctx context.Context) (int, error) {
	f.mu.Lock()
	after := f.pos
	f.mu.Unlock()
	es, err := f.ob.Pending(SinkFacts, after, factPage)
	if err != nil {
		return 0, fmt.Errorf("read the outbox: %w", err)
	}
	if len(es) == 0 {
		return 0, nil
	}
	msgs := make([]*wire.Message, 0, len(es))
	for i := range es {
		m, err := factMessage(&es[i])
		if err != nil {
			f.drop(es[i].Seq, err)
			continue
		}
		msgs = append(msgs, m)
	}
	for len(msgs) > 0 {
		stored, err := f.node.PublishFacts(ctx, msgs)
		if stored > 0 {
			f.published(msgs[stored-1].Seq)
			msgs = msgs[stored:]
		}
		if err == nil {
			break
		}
		// A fact the wire refuses would fail every retry: drop it.
		if _, eerr := wire.Encode(msgs[0]); eerr != nil {
			f.drop(msgs[0].Seq, eerr)
			msgs = msgs[1:]
			continue
		}
		return len(es), err
	}
	f.published(es[len(es)-1].Seq)
	return len(es), nil
}

// factMessage is the fact an outbox entry holds: its payload goes out as
// the JSON the hook wrote (and checked), not decoded and encoded again.
func factMessage(e *store.OutboxEntry) (*wire.Message, error) {
	if k := wire.Kind(e.Kind); !k.IsFact() {
		return nil, fmt.Errorf("kind %q is not a fact", e.Kind)
	}
	return &wire.Message{Seq: e.Seq, At: e.Created.UTC(), Payload: &wire.Encoded{K: wire.Kind(e.Kind), JSON: e.Payload}}, nil
}

func (f *factSink) published(seq uint64) {
	now := time.Now()
	f.mu.Lock()
	defer f.mu.Unlock()
	if seq <= f.pos {
		return
	}
	f.pos, f.lastAt, f.lastErr = seq, now, ""
	f.held = append(f.held, pubMark{seq: seq, at: now})
}

func (f *factSink) drop(seq uint64, err error) {
	f.mu.Lock()
	f.dropped++
	f.mu.Unlock()
	f.m.factsDropped.Inc()
	f.log.Error("an outbox entry is no fact the wire takes; skipped it", "seq", seq, "err", err)
}

// release advances the outbox over the publications older than hold.
func (f *factSink) release() {
	cut := time.Now().Add(-f.hold)
	f.mu.Lock()
	var seq uint64
	k := 0
	for k < len(f.held) && !f.held[k].at.After(cut) {
		seq = f.held[k].seq
		k++
	}
	f.mu.Unlock()
	if k == 0 {
		return
	}
	if err := f.ob.Advance(SinkFacts, seq); err != nil {
		f.failed(fmt.Errorf("release published facts: %w", err))
		return
	}
	f.mu.Lock()
	f.held = f.held[k:]
	f.cursor = max(f.cursor, seq)
	f.mu.Unlock()
}

func (f *factSink) failed(err error) {
	f.mu.Lock()
	first := f.lastErr == ""
	f.lastErr = err.Error()
	f.mu.Unlock()
	f.m.sinkErrors.Inc()
	if first && !errors.Is(err, cluster.ErrNotRunning) {
		f.log.Warn("cannot publish facts; they wait in the outbox", "err", err)
	}
}

// idle waits for new facts, or a second (to release held ones).
func (f *factSink) idle(ctx context.Context) {
	t := time.NewTimer(time.Second)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-f.wake:
	case <-t.C:
	}
}

// state is the sink's part of the status.
func (f *factSink) state() (pos, cursor uint64, held int, lastErr string, lastAt time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.pos, f.cursor, len(f.held), f.lastErr, f.lastAt
}
