package outbox

import (
	"context"
	"fmt"
	"time"
)

// Status is a sink's state, as `accessctl upstream` shows it. It holds no
// payloads and no secrets: LastError is the sink's error text, and a Sink
// must keep secrets out of its errors.
type Status struct {
	Sink string `json:"sink"`
	// Lag is how many entries wait; OldestAge how long the oldest has.
	Lag       int           `json:"lag"`
	Oldest    time.Time     `json:"oldest,omitzero"`
	OldestAge time.Duration `json:"oldestAge"`
	// LastSuccess is when the sink last accepted an entry.
	LastSuccess time.Time `json:"lastSuccess,omitzero"`
	// LastError is the last delivery error, of class LastErrorClass.
	LastError      string    `json:"lastError,omitempty"`
	LastErrorAt    time.Time `json:"lastErrorAt,omitzero"`
	LastErrorClass string    `json:"lastErrorClass,omitempty"`
	// Failing counts transient failures since the last success; RetryAt
	// is the next attempt's time while it fails.
	Failing int       `json:"failing,omitempty"`
	RetryAt time.Time `json:"retryAt,omitzero"`
	// Paused is set by Pause (PauseReason operator) or by an
	// authentication refusal (auth, with PauseError).
	Paused      bool   `json:"paused"`
	PauseReason string `json:"pauseReason,omitempty"`
	PauseError  string `json:"pauseError,omitempty"`
	Parked      int    `json:"parked"`
	Bytes       int64  `json:"bytes"`
	Compacted   uint64 `json:"compacted"`
	Delivered   uint64 `json:"delivered"` // since the start
	// Failures counts failed deliveries since the start, by class.
	Failures map[string]uint64 `json:"failures"`
}

// Status reads the sink's state. The storage's figures are missing when
// it fails; the error says why.
func (r *Runner) Status(ctx context.Context) (Status, error) {
	r.mu.Lock()
	s := Status{
		Sink: r.cfg.Sink, LastSuccess: r.lastSuccess,
		LastError: r.lastErr, LastErrorAt: r.lastErrAt,
		Failing: r.failing, RetryAt: r.retryAt,
		Paused: r.pauseReason != "", PauseReason: r.pauseReason, PauseError: r.pauseErr,
		Delivered: r.delivered,
		Failures:  map[string]uint64{},
	}
	if r.lastErr != "" {
		s.LastErrorClass = r.lastClass.String()
	}
	for c, n := range r.failures {
		s.Failures[Class(c).String()] = n
	}
	r.mu.Unlock()
	st, err := r.st.Stats(ctx, r.cfg.Sink)
	if err != nil {
		return s, fmt.Errorf("status of %s: %w", r.cfg.Sink, err)
	}
	s.Lag, s.Oldest, s.Parked, s.Bytes, s.Compacted = st.Pending, st.Oldest, st.Parked, st.Bytes, st.Compacted
	if !st.Oldest.IsZero() {
		s.OldestAge = max(time.Since(st.Oldest), 0)
	}
	return s, nil
}

// Pause stops delivery until Resume or Retry; an attempt under way is
// abandoned (its entry stays due: at least once).
func (r *Runner) Pause() {
	r.pause(PauseOperator, "")
	r.log.Info("upstream delivery paused by the operator")
}

func (r *Runner) pause(reason, msg string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.resumed == nil {
		r.resumed = make(chan struct{})
	}
	r.pauseReason, r.pauseErr = reason, msg
	if r.pageCancel != nil {
		r.pageCancel()
	}
}

// Resume ends a pause, whatever its reason.
func (r *Runner) Resume() {
	if r.resume() {
		r.log.Info("upstream delivery resumed")
	}
}

func (r *Runner) resume() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.resumed == nil {
		return false
	}
	close(r.resumed)
	r.resumed, r.pauseReason, r.pauseErr = nil, "", ""
	return true
}

// Retry requeues the parked entries named by seqs (all when none is
// named) at the tail of the queue, ends a pause, and ends a back-off wait
// so that delivery is tried now. It returns how many entries it requeued.
func (r *Runner) Retry(ctx context.Context, seqs ...uint64) (int, error) {
	n, err := r.st.Requeue(ctx, r.cfg.Sink, seqs)
	if err != nil {
		return 0, fmt.Errorf("retry %s: requeue parked entries: %w", r.cfg.Sink, err)
	}
	r.resume()
	r.mu.Lock()
	close(r.kick)
	r.kick = make(chan struct{})
	r.mu.Unlock()
	r.Notify()
	r.log.Info("upstream delivery retried by the operator", "requeued", n)
	return n, nil
}

// ListParked returns at most limit parked entries after seq after.
func (r *Runner) ListParked(ctx context.Context, after uint64, limit int) ([]Parked, error) {
	p, err := r.st.Parked(ctx, r.cfg.Sink, after, limit)
	if err != nil {
		return nil, fmt.Errorf("parked entries of %s: %w", r.cfg.Sink, err)
	}
	return p, nil
}

func (r *Runner) pausedChan() chan struct{} {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.resumed
}

func (r *Runner) kickChan() chan struct{} {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.kick
}
