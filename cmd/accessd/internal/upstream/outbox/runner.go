package outbox

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Config is one sink's delivery.
type Config struct {
	// Sink is the sink's name: Entry.Sink of its entries and the sink
	// label of its metrics.
	Sink string
	// PageSize is how many entries the Runner reads and holds at once;
	// default 256.
	PageSize int
	// Concurrency is how many entries of different keys are delivered at
	// once; default 1 (strict sequence order).
	Concurrency int
	// Backoff is the wait after transient failures.
	Backoff Backoff
	// AttemptTimeout bounds one Deliver call; default 30s.
	AttemptTimeout time.Duration
	// PollInterval is how often an idle Runner looks for entries that came
	// without a Notify; default 5s.
	PollInterval time.Duration
	// Rand returns numbers in [0, 1) for the back-off's jitter; nil:
	// math/rand/v2.
	Rand func() float64
}

func (c Config) withDefaults() Config {
	if c.PageSize <= 0 {
		c.PageSize = 256
	}
	if c.Concurrency <= 0 {
		c.Concurrency = 1
	}
	c.Backoff = c.Backoff.withDefaults()
	if c.AttemptTimeout <= 0 {
		c.AttemptTimeout = 30 * time.Second
	}
	if c.PollInterval <= 0 {
		c.PollInterval = 5 * time.Second
	}
	return c
}

// Pause reasons, as Status.PauseReason and the reason label of
// accessd_upstream_paused.
const (
	PauseOperator = "operator"
	PauseAuth     = "auth"
)

// Runner delivers one sink's entries. Its methods are safe for concurrent
// use; Run must be called once.
type Runner struct {
	cfg  Config
	st   Storage
	sink Sink
	log  *slog.Logger
	wake chan struct{}

	// advancing is the cursor move in flight (Run's goroutine only):
	// its outcome arrives on the channel; nil when none is.
	advancing   chan error
	advancingTo uint64

	mu          sync.Mutex
	cursor      uint64          // delivered or parked prefix, in memory
	durable     uint64          // the cursor the storage holds
	done        map[uint64]bool // delivered or parked, of the page at hand
	attempts    map[uint64]int  // failed attempts, of the page at hand
	pauseReason string          // "" when running
	pauseErr    string
	resumed     chan struct{} // closed by resume; nil while running
	kick        chan struct{} // closed by Retry to end back-off waits
	pageCancel  context.CancelFunc
	lastSuccess time.Time
	lastErr     string
	lastErrAt   time.Time
	lastClass   Class
	failing     int // consecutive transient failures
	failSince   time.Time
	retryAt     time.Time
	delivered   uint64
	failures    [3]uint64 // by Class
	compacted   uint64    // last Stats.Compacted seen
	checked     time.Time // when compaction was last looked at
}

// NewRunner makes the Runner of cfg.Sink and registers its metrics on reg
// (none when reg is nil).
func NewRunner(cfg Config, st Storage, sink Sink, log *slog.Logger, reg prometheus.Registerer) (*Runner, error) {
	if cfg.Sink == "" {
		return nil, errors.New("outbox runner: sink name is empty")
	}
	if st == nil || sink == nil || log == nil {
		return nil, fmt.Errorf("outbox runner %s: storage, sink and logger are required", cfg.Sink)
	}
	r := &Runner{
		cfg: cfg.withDefaults(), st: st, sink: sink,
		log:      log.With("sink", cfg.Sink),
		wake:     make(chan struct{}, 1),
		done:     map[uint64]bool{},
		attempts: map[uint64]int{},
		kick:     make(chan struct{}),
	}
	if reg != nil {
		wrapped := prometheus.WrapRegistererWith(prometheus.Labels{"sink": cfg.Sink}, reg)
		if err := wrapped.Register(newCollector(r)); err != nil {
			return nil, fmt.Errorf("outbox runner %s: register metrics: %w", cfg.Sink, err)
		}
	}
	return r, nil
}

// Notify tells the Runner that entries were appended; it never blocks.
func (r *Runner) Notify() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// Run delivers until ctx ends; it returns nil then. Storage errors are
// logged and retried with back-off.
func (r *Runner) Run(ctx context.Context) error {
	errs := 0
	for ctx.Err() == nil {
		if ch := r.pausedChan(); ch != nil {
			if err := r.settle(ctx); err != nil {
				r.log.Error("outbox storage failed; the cursor stays behind what was delivered", "err", err)
			}
			select {
			case <-ch:
			case <-ctx.Done():
			}
			continue
		}
		n, err := r.step(ctx)
		if err != nil && ctx.Err() == nil {
			errs++
			d := r.cfg.Backoff.Delay(errs, r.cfg.Rand)
			r.log.Error("outbox storage failed; delivery waits", "err", err, "retry_in", d.Round(time.Millisecond))
			r.wait(ctx, d)
			continue
		}
		errs = 0
		if n == 0 {
			r.idle(ctx)
		}
	}
	if err := r.settle(ctx); err != nil {
		r.log.Error("outbox storage failed at the stop; what was delivered since the last cursor move comes again after the restart", "err", err)
	}
	return nil
}

// step delivers one page; it returns how many entries the page had.
//
// The cursor moves in the background while the next page is delivered:
// one durable cursor move per page, at most one in flight, and a move
// that failed is made again before anything more is delivered, so that
// what a restart delivers again stays bounded by two pages. A page that
// ends in a stop, a pause or a storage error moves the cursor before step
// returns (a stop keeps what was done).
func (r *Runner) step(ctx context.Context) (int, error) {
	if err := r.loadCursor(ctx); err != nil {
		return 0, err
	}
	if r.advancing == nil {
		if err := r.settle(ctx); err != nil {
			return 0, err
		}
	}
	r.noticeCompaction(ctx)
	page, err := r.st.Pending(ctx, r.cfg.Sink, r.currentCursor(), r.cfg.PageSize)
	if err != nil {
		return 0, fmt.Errorf("read the queue: %w", err)
	}
	if len(page) == 0 {
		return 0, r.settle(ctx)
	}
	perr := r.deliverPage(ctx, page)
	r.markDone(page)
	if err := r.awaitAdvance(); err != nil {
		return len(page), err
	}
	if perr != nil || ctx.Err() != nil || r.pausedChan() != nil {
		return len(page), errors.Join(perr, r.settle(ctx))
	}
	r.startAdvance(ctx)
	return len(page), nil
}

func (r *Runner) idle(ctx context.Context) {
	t := time.NewTimer(r.cfg.PollInterval)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-r.wake:
	case <-t.C:
	case <-r.kickChan():
	}
}

// wait sleeps d, or until ctx ends (false) or Retry kicks (true).
func (r *Runner) wait(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.kickChan():
		return true
	case <-ctx.Done():
		return false
	}
}

func (r *Runner) loadCursor(ctx context.Context) error {
	r.mu.Lock()
	have := r.cursor != 0
	r.mu.Unlock()
	if have {
		return nil
	}
	c, err := r.st.Cursor(ctx, r.cfg.Sink)
	if err != nil {
		return fmt.Errorf("read the cursor: %w", err)
	}
	r.mu.Lock()
	r.cursor = max(r.cursor, c)
	r.durable = max(r.durable, c)
	r.mu.Unlock()
	return nil
}

func (r *Runner) currentCursor() uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.cursor
}

// markDone moves the cursor in memory over the page's delivered and parked
// prefix.
func (r *Runner) markDone(page []Entry) {
	r.mu.Lock()
	defer r.mu.Unlock()
	last := r.cursor
	for _, e := range page {
		if !r.done[e.Seq] {
			break
		}
		last = e.Seq
	}
	if last <= r.cursor {
		return
	}
	r.cursor = last
	for seq := range r.done {
		if seq <= last {
			delete(r.done, seq)
			delete(r.attempts, seq)
		}
	}
}

// startAdvance moves the storage's cursor to the one in memory in the
// background; awaitAdvance collects the outcome. It runs on even when ctx
// has ended, so that a stop keeps what was done.
func (r *Runner) startAdvance(ctx context.Context) {
	r.mu.Lock()
	to, from := r.cursor, r.durable
	r.mu.Unlock()
	if to <= from {
		return
	}
	ch := make(chan error, 1)
	r.advancing, r.advancingTo = ch, to
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.cfg.AttemptTimeout)
	go func() {
		defer cancel()
		if err := r.st.Advance(actx, r.cfg.Sink, to); err != nil {
			ch <- fmt.Errorf("advance the cursor to %d: %w", to, err)
			return
		}
		ch <- nil
	}()
}

// awaitAdvance waits for the cursor move in flight, if any.
func (r *Runner) awaitAdvance() error {
	if r.advancing == nil {
		return nil
	}
	err := <-r.advancing
	r.advancing = nil
	if err != nil {
		return err
	}
	r.mu.Lock()
	r.durable = max(r.durable, r.advancingTo)
	r.mu.Unlock()
	return nil
}

// settle waits for the cursor move in flight and makes the storage's
// cursor the one in memory.
func (r *Runner) settle(ctx context.Context) error {
	if err := r.awaitAdvance(); err != nil {
		return err
	}
	r.startAdvance(ctx)
	return r.awaitAdvance()
}

// noticeCompaction logs, at most every ten seconds, the entries the
// storage compacted since it last looked: dropped entries are never
// silent.
func (r *Runner) noticeCompaction(ctx context.Context) {
	r.mu.Lock()
	due := time.Since(r.checked) >= 10*time.Second
	r.mu.Unlock()
	if !due {
		return
	}
	st, err := r.st.Stats(ctx, r.cfg.Sink)
	if err != nil {
		return // the next read of the queue reports it
	}
	r.mu.Lock()
	first := r.checked.IsZero()
	prev := r.compacted
	r.compacted, r.checked = st.Compacted, time.Now()
	r.mu.Unlock()
	if !first && st.Compacted > prev {
		r.log.Warn("outbox reached its disk budget; superseded entries were compacted, the latest state of each key kept",
			"compacted", st.Compacted-prev, "compacted_total", st.Compacted, "pending", st.Pending)
	}
}
