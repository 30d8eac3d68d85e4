package outbox

import (
	"context"
	"hash/fnv"
	"sync"
	"time"
)

// deliverPage hands the page's entries to the sink, in lanes by key. It
// returns when every entry is delivered or parked, or when the page is
// cancelled (pause, stop, a storage error while parking); the error is
// the storage's.
func (r *Runner) deliverPage(ctx context.Context, page []Entry) error {
	pctx, cancel := context.WithCancel(ctx)
	defer cancel()
	r.mu.Lock()
	r.pageCancel = cancel
	lanes := make([][]Entry, r.cfg.Concurrency)
	for _, e := range page {
		if r.done[e.Seq] {
			continue
		}
		i := laneOf(e.Key, len(lanes))
		lanes[i] = append(lanes[i], e)
	}
	r.mu.Unlock()
	defer func() {
		r.mu.Lock()
		r.pageCancel = nil
		r.mu.Unlock()
	}()

	var (
		wg      sync.WaitGroup
		errOnce sync.Once
		perr    error
	)
	for _, lane := range lanes {
		if len(lane) == 0 {
			continue
		}
		wg.Go(func() {
			for _, e := range lane {
				if err := r.deliverOne(pctx, e); err != nil {
					errOnce.Do(func() { perr = err })
					cancel()
					return
				}
				if pctx.Err() != nil {
					return
				}
			}
		})
	}
	wg.Wait()
	return perr
}

func laneOf(key string, n int) int {
	if n == 1 {
		return 0
	}
	h := fnv.New32a()
	h.Write([]byte(key))
	return int(h.Sum32() % uint32(n))
}

// deliverOne tries e until the sink takes it, it is parked, or ctx ends.
// It returns an error only when parking failed in the storage.
func (r *Runner) deliverOne(ctx context.Context, e Entry) error {
	for ctx.Err() == nil {
		actx, cancel := context.WithTimeout(ctx, r.cfg.AttemptTimeout)
		err := r.sink.Deliver(actx, e)
		cancel()
		if err == nil {
			r.succeeded(e)
			return nil
		}
		if ctx.Err() != nil {
			return nil // paused or stopping: the outcome is unknown, the entry stays due
		}
		switch ClassOf(err) {
		case ClassPermanent:
			return r.park(ctx, e, err)
		case ClassAuth:
			r.count(ClassAuth, err)
			r.log.Error("upstream refused the sink's credentials; delivery paused until resumed or retried",
				"err", err, "seq", e.Seq, "key", e.Key)
			r.pause(PauseAuth, err.Error())
			return nil
		}
		d := r.failed(e, err)
		if !r.wait(ctx, d) {
			return nil
		}
	}
	return nil
}

func (r *Runner) succeeded(e Entry) {
	now := time.Now()
	r.mu.Lock()
	r.done[e.Seq] = true
	r.delivered++
	r.lastSuccess = now
	failing, since := r.failing, r.failSince
	r.failing, r.failSince, r.retryAt = 0, time.Time{}, time.Time{}
	r.mu.Unlock()
	if failing > 0 {
		r.log.Info("upstream delivery recovered", "failed_attempts", failing,
			"failing_for", now.Sub(since).Round(time.Second), "seq", e.Seq, "key", e.Key)
	}
}

func (r *Runner) count(c Class, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failures[c]++
	r.lastErr, r.lastErrAt, r.lastClass = err.Error(), time.Now(), c
}

// failed records a transient failure of e and returns the wait before the
// next attempt. The first failure of an outage is a warning, the rest are
// debug: an outage of a day must not flood the journal.
func (r *Runner) failed(e Entry, err error) time.Duration {
	r.count(ClassTransient, err)
	now := time.Now()
	r.mu.Lock()
	r.attempts[e.Seq]++
	n := r.attempts[e.Seq]
	d := r.cfg.Backoff.Delay(n, r.cfg.Rand)
	r.failing++
	first := r.failing == 1
	if first {
		r.failSince = now
	}
	r.retryAt = now.Add(d)
	r.mu.Unlock()
	if first {
		r.log.Warn("upstream delivery failed; retrying with back-off, entries stay queued",
			"err", err, "seq", e.Seq, "key", e.Key, "retry_in", d.Round(time.Millisecond))
	} else {
		r.log.Debug("upstream delivery failed again", "err", err, "seq", e.Seq, "attempt", n, "retry_in", d.Round(time.Millisecond))
	}
	return d
}

func (r *Runner) park(ctx context.Context, e Entry, err error) error {
	r.count(ClassPermanent, err)
	r.mu.Lock()
	e.Attempts = r.attempts[e.Seq] + 1
	r.mu.Unlock()
	p := Parked{Entry: e, Error: err.Error(), Parked: time.Now()}
	if perr := r.st.Park(ctx, p); perr != nil {
		return perr
	}
	r.mu.Lock()
	r.done[e.Seq] = true
	r.mu.Unlock()
	r.log.Warn("upstream refused an entry for good; parked it, delivery goes on",
		"err", err, "seq", e.Seq, "key", e.Key, "kind", e.Kind)
	return nil
}
