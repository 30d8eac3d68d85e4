package store

import (
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
)

// The group commit of the outbox's own writes (appends, advances, parks,
// requeues): calls that arrive while one transaction commits share the
// next one, so producers and the sinks' cursors share fsyncs instead of
// queueing for one each.
//
// Callers that wait for their commit before they write again (64
// producers that each append and wait, as order transactions do) would
// otherwise split into two cohorts that alternate: while the callers of
// one commit are being answered, the next commit starts with whoever
// else was queued, and the answered callers, back a few microseconds
// later, wait for the one after. Each commit would then carry about half
// of them. So after a commit of more than one call, the next leader
// gathers before it starts: it waits until the callers just answered are
// queued again, or for a quarter of the last commit's time (at most
// maxGather), whichever comes first. A lone caller (the last commit had
// one call) is never held back, and the caller that leads gets its answer
// with the first batch, without waiting for others' batches.

// commitGroup is the group commit of the outbox's own writes.
type commitGroup struct {
	mu      sync.Mutex
	queue   []*groupCall
	leading bool
	// want and full: while the leader gathers, full is closed when the
	// queue holds want calls.
	want int
	full chan struct{}
}

type groupCall struct {
	fn   func(*OutboxTx) error
	done chan error
}

const (
	// maxGroup bounds the calls one commit takes.
	maxGroup = 1024
	// maxGather bounds the leader's wait for the callers of the last
	// commit to queue again.
	maxGather = 2 * time.Millisecond
)

// commit runs fn in a write transaction and returns once it is durable,
// sharing the transaction with the calls that arrive meanwhile. fn must
// leave nothing behind but its writes to the transaction (set results
// afresh each run): when one fn of a group fails, each runs again alone,
// so only it fails.
func (v Outbox) commit(fn func(*OutboxTx) error) error {
	a := &groupCall{fn: fn, done: make(chan error, 1)}
	g := &v.db.outbox.group
	g.mu.Lock()
	g.queue = append(g.queue, a)
	if g.full != nil && len(g.queue) >= g.want {
		close(g.full)
		g.full = nil
	}
	if !g.leading {
		g.leading = true
		g.mu.Unlock()
		v.lead(0, 0)
	} else {
		g.mu.Unlock()
	}
	return <-a.done
}

// lead commits the queue a batch at a time. It first gathers (see above)
// when the last batch had answered more than one call: for up to gather,
// until the queue holds want calls. A queue that is still not empty after
// the batch is handed to a new goroutine, so no caller waits for others'
// batches.
func (v Outbox) lead(want int, gather time.Duration) {
	g := &v.db.outbox.group
	if gather > 0 {
		v.gather(want, gather)
	}
	g.mu.Lock()
	n := min(len(g.queue), maxGroup)
	if n == 0 { // the gathering waited for callers that did not come
		g.leading = false
		g.queue = nil
		g.mu.Unlock()
		return
	}
	batch := g.queue[:n:n]
	g.queue = g.queue[n:]
	g.mu.Unlock()

	start := time.Now()
	err := v.runGroup(batch)
	took := time.Since(start)
	for _, a := range batch {
		if err != nil && len(batch) > 1 {
			a.done <- v.runGroup([]*groupCall{a})
			continue
		}
		a.done <- err
	}

	g.mu.Lock()
	queued := len(g.queue)
	if queued == 0 && n == 1 {
		g.leading = false
		g.queue = nil
		g.mu.Unlock()
		return
	}
	g.mu.Unlock()
	if n == 1 {
		go v.lead(0, 0)
		return
	}
	go v.lead(min(queued+n, maxGroup), min(took/4, maxGather))
}

// gather waits, for up to d, until the queue holds want calls.
func (v Outbox) gather(want int, d time.Duration) {
	g := &v.db.outbox.group
	g.mu.Lock()
	if len(g.queue) >= want {
		g.mu.Unlock()
		return
	}
	full := make(chan struct{})
	g.want, g.full = want, full
	g.mu.Unlock()
	t := time.NewTimer(d)
	select {
	case <-full:
	case <-t.C:
	}
	t.Stop()
	g.mu.Lock()
	if g.full == full {
		g.full = nil
	}
	g.mu.Unlock()
}

// runGroup runs the calls' fns in one write transaction.
func (v Outbox) runGroup(calls []*groupCall) error {
	// Not under writeMu (the outbox stamps nothing), but read-only mode,
	// the full-disk check and the damage counts are update's.
	if err := v.db.readOnlyErr(); err != nil {
		return err
	}
	err := v.db.afterWrite(v.db.bolt.Update(v.db.noteGeneration(func(tx *bolt.Tx) error {
		x := v.db.newOutboxTx(tx, v.db.now())
		x.counts = &outboxCounts{sinks: map[string]*outboxSink{}}
		for _, a := range calls {
			if err := a.fn(x); err != nil {
				return err
			}
		}
		return x.flushCounts()
	})))
	v.db.noteErr(err)
	return err
}
