package memsys

import (
	"compress/gzip"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stadsnat/accessd/cmd/internal/admin"
)

// TestCPUProfile takes a short CPU profile through the admin mux: a
// gzipped protocol buffer (pprof's format) after about the seconds asked; a second one
// while it runs is refused with 409, and a bad ?seconds is a 400 naming it.
func TestCPUProfile(t *testing.T) {
	m := admin.NewMux(slog.New(slog.DiscardHandler))
	registerProfiles(m)
	srv := httptest.NewServer(m)
	defer srv.Close()

	for _, bad := range []string{"0", "-1", "x", "301"} {
		resp, err := http.Get(srv.URL + PathProfile + "profile?seconds=" + bad)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("seconds=%s: %d, want 400", bad, resp.StatusCode)
		}
	}

	type result struct {
		resp *http.Response
		err  error
	}
	first := make(chan result, 1)
	start := time.Now()
	go func() {
		r, err := http.Get(srv.URL + PathProfile + "profile?seconds=1")
		first <- result{r, err}
	}()
	time.Sleep(200 * time.Millisecond) // the first has started profiling
	resp, err := http.Get(srv.URL + PathProfile + "profile?seconds=1")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusConflict {
		t.Errorf("a second profile at the same time: %d, want 409", resp.StatusCode)
	}

	r := <-first
	if r.err != nil {
		t.Fatal(r.err)
	}
	defer r.resp.Body.Close()
	if r.resp.StatusCode != http.StatusOK {
		t.Fatalf("profile: %d", r.resp.StatusCode)
	}
	if took := time.Since(start); took < time.Second {
		t.Errorf("a 1 s profile answered after %v", took)
	}
	z, err := gzip.NewReader(r.resp.Body)
	if err != nil {
		t.Fatalf("not a gzipped profile: %v", err)
	}
	if b, err := io.ReadAll(z); err != nil || len(b) == 0 {
		t.Fatalf("profile: %d bytes, %v", len(b), err)
	}
}

// TestCPUProfileEndsWithItsClient stops profiling when the client goes
// away, so that the next profile can start.
func TestCPUProfileEndsWithItsClient(t *testing.T) {
	m := admin.NewMux(slog.New(slog.DiscardHandler))
	registerProfiles(m)
	srv := httptest.NewServer(m)
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+PathProfile+"profile?seconds=300", nil)
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		t.Fatal("a 300 s profile answered within 300 ms")
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get(srv.URL + PathProfile + "profile?seconds=1")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the next profile is still refused (%d) after its predecessor's client left", resp.StatusCode)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
