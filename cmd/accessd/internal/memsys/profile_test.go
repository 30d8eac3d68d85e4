package memsys

import (
	"compress/gzip"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime/pprof"
	"testing"
	"time"

	"github.com/stadsnat/accessd/cmd/internal/admin"
)

// TestCPUProfile takes a short CPU profile through the admin mux: a
// gzipped protocol buffer (pprof's format) after about the seconds asked;
// one asked while another runs is refused with 409, and a bad ?seconds is
// a 400 naming it.
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

	// While another CPU profile runs (taken here, so that the order is
	// certain), a request is refused with 409.
	if err := pprof.StartCPUProfile(io.Discard); err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(srv.URL + PathProfile + "profile?seconds=1")
	pprof.StopCPUProfile()
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusConflict {
		t.Errorf("a profile while another runs: %d, want 409", resp.StatusCode)
	}

	start := time.Now()
	first, err := http.Get(srv.URL + PathProfile + "profile?seconds=1")
	if err != nil {
		t.Fatal(err)
	}
	defer first.Body.Close()
	if first.StatusCode != http.StatusOK {
		t.Fatalf("profile: %d", first.StatusCode)
	}
	if took := time.Since(start); took < time.Second {
		t.Errorf("a 1 s profile answered after %v", took)
	}
	z, err := gzip.NewReader(first.Body)
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
