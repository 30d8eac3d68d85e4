package noc_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stadsnat/accessd/api/noc/noctest"
)

// benchAccesses is the size of the network the benchmarks serve.
const benchAccesses = 100_000

// bigSource is one generated network for every benchmark (making it takes
// seconds).
var bigSource = sync.OnceValue(func() *noctest.Fake { return noctest.Generate(benchAccesses, now) })

// firstByte is a ResponseWriter that drops the body and notes when the
// first byte was written: the handler renders the whole page before it
// writes, so that is the time to the first byte.
type firstByte struct {
	h     http.Header
	start time.Time
	first time.Duration
	n     int
	code  int
}

func (w *firstByte) Header() http.Header { return w.h }
func (w *firstByte) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
}

func (w *firstByte) Write(b []byte) (int, error) {
	if w.n == 0 {
		w.first = time.Since(w.start)
		if w.code == 0 {
			w.code = 200
		}
	}
	w.n += len(b)
	return len(b), nil
}

// benchPages serves the paths in turn and reports the bytes of a page and
// the mean time to its first byte.
func benchPages(b *testing.B, paths func(i int) string) {
	f := bigSource()
	h := newHandler(b, f, nil)
	var total time.Duration
	var bytes, n int
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		req := httptest.NewRequest("GET", paths(n), nil)
		w := &firstByte{h: http.Header{}, start: time.Now()}
		h.ServeHTTP(w, req)
		if w.code != 200 {
			b.Fatalf("%s: %d", req.URL, w.code)
		}
		total += w.first
		bytes += w.n
		n++
	}
	b.ReportMetric(float64(bytes)/float64(n), "B/page")
	b.ReportMetric(float64(total.Microseconds())/float64(n), "µs-first-byte")
}

// BenchmarkAccessPage100k: the access page of accesses spread over the
// 100,000, each with 20 transitions, 10 orders of 6 events (goal: first
// byte under 20 ms, page under 50 KB).
func BenchmarkAccessPage100k(b *testing.B) {
	benchPages(b, func(i int) string { return "/noc/access/" + noctest.GenID(i*7919%benchAccesses) })
}

// BenchmarkSearchIP100k: "who has this IP", untyped.
func BenchmarkSearchIP100k(b *testing.B) {
	benchPages(b, func(i int) string { return "/noc/?q=" + noctest.GenIP(i*7919%benchAccesses).String() })
}

// BenchmarkSearchMAC100k: a client MAC, untyped.
func BenchmarkSearchMAC100k(b *testing.B) {
	benchPages(b, func(i int) string { return "/noc/?q=" + url.QueryEscape(noctest.GenMAC(i*7919%benchAccesses)) })
}

// BenchmarkSearchAddress100k: the start of a street that thousands of
// accesses share (the page lists 50).
func BenchmarkSearchAddress100k(b *testing.B) {
	benchPages(b, func(i int) string { return "/noc/?q=Storgatan+1" })
}

// BenchmarkSearchOption82_100k: an access's Option 82 hex, untyped.
func BenchmarkSearchOption82_100k(b *testing.B) {
	benchPages(b, func(i int) string {
		return "/noc/?q=" + noctest.Option82Hex(noctest.GenSwitch(i*7919%benchAccesses)+" ge-0/0/"+strconv.Itoa(i*7919%benchAccesses%noctest.PortsPerSwitch))
	})
}

// BenchmarkSwitches100k: the first page of the 2,084 switches.
func BenchmarkSwitches100k(b *testing.B) {
	benchPages(b, func(i int) string { return "/noc/switches" })
}

// BenchmarkSwitchesTrouble100k: the switches in trouble.
func BenchmarkSwitchesTrouble100k(b *testing.B) {
	benchPages(b, func(i int) string { return "/noc/switches?trouble=1" })
}

// BenchmarkCircuits100k: the first page of 500 unknown circuits.
func BenchmarkCircuits100k(b *testing.B) {
	benchPages(b, func(i int) string { return "/noc/circuits" })
}
