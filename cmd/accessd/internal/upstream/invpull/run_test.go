package invpull

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/stadsnat/accessd/store"
)

// handlerTransport serves requests with a handler in-process: the
// schedule test runs in a synctest bubble, where a real socket would keep
// the fake clock from advancing.
type handlerTransport struct{ h http.Handler }

func (t handlerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	rec := httptest.NewRecorder()
	t.h.ServeHTTP(rec, r)
	return rec.Result(), nil
}

// TestRunSchedule: with Interval 10 min and FullInterval 1 h, Run makes a
// replace at once and every hour, incremental pulls (304 here) between, and
// tries a failed replace again at the next interval.
func TestRunSchedule(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		src := &source{ctype: "application/xml", changes: map[string][]byte{}}
		src.set(golden(t, "piv1-three.xml"), lm1)
		var mu sync.Mutex
		var applied []string // "replace" or "upsert" with the minute it happened
		start := time.Now()
		apply := ApplierFunc(func(in []store.Incoming, replace bool) (store.ImportSummary, error) {
			mu.Lock()
			defer mu.Unlock()
			kind := "upsert"
			if replace {
				kind = "replace"
			}
			applied = append(applied, time.Since(start).Round(time.Minute).String()+" "+kind)
			return store.ImportSummary{Unchanged: len(in)}, nil
		})
		p, err := New(Config{URL: "http://central.test/ko/api/1/", Format: PIV1, Interval: 10 * time.Minute, FullInterval: time.Hour},
			apply, Options{HTTPClient: &http.Client{Transport: handlerTransport{http.HandlerFunc(src.serve)}}})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error)
		go func() { done <- p.Run(ctx) }()

		time.Sleep(65 * time.Minute) // replace at 0 and 60, 304s at 10…50
		src.mu.Lock()
		src.status = http.StatusBadGateway // 70…110 fail, and the replace due at 120…
		src.mu.Unlock()
		time.Sleep(60 * time.Minute)
		src.mu.Lock()
		src.status = 0 // …and is made at 130
		src.mu.Unlock()
		time.Sleep(10 * time.Minute)
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run = %v", err)
		}
		want := []string{"0s replace", "1h0m0s replace", "2h10m0s replace"}
		if d := cmp.Diff(want, applied); d != "" {
			t.Errorf("applied (-want +got):\n%s", d)
		}
		if got := src.count(); got != 14 { // 0,10,…,130 minutes
			t.Errorf("%d requests, want 14", got)
		}
		for i := 1; i < 6; i++ {
			if ims := src.request(i).Header.Get("If-Modified-Since"); ims != lm1 {
				t.Errorf("request %d: If-Modified-Since %q, want %q", i, ims, lm1)
			}
		}
		if st := p.Status(); st.Failures != 6 || st.LastError != "" || st.Pulls != 14 {
			t.Errorf("status %+v", st)
		}
	})
}
