package store

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
)

// PortUpdate is one port state to store, or the port's removal (it left
// the configuration or the inventory: its record and history go).
type PortUpdate struct {
	Key     PortKey
	State   PortState
	Removed bool
	// Access is the access on the port, when the caller knows it: it is
	// not stored, only handed to the change hooks (PortChange).
	Access string
}

// PortWriterOptions configure a PortWriter.
type PortWriterOptions struct {
	// HistoryLen bounds the transitions kept per port (default 64).
	HistoryLen int
	// RetryAfter is the pause before a failed batch is written again
	// (default 1 s).
	RetryAfter time.Duration
	// Logger (default: the store's).
	Logger *slog.Logger
}

// PortWriter writes port states with group commit: Submit only queues
// (it never waits for the disk, so the poller's switch goroutines that
// call it are not held up), and one goroutine, Run, writes everything
// queued in one transaction, again and again. While one transaction
// commits, the next batch gathers. Updates of one port are applied in
// the order they were submitted.
type PortWriter struct {
	db   *DB
	opts PortWriterOptions
	log  *slog.Logger
	wake chan struct{}

	mu      sync.Mutex
	queue   []PortUpdate
	queued  uint64 // updates submitted so far
	done    uint64 // updates written (or given up) so far
	waiters []syncWaiter
	stats   PortWriterStats
	// lastFailLog is when a failed write was last logged (read by its one
	// goroutine only).
	lastFailLog time.Time
}

type syncWaiter struct {
	upTo uint64
	ch   chan struct{}
}

// PortWriterStats count what a PortWriter did.
type PortWriterStats struct {
	Queued      int    `json:"queued"`      // updates waiting now
	Batches     uint64 `json:"batches"`     // transactions committed
	Updates     uint64 `json:"updates"`     // updates written
	Removed     uint64 `json:"removed"`     // ports forgotten
	Transitions uint64 `json:"transitions"` // history entries made
	Flaps       uint64 `json:"flaps"`       // flaps counted
	Failures    uint64 `json:"failures"`    // failed transactions (retried)
}

// NewWriter makes the writer of port states; start it with Run.
func (pv Ports) NewWriter(o PortWriterOptions) *PortWriter {
	if o.HistoryLen <= 0 {
		o.HistoryLen = 64
	}
	if o.RetryAfter <= 0 {
		o.RetryAfter = time.Second
	}
	log := o.Logger
	if log == nil {
		log = pv.db.log
	}
	return &PortWriter{db: pv.db, opts: o, log: log, wake: make(chan struct{}, 1)}
}

// Submit queues updates; it never blocks on the disk.
func (w *PortWriter) Submit(us ...PortUpdate) {
	if len(us) == 0 {
		return
	}
	w.mu.Lock()
	w.queue = append(w.queue, us...)
	w.queued += uint64(len(us))
	w.mu.Unlock()
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// Sync waits until everything submitted before it was called is written
// (or ctx is done).
func (w *PortWriter) Sync(ctx context.Context) error {
	w.mu.Lock()
	if w.done >= w.queued {
		w.mu.Unlock()
		return nil
	}
	ch := make(chan struct{})
	w.waiters = append(w.waiters, syncWaiter{upTo: w.queued, ch: ch})
	w.mu.Unlock()
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Stats returns the writer's counters.
func (w *PortWriter) Stats() PortWriterStats {
	w.mu.Lock()
	defer w.mu.Unlock()
	s := w.stats
	s.Queued = len(w.queue)
	return s
}

// Run writes until ctx is done, then writes what is still queued and
// returns nil.
func (w *PortWriter) Run(ctx context.Context) error {
	for {
		select {
		case <-ctx.Done():
			w.flush(nil)
			return nil
		case <-w.wake:
			w.flush(ctx)
		}
	}
}

// flush writes batches until the queue is empty. A failed batch is
// retried after RetryAfter while ctx lives (nil ctx: once, at the end).
func (w *PortWriter) flush(ctx context.Context) {
	for {
		w.mu.Lock()
		batch := w.queue
		w.queue = nil
		w.mu.Unlock()
		if len(batch) == 0 {
			return
		}
		st, err := w.write(batch)
		if err != nil {
			w.mu.Lock()
			w.stats.Failures++
			w.mu.Unlock()
			if ctx == nil {
				w.log.Error("writing port states failed at shutdown; they are lost", "updates", len(batch), "err", err)
			} else {
				// While the store is read-only (a full disk) this fails
				// every RetryAfter: say so once a minute.
				if !errors.Is(err, ErrReadOnly) || time.Since(w.lastFailLog) >= time.Minute {
					w.lastFailLog = time.Now()
					w.log.Error("writing port states failed; retrying", "updates", len(batch), "retry_in", w.opts.RetryAfter, "err", err)
				}
				w.mu.Lock()
				w.queue = append(batch, w.queue...) // keep the order
				w.mu.Unlock()
				select {
				case <-time.After(w.opts.RetryAfter):
				case <-ctx.Done():
					ctx = nil // one last try, then give up
				}
				continue
			}
		}
		w.mu.Lock()
		if err == nil {
			w.stats.Batches++
			w.stats.Updates += st.Updates
			w.stats.Removed += st.Removed
			w.stats.Transitions += st.Transitions
			w.stats.Flaps += st.Flaps
		}
		w.done += uint64(len(batch))
		w.waiters = slices.DeleteFunc(w.waiters, func(sw syncWaiter) bool {
			if w.done >= sw.upTo {
				close(sw.ch)
				return true
			}
			return false
		})
		w.mu.Unlock()
	}
}

// write applies one batch in one transaction, sorted by key (bbolt is
// fastest with ordered writes; the sort is stable, so one port's updates
// keep their order).
func (w *PortWriter) write(batch []PortUpdate) (PortWriterStats, error) {
	var st PortWriterStats
	sorted := slices.Clone(batch)
	slices.SortStableFunc(sorted, func(a, b PortUpdate) int {
		if c := strings.Compare(a.Key.Switch, b.Key.Switch); c != 0 {
			return c
		}
		return strings.Compare(a.Key.Port, b.Key.Port)
	})
	now := w.db.now().UTC()
	debug := w.log.Enabled(context.Background(), slog.LevelDebug)
	var logs []func()
	hooked := len(w.db.outboxSettings().calls.ports) > 0
	var changes []PortChange
	err := w.db.update(func(tx *bolt.Tx) error {
		st, logs, changes = PortWriterStats{}, logs[:0], changes[:0]
		pb, hb := tx.Bucket(bucketPorts), tx.Bucket(bucketPortHistory)
		for _, u := range sorted {
			rec, t, err := w.apply(pb, hb, u, now, &st)
			if err != nil {
				return err
			}
			if hooked {
				changes = append(changes, PortChange{Key: u.Key, Access: u.Access, Record: rec, Transition: t})
			}
			if t == nil || !debug {
				continue
			}
			key, tr := u.Key, *t
			logs = append(logs, func() {
				w.log.Debug("port link changed", "switch", key.Switch, "port", key.Port, "from", tr.From, "link", tr.Link,
					"admin", tr.Admin, "oper", tr.Oper, "mbps", tr.SpeedMbps, "source", tr.Source, "flap", tr.Flap, "problem", tr.Problem)
			})
		}
		return w.db.portsChanged(tx, changes)
	})
	if err != nil {
		return st, err
	}
	for _, l := range logs {
		l()
	}
	return st, nil
}

// apply writes one update into the ports and port_history buckets, counts
// it in st and returns the record written (nil: removed) and the history
// entry it made (nil: none).
func (w *PortWriter) apply(pb, hb *bolt.Bucket, u PortUpdate, now time.Time, st *PortWriterStats) (*PortRecord, *PortTransition, error) {
	kb := u.Key.key()
	if u.Removed {
		if err := pb.Delete(kb); err != nil {
			return nil, nil, err
		}
		if err := hb.Delete(kb); err != nil {
			return nil, nil, err
		}
		st.Removed++
		return nil, nil, nil
	}
	var old *PortRecord
	if v := pb.Get(kb); v != nil {
		old = new(PortRecord)
		if err := openJSON(bucketPorts, kb, v, old); err != nil {
			w.db.noteErr(err)
			w.log.Warn("stored port record unreadable; replacing it", "switch", u.Key.Switch, "port", u.Key.Port, "err", err)
			old = nil
		}
	}
	rec, t := nextPort(old, u.Key, u.State, now)
	v, err := json.Marshal(&rec)
	if err != nil {
		return nil, nil, err
	}
	if err := pb.Put(kb, sealOwned(v)); err != nil {
		return nil, nil, err
	}
	st.Updates++
	if t == nil {
		return &rec, nil, nil
	}
	var h PortHistory
	if v := hb.Get(kb); v != nil {
		if err := openJSON(bucketPortHistory, kb, v, &h); err != nil {
			w.db.noteErr(err)
			w.log.Warn("stored port history unreadable; starting it again", "switch", u.Key.Switch, "port", u.Key.Port, "err", err)
			h = PortHistory{}
		}
	}
	h.add(*t, now, w.opts.HistoryLen)
	if v, err = json.Marshal(&h); err != nil {
		return nil, nil, err
	}
	if err := hb.Put(kb, sealOwned(v)); err != nil {
		return nil, nil, err
	}
	st.Transitions++
	if t.Flap {
		st.Flaps++
	}
	return &rec, t, nil
}
