package upstream_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stadsnat/accessd/cmd/accessd/internal/upstream"
	"github.com/stadsnat/accessd/cmd/accessd/internal/upstream/outbox"
	"github.com/stadsnat/accessd/store"
)

// The outbox's figures with the bbolt store, fsync on (every commit
// durable), delivering over loopback HTTP to a local test server:
//
//	go test -run XXX -bench 'StoreOutbox' ./cmd/accessd/internal/upstream/
//
// entries/s is the rate of append and durable delivery together; the
// drain benchmark reports how long 100 000 entries queued during an
// outage take to reach the server once it is back.

// postSink POSTs each entry's payload with its idempotency key.
type postSink struct {
	c   *http.Client
	url string
}

func (s postSink) Deliver(ctx context.Context, e outbox.Entry) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url, bytes.NewReader(e.Payload))
	if err != nil {
		return outbox.Permanent(err)
	}
	req.Header.Set("Idempotency-Key", e.IdempotencyKey)
	resp, err := s.c.Do(req)
	if err != nil {
		return err
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	resp.Body.Close()
	return outbox.HTTPStatus(resp.StatusCode, body)
}

// countingServer accepts entries that carry an idempotency key and counts
// the distinct ones.
type countingServer struct {
	srv  *httptest.Server
	got  atomic.Int64
	mu   sync.Mutex
	seen map[string]bool
}

func newCountingServer(b *testing.B) (*countingServer, postSink) {
	s := &countingServer{seen: map[string]bool{}}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		k := r.Header.Get("Idempotency-Key")
		if k == "" {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		s.mu.Lock()
		if !s.seen[k] {
			s.seen[k] = true
			s.got.Add(1)
		}
		s.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	b.Cleanup(s.srv.Close)
	return s, postSink{c: s.srv.Client(), url: s.srv.URL + "/import"}
}

func benchEntry(i int) store.OutboxEntry {
	return store.OutboxEntry{Sink: "bench", Key: fmt.Sprint("order/", i%1000), IdempotencyKey: fmt.Sprint("bench/", i), Kind: "state",
		Payload: []byte(`{"order":"1234","status":"delivered","message":"service BB100100 active on access AB123 since 2024-05-01"}`)}
}

func openDurable(b *testing.B) *store.DB {
	db, err := store.Open(filepath.Join(b.TempDir(), store.FileName), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	return db
}

// concurrency is the lanes of the benchmarks' runners: the daemon's
// default (upstream.outbox.concurrency), in order per key.
const concurrency = 4

// runRunner starts the runner of sink "bench"; commits counts the
// commits that appended to it (the store notifies once per commit).
func runRunner(b *testing.B, db *store.DB, sink outbox.Sink, commits *atomic.Int64) func() {
	st := upstream.NewStorage(db.Outbox())
	r, err := outbox.NewRunner(outbox.Config{Sink: "bench", PollInterval: 20 * time.Millisecond, Concurrency: concurrency},
		st, sink, slog.New(slog.DiscardHandler), nil)
	if err != nil {
		b.Fatal(err)
	}
	db.Outbox().SetNotify(func(string) {
		if commits != nil {
			commits.Add(1)
		}
		r.Notify()
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { r.Run(ctx); close(done) }()
	return func() { cancel(); <-done }
}

// BenchmarkStoreOutboxAppendAndDeliver: 64 producers append entries one
// by one, each durable before Append returns (their commits share fsyncs,
// as the order engine's do), while the runner delivers them over HTTP
// and advances its cursor durably.
func BenchmarkStoreOutboxAppendAndDeliver(b *testing.B) {
	db := openDurable(b)
	srv, sink := newCountingServer(b)
	var commits atomic.Int64
	stop := runRunner(b, db, sink, &commits)
	defer stop()
	const producers = 64
	var next atomic.Int64
	b.ResetTimer()
	start, cpu0 := time.Now(), cpuTime(b)
	var wg sync.WaitGroup
	for range producers {
		wg.Go(func() {
			for {
				i := int(next.Add(1))
				if i > b.N {
					return
				}
				if err := db.Outbox().Append(benchEntry(i)); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	for srv.got.Load() < int64(b.N) {
		time.Sleep(time.Millisecond)
	}
	for {
		if st, _ := db.Outbox().Stats("bench"); st.Pending == 0 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "entries/s")
	// The process's CPU time (user and system, the test server's
	// included) per entry: on a shared machine the rate above follows the
	// CPU the process is given; this does not.
	b.ReportMetric(float64((cpuTime(b)-cpu0).Microseconds())/float64(b.N), "cpu-µs/entry")
	// How many appends shared an fsync'd commit: what the figure above
	// is made of, less at the mercy of the disk's latency of the moment.
	b.ReportMetric(float64(b.N)/float64(max(commits.Load(), 1)), "appends/commit")
}

// cpuTime is the CPU time the process has used, user and system.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkStoreOutboxDrain100k: 100 000 entries queue while the upstream
// is away (no runner), then the runner drains them to the local server.
func BenchmarkStoreOutboxDrain100k(b *testing.B) {
	const n = 100_000
	for range b.N {
		b.StopTimer()
		db := openDurable(b)
		srv, sink := newCountingServer(b)
		batch := make([]store.OutboxEntry, 0, 1000)
		for i := 1; i <= n; i++ {
			batch = append(batch, benchEntry(i))
			if len(batch) == cap(batch) {
				if err := db.Outbox().Append(batch...); err != nil {
					b.Fatal(err)
				}
				batch = batch[:0]
			}
		}
		b.StartTimer()
		start := time.Now()
		stop := runRunner(b, db, sink, nil)
		for srv.got.Load() < n {
			time.Sleep(5 * time.Millisecond)
		}
		b.StopTimer()
		took := time.Since(start)
		stop()
		b.ReportMetric(took.Seconds(), "drain-s")
		b.ReportMetric(n/took.Seconds(), "entries/s")
	}
}
