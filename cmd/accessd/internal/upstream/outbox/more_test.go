package outbox_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/stadsnat/accessd/cmd/accessd/internal/upstream/outbox"
	"github.com/stadsnat/accessd/cmd/accessd/internal/upstream/outbox/memstore"
)

func TestBackoffDelay(t *testing.T) {
	b := outbox.Backoff{Initial: time.Second, Max: time.Minute, Multiplier: 2, Jitter: 0.5}
	for _, tt := range []struct {
		n        int
		rnd      float64
		want     time.Duration
		describe string
	}{
		{1, 0, time.Second, "first wait, no jitter"},
		{1, 0.999999999, 500 * time.Millisecond, "first wait, full jitter halves"},
		{3, 0, 4 * time.Second, "third"},
		{7, 0, time.Minute, "capped"},
		{100000, 0, time.Minute, "capped, no overflow"},
	} {
		got := b.Delay(tt.n, func() float64 { return tt.rnd })
		if got.Round(time.Millisecond) != tt.want {
			t.Errorf("%s: Delay(%d) = %v, want %v", tt.describe, tt.n, got, tt.want)
		}
	}
	if d := (outbox.Backoff{}).Delay(1, func() float64 { return 0 }); d != time.Second {
		t.Errorf("default initial %v", d)
	}
	if d := (outbox.Backoff{}).Delay(50, func() float64 { return 0 }); d != 5*time.Minute {
		t.Errorf("default cap %v", d)
	}
}

func TestHTTPStatusClass(t *testing.T) {
	for _, tt := range []struct {
		status int
		want   outbox.Class
	}{
		{400, outbox.ClassPermanent}, {404, outbox.ClassPermanent}, {409, outbox.ClassPermanent}, {422, outbox.ClassPermanent},
		{401, outbox.ClassAuth}, {403, outbox.ClassAuth},
		{408, outbox.ClassTransient}, {429, outbox.ClassTransient}, {500, outbox.ClassTransient},
		{502, outbox.ClassTransient}, {503, outbox.ClassTransient}, {302, outbox.ClassTransient},
	} {
		err := outbox.HTTPStatus(tt.status, []byte("why"))
		if got := outbox.ClassOf(err); got != tt.want {
			t.Errorf("%d: class %v, want %v", tt.status, got, tt.want)
		}
		var he *outbox.HTTPError
		if !errors.As(err, &he) || he.Status != tt.status {
			t.Errorf("%d: %v is not an HTTPError", tt.status, err)
		}
	}
	if err := outbox.HTTPStatus(204, nil); err != nil {
		t.Errorf("204: %v", err)
	}
	long := strings.Repeat("é", 600) + "\n\x00"
	err := outbox.HTTPStatus(400, []byte(long))
	if msg := err.Error(); len(msg) > 600 || strings.ContainsAny(msg, "\n\x00") || !strings.HasSuffix(msg, "…") {
		t.Errorf("body not trimmed and cleaned: %q", msg)
	}
	wrapped := fmt.Errorf("deliver: %w", outbox.Permanent(errors.New("bad")))
	if outbox.ClassOf(wrapped) != outbox.ClassPermanent || outbox.ClassOf(errors.New("x")) != outbox.ClassTransient {
		t.Error("ClassOf does not see through wrapping")
	}
	if outbox.Permanent(nil) != nil || outbox.AuthRefused(nil) != nil {
		t.Error("classifying nil made an error")
	}
}

// spy wraps a Storage and records the largest page asked for and any
// injected failures.
type spy struct {
	outbox.Storage
	mu       sync.Mutex
	maxLimit int
	maxGot   int
	failRead atomic.Int32 // Pending fails this many more times
}

func (s *spy) Pending(ctx context.Context, sink string, after uint64, limit int) ([]outbox.Entry, error) {
	if s.failRead.Load() > 0 {
		s.failRead.Add(-1)
		return nil, errors.New("bbolt: timeout")
	}
	es, err := s.Storage.Pending(ctx, sink, after, limit)
	s.mu.Lock()
	s.maxLimit, s.maxGot = max(s.maxLimit, limit), max(s.maxGot, len(es))
	s.mu.Unlock()
	return es, err
}

// TestBoundedMemory: the runner reads one page at a time, never the
// queue, and a storage that fails is retried.
func TestBoundedMemory(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := memstore.New(memstore.Options{})
		sp := &spy{Storage: st}
		sp.failRead.Store(3)
		log, buf := newLog(t)
		sink := newRecorder(nil)
		r, err := outbox.NewRunner(outbox.Config{Sink: "s", PageSize: 32}, sp, sink, log, nil)
		if err != nil {
			t.Fatal(err)
		}
		for i := range 10000 {
			if err := st.Append(context.Background(), outbox.Entry{Sink: "s", Key: fmt.Sprint(i), IdempotencyKey: fmt.Sprint(i), Kind: "k"}); err != nil {
				t.Fatal(err)
			}
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { r.Run(ctx); close(done) }()
		time.Sleep(time.Minute)
		synctest.Wait()
		cancel()
		<-done
		if n := len(sink.accepted()); n != 10000 {
			t.Errorf("delivered %d", n)
		}
		if sp.maxLimit != 32 || sp.maxGot > 32 {
			t.Errorf("pages of up to %d asked, %d read; want 32", sp.maxLimit, sp.maxGot)
		}
		if n := strings.Count(buf.String(), "outbox storage failed"); n != 3 {
			t.Errorf("%d storage failures logged, want 3", n)
		}
	})
}

// TestRestartIsAtLeastOnce: a stop in the middle of a page keeps the
// cursor at what was done; the next Runner delivers the rest, and only the
// entry that was under way can come twice.
func TestRestartIsAtLeastOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := memstore.New(memstore.Options{})
		log, _ := newLog(t)
		var keys []string
		for i := range 10 {
			keys = append(keys, fmt.Sprint("k", i))
			if err := st.Append(context.Background(), outbox.Entry{Sink: "s", Key: keys[i], IdempotencyKey: keys[i], Kind: "k"}); err != nil {
				t.Fatal(err)
			}
		}
		// The upstream takes k5 and then hangs before answering; the
		// daemon is stopped meanwhile.
		var firstGot []string
		var mu sync.Mutex
		stuck := make(chan struct{})
		first := outbox.SinkFunc(func(ctx context.Context, e outbox.Entry) error {
			mu.Lock()
			firstGot = append(firstGot, e.Key)
			mu.Unlock()
			if e.Key == "k5" {
				close(stuck)
				<-ctx.Done()
				return ctx.Err()
			}
			return nil
		})
		r1, _ := outbox.NewRunner(outbox.Config{Sink: "s"}, st, first, log, nil)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { r1.Run(ctx); close(done) }()
		<-stuck
		cancel()
		<-done
		if c, _ := st.Cursor(context.Background(), "s"); c != 5 {
			t.Errorf("cursor after the stop %d, want 5 (k0…k4 done)", c)
		}

		second := newRecorder(nil)
		r2, _ := outbox.NewRunner(outbox.Config{Sink: "s"}, st, second, log, nil)
		ctx2, cancel2 := context.WithCancel(context.Background())
		done2 := make(chan struct{})
		go func() { r2.Run(ctx2); close(done2) }()
		synctest.Wait()
		cancel2()
		<-done2
		all := append(firstGot, keysOf(second.accepted())...)
		want := append(slices.Clone(keys[:6]), keys[5:]...) // k5 twice: it was under way
		if diff := cmp.Diff(want, all); diff != "" {
			t.Errorf("deliveries over the restart (-want +got):\n%s", diff)
		}
	})
}

// TestLanesKeepKeyOrderThroughFailures: with four lanes and failures on
// some keys, each key's entries still arrive in order, every one once.
func TestLanesKeepKeyOrderThroughFailures(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sink := newRecorder(func(e outbox.Entry, attempt int) error {
			if e.Seq%3 == 0 && attempt < 3 {
				return errDown
			}
			return nil
		})
		g := newRig(t, outbox.Config{Concurrency: 4, PageSize: 8, Backoff: outbox.Backoff{Initial: time.Second, Max: 4 * time.Second}}, sink)
		g.start()
		defer g.stop(t)
		var keys []string
		for i := range 200 {
			keys = append(keys, fmt.Sprint("k", i%11))
		}
		g.add(t, "test", keys...)
		time.Sleep(time.Hour)
		synctest.Wait()
		got := sink.accepted()
		if len(got) != 200 {
			t.Fatalf("delivered %d", len(got))
		}
		for k, seqs := range perKey(got) {
			if !slices.IsSorted(seqs) || len(slices.Compact(slices.Clone(seqs))) != len(seqs) {
				t.Errorf("key %s: %v", k, seqs)
			}
		}
	})
}

// TestCompactionIsLogged: entries dropped under the budget are counted in
// status and metrics and logged, never silent.
func TestCompactionIsLogged(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := func(i int) outbox.Entry {
			return outbox.Entry{Sink: "s", Key: "order-1", IdempotencyKey: fmt.Sprint(i), Kind: "state", Payload: make([]byte, 100)}
		}
		st := memstore.New(memstore.Options{Budget: 10 * e(0).Size()})
		log, buf := newLog(t)
		sink := newRecorder(nil)
		sink.block = make(chan struct{}) // upstream hangs: entries pile up
		reg := prometheus.NewRegistry()
		r, _ := outbox.NewRunner(outbox.Config{Sink: "s", AttemptTimeout: time.Hour}, st, sink, log, reg)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { r.Run(ctx); close(done) }()
		if err := st.Append(ctx, e(0)); err != nil {
			t.Fatal(err)
		}
		r.Notify()
		synctest.Wait()
		for i := 1; i < 30; i++ {
			if err := st.Append(ctx, e(i)); err != nil {
				t.Fatal(err)
			}
		}
		sink.mu.Lock()
		close(sink.block)
		sink.block = nil
		sink.mu.Unlock()
		time.Sleep(time.Minute)
		synctest.Wait()
		s, _ := r.Status(ctx)
		cancel()
		<-done
		got := sink.accepted()
		// e(0) was in the runner's page when it was compacted: it is
		// delivered and counted, hence 31.
		if s.Compacted == 0 || int(s.Compacted)+len(got) != 31 {
			t.Errorf("compacted %d, delivered %d; want all 30 accounted for, e(0) twice", s.Compacted, len(got))
		}
		if last := got[len(got)-1]; last.IdempotencyKey != "29" {
			t.Errorf("the latest state was not delivered last: %+v", last)
		}
		if !strings.Contains(buf.String(), "superseded entries were compacted") {
			t.Error("compaction was not logged")
		}
		g := &rig{reg: reg}
		if v := g.metric(t, "accessd_upstream_compacted_total", "sink", "s"); v != float64(s.Compacted) {
			t.Errorf("compacted metric %v, status %d", v, s.Compacted)
		}
	})
}

// TestMetricNames: every documented metric is there, labelled by sink.
func TestMetricNames(t *testing.T) {
	g := newRig(t, outbox.Config{Sink: "atlas-portal"}, newRecorder(nil))
	if err := outbox.RegisterUsage(g.reg, g.st); err != nil {
		t.Fatal(err)
	}
	mfs, err := g.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, mf := range mfs {
		names = append(names, mf.GetName())
		for _, m := range mf.GetMetric() {
			if strings.HasPrefix(mf.GetName(), "accessd_upstream_b") {
				continue // outbox-wide
			}
			sink := ""
			for _, lp := range m.GetLabel() {
				if lp.GetName() == "sink" {
					sink = lp.GetValue()
				}
			}
			if sink != "atlas-portal" {
				t.Errorf("%s has no sink label", mf.GetName())
			}
		}
	}
	want := []string{
		"accessd_upstream_budget_bytes", "accessd_upstream_bytes", "accessd_upstream_compacted_total",
		"accessd_upstream_delivered_total", "accessd_upstream_failures_total", "accessd_upstream_lag_entries",
		"accessd_upstream_last_success_timestamp_seconds", "accessd_upstream_oldest_undelivered_age_seconds",
		"accessd_upstream_parked_entries", "accessd_upstream_paused", "accessd_upstream_queue_bytes",
	}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("metric names (-want +got):\n%s", diff)
	}
	if _, err := outbox.NewRunner(outbox.Config{Sink: "atlas-portal"}, g.st, newRecorder(nil), slog.New(slog.DiscardHandler), g.reg); err == nil {
		t.Error("a second runner of the same sink registered its metrics")
	}
}
