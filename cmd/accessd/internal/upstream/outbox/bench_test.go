package outbox_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stadsnat/accessd/cmd/accessd/internal/upstream/outbox"
	"github.com/stadsnat/accessd/cmd/accessd/internal/upstream/outbox/memstore"
)

// httpSink POSTs each entry's payload with its idempotency key: the
// shape of a real sink, against a local test server.
type httpSink struct {
	c   *http.Client
	url string
}

func (s httpSink) Deliver(ctx context.Context, e outbox.Entry) error {
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

type benchServer struct {
	srv  *httptest.Server
	got  atomic.Int64
	sink httpSink
}

func newBenchServer(b *testing.B) *benchServer {
	s := &benchServer{}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		if r.Header.Get("Idempotency-Key") == "" {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		s.got.Add(1)
		w.WriteHeader(http.StatusNoContent)
	}))
	b.Cleanup(s.srv.Close)
	tr := s.srv.Client().Transport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 32
	s.sink = httpSink{c: &http.Client{Transport: tr}, url: s.srv.URL + "/import"}
	return s
}

func benchEntry(i int) outbox.Entry {
	return outbox.Entry{
		Sink: "bench", Key: fmt.Sprint("order-", i%1000), IdempotencyKey: fmt.Sprint("bench-", i), Kind: "state",
		Payload: []byte(`{"order":"1234","status":"delivered","message":"service BB100100 active on access AB123 since 2024-05-01"}`),
	}
}

func startRunner(b *testing.B, st outbox.Storage, sink outbox.Sink, conc int) (*outbox.Runner, func()) {
	r, err := outbox.NewRunner(outbox.Config{Sink: "bench", Concurrency: conc}, st, sink, slog.New(slog.DiscardHandler), nil)
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { r.Run(ctx); close(done) }()
	return r, func() { cancel(); <-done }
}

func waitFor(srv *benchServer, n int64) {
	for srv.got.Load() < n {
		time.Sleep(200 * time.Microsecond)
	}
}

// BenchmarkAppendAndDeliver: entries appended one by one while the
// runner delivers them over HTTP to a local server; entries/s from first
// append to last acknowledgement.
func BenchmarkAppendAndDeliver(b *testing.B) {
	for _, conc := range []int{1, 4} {
		b.Run(fmt.Sprint("lanes=", conc), func(b *testing.B) {
			srv := newBenchServer(b)
			st := memstore.New(memstore.Options{})
			r, stop := startRunner(b, st, srv.sink, conc)
			defer stop()
			ctx := context.Background()
			b.ResetTimer()
			start := time.Now()
			for i := range b.N {
				if err := st.Append(ctx, benchEntry(i)); err != nil {
					b.Fatal(err)
				}
				r.Notify()
			}
			waitFor(srv, int64(b.N))
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "entries/s")
		})
	}
}

// BenchmarkDrain100k: 100,000 entries queued during an outage, drained to
// a local server when it returns; reports the drain time.
func BenchmarkDrain100k(b *testing.B) {
	const n = 100_000
	for _, conc := range []int{1, 4} {
		b.Run(fmt.Sprint("lanes=", conc), func(b *testing.B) {
			for range b.N {
				b.StopTimer()
				srv := newBenchServer(b)
				st := memstore.New(memstore.Options{})
				ctx := context.Background()
				for i := range n {
					if err := st.Append(ctx, benchEntry(i)); err != nil {
						b.Fatal(err)
					}
				}
				b.StartTimer()
				start := time.Now()
				_, stop := startRunner(b, st, srv.sink, conc)
				waitFor(srv, n)
				d := time.Since(start)
				stop()
				b.ReportMetric(d.Seconds(), "drain-s")
				b.ReportMetric(n/d.Seconds(), "entries/s")
			}
		})
	}
}
