package outbox_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/stadsnat/accessd/cmd/accessd/internal/upstream/outbox"
	"github.com/stadsnat/accessd/cmd/accessd/internal/upstream/outbox/memstore"
)

// logBuf is a concurrency-safe log sink for tests.
type logBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func newLog(t *testing.T) (*slog.Logger, *logBuf) {
	var b logBuf
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("log:\n%s", b.String())
		}
	})
	return slog.New(slog.NewTextHandler(&b, &slog.HandlerOptions{Level: slog.LevelDebug})), &b
}

// recorder is a Sink that records what it accepts; fail decides, per
// entry and attempt, what it answers.
type recorder struct {
	mu       sync.Mutex
	got      []outbox.Entry
	attempts map[uint64]int
	times    []time.Time // of every attempt
	fail     func(e outbox.Entry, attempt int) error
	block    chan struct{} // when set, Deliver waits on it (or ctx)
}

func newRecorder(fail func(outbox.Entry, int) error) *recorder {
	return &recorder{attempts: map[uint64]int{}, fail: fail}
}

func (r *recorder) Deliver(ctx context.Context, e outbox.Entry) error {
	r.mu.Lock()
	r.attempts[e.Seq]++
	n := r.attempts[e.Seq]
	r.times = append(r.times, time.Now())
	block, fail := r.block, r.fail
	r.mu.Unlock()
	if block != nil {
		select {
		case <-block:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if fail != nil {
		if err := fail(e, n); err != nil {
			return err
		}
	}
	r.mu.Lock()
	r.got = append(r.got, e)
	r.mu.Unlock()
	return nil
}

func (r *recorder) accepted() []outbox.Entry {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]outbox.Entry(nil), r.got...)
}

func (r *recorder) setFail(f func(outbox.Entry, int) error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.fail = f
}

func (r *recorder) attemptTimes() []time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]time.Time(nil), r.times...)
}

func (r *recorder) calls() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.times)
}

// rig is a runner on a memstore.
type rig struct {
	st     *memstore.Store
	r      *outbox.Runner
	sink   *recorder
	reg    *prometheus.Registry
	log    *logBuf
	cancel context.CancelFunc
	done   chan error
}

func newRig(t *testing.T, cfg outbox.Config, sink *recorder) *rig {
	t.Helper()
	if cfg.Sink == "" {
		cfg.Sink = "test"
	}
	log, buf := newLog(t)
	st := memstore.New(memstore.Options{})
	reg := prometheus.NewRegistry()
	r, err := outbox.NewRunner(cfg, st, sink, log, reg)
	if err != nil {
		t.Fatal(err)
	}
	return &rig{st: st, r: r, sink: sink, reg: reg, log: buf}
}

func (g *rig) start() {
	ctx, cancel := context.WithCancel(context.Background())
	g.cancel, g.done = cancel, make(chan error, 1)
	go func() { g.done <- g.r.Run(ctx) }()
}

func (g *rig) stop(t *testing.T) {
	t.Helper()
	g.cancel()
	if err := <-g.done; err != nil {
		t.Errorf("Run: %v", err)
	}
}

func (g *rig) add(t *testing.T, sink string, keys ...string) {
	t.Helper()
	for _, k := range keys {
		e := outbox.Entry{Sink: sink, Key: k, IdempotencyKey: fmt.Sprintf("%s-%d", k, time.Now().UnixNano()), Kind: "test", Payload: []byte(k)}
		if err := g.st.Append(context.Background(), e); err != nil {
			t.Fatal(err)
		}
	}
	g.r.Notify()
}

func (g *rig) status(t *testing.T) outbox.Status {
	t.Helper()
	s, err := g.r.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// metric reads one sample of the registry: name and label pairs.
func (g *rig) metric(t *testing.T, name string, labels ...string) float64 {
	t.Helper()
	mfs, err := g.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	next:
		for _, m := range mf.GetMetric() {
			have := map[string]string{}
			for _, lp := range m.GetLabel() {
				have[lp.GetName()] = lp.GetValue()
			}
			for i := 0; i+1 < len(labels); i += 2 {
				if have[labels[i]] != labels[i+1] {
					continue next
				}
			}
			if m.GetGauge() != nil {
				return m.GetGauge().GetValue()
			}
			return m.GetCounter().GetValue()
		}
	}
	t.Fatalf("no metric %s %v", name, labels)
	return 0
}

// perKey groups accepted entries' seqs by key.
func perKey(es []outbox.Entry) map[string][]uint64 {
	m := map[string][]uint64{}
	for _, e := range es {
		m[e.Key] = append(m[e.Key], e.Seq)
	}
	return m
}
