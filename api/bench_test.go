package api_test

import (
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stadsnat/accessd/store/inventory/invtest"
)

// discard is a ResponseWriter that counts and drops the body, so the
// benchmark measures the handler, not a buffer.
type discard struct {
	h http.Header
	n int
}

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) WriteHeader(int)             {}
func (d *discard) Write(b []byte) (int, error) { d.n += len(b); return len(b), nil }

func newFixtureB(b *testing.B, n int) *fixture {
	b.Helper()
	return newFixture(b, invtest.Generate(n, 1)...)
}

// option82Hex is the TLV hex of an Option82 text "REMOTE CIRCUIT".
func option82Hex(text string) string {
	remote, circuit, _ := strings.Cut(text, " ")
	v := append([]byte{1, byte(len(circuit))}, circuit...)
	v = append(v, 2, byte(len(remote)))
	v = append(v, remote...)
	return strings.ToUpper(hex.EncodeToString(append([]byte{82, byte(len(v))}, v...)))
}

func serve(b *testing.B, f *fixture, path string, hdr map[string]string) int {
	req := httptest.NewRequest("GET", path, nil)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	w := &discard{h: http.Header{}}
	f.h.ServeHTTP(w, req)
	return w.n
}

// BenchmarkPIV1Full100k: GET /ko/api/1/ of 100,000 accesses (goal ≤ 1.5 s).
func BenchmarkPIV1Full100k(b *testing.B) {
	f := newFixtureB(b, 100_000)
	auth := basic("sp", "pw")
	var n int
	for b.Loop() {
		n = serve(b, f, "/ko/api/1/", auth)
	}
	b.ReportMetric(float64(n)/1e6, "MB/export")
}

// BenchmarkPIAPIFull100k: GET /api/2.3/accesses/ of 100,000 accesses.
func BenchmarkPIAPIFull100k(b *testing.B) {
	f := newFixtureB(b, 100_000)
	auth := basic("sp", "pw")
	for b.Loop() {
		serve(b, f, "/api/2.3/accesses/", auth)
	}
}

// BenchmarkPIV1Incremental100of100k: 100 changed accesses since the last
// Last-Modified, in 100,000 (goal ≤ 20 ms).
func BenchmarkPIV1Incremental100of100k(b *testing.B) {
	f := newFixtureB(b, 100_000)
	lm := f.now.Add(-time.Second).UTC().Format(http.TimeFormat)
	f.now = f.now.Add(time.Minute)
	as := invtest.Generate(100_000, 1)
	for i := 0; i < 100; i++ {
		a := as[i*997]
		a.City = "Ändrad"
		f.importAll(b, a)
	}
	f.now = f.now.Add(time.Second)
	auth := with(basic("sp", "pw"), "If-Modified-Since", lm)
	for b.Loop() {
		serve(b, f, "/ko/api/1/", auth)
	}
}

// BenchmarkOption82Lookup: GET /api/2.3/option82/{hex} in 100,000 accesses.
func BenchmarkOption82Lookup(b *testing.B) {
	f := newFixtureB(b, 100_000)
	auth := basic("sp", "pw")
	path := "/api/2.3/option82/" + option82Hex(invtest.Generate(100_000, 1)[4242].Option82)
	if n := serve(b, f, path, auth); n < 10 {
		b.Fatal("lookup failed")
	}
	for b.Loop() {
		serve(b, f, path, auth)
	}
}
