package atlas

import (
	"fmt"
	"log/slog"
	"net/http/httptest"
	"net/netip"
	"sync"
	"testing"
)

func newAuthHandler(t testing.TB, user, key string) *Handler {
	t.Helper()
	h, err := New(Config{APIUser: user, APIKey: key, AllowedIPs: []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")}},
		nil, nil, nil, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// TestAuthorizedRemembers: the pair that checked out is remembered and
// answers without a digest or an allocation; a wrong key, a wrong user or
// a prefix of the key is checked in full every time and never
// remembered; HTTP Basic with the same pair is the same pair; a new
// configuration (a new Handler) remembers nothing of the old one.
func TestAuthorizedRemembers(t *testing.T) {
	h := newAuthHandler(t, "atlas", "secretkey")
	call := func(h *Handler, user, key string) bool {
		r := httptest.NewRequest("GET", "/atlas/api", nil)
		return h.authorized(r, Call{APIUser: user, APIKey: key})
	}
	if _, ok := h.ok.Lookup(apiCredentials{"atlas", "secretkey"}); ok {
		t.Fatal("a new handler remembers a pair")
	}
	for _, bad := range [][2]string{{"atlas", "secretkex"}, {"atlas", "secret"}, {"atlaz", "secretkey"}, {"", ""}, {"atlas", ""}} {
		for range 2 {
			if call(h, bad[0], bad[1]) {
				t.Errorf("%q accepted", bad)
			}
		}
		if _, ok := h.ok.Lookup(apiCredentials{bad[0], bad[1]}); ok {
			t.Errorf("%q remembered", bad)
		}
	}
	if !call(h, "atlas", "secretkey") {
		t.Fatal("the right pair refused")
	}
	if _, ok := h.ok.Lookup(apiCredentials{"atlas", "secretkey"}); !ok {
		t.Error("the right pair is not remembered")
	}
	if !call(h, "atlas", "secretkey") {
		t.Error("the remembered pair refused")
	}
	if call(h, "atlas", "secretkeyx") || call(h, "Atlas", "secretkey") {
		t.Error("a pair close to the remembered one accepted")
	}
	r := httptest.NewRequest("GET", "/atlas/api", nil)
	r.SetBasicAuth("atlas", "secretkey")
	if !h.authorized(r, Call{}) {
		t.Error("HTTP Basic with the right pair refused")
	}
	if n := h.ok.Len(); n != 1 {
		t.Errorf("%d pairs remembered, want 1", n)
	}
	// A reloaded configuration with another key: the old pair is checked
	// against the new key, not taken from the old handler's memory.
	if call(newAuthHandler(t, "atlas", "newkey"), "atlas", "secretkey") {
		t.Error("the old key accepted by a new configuration")
	}
	// Without an API user nothing is accepted, remembered or not.
	if call(newAuthHandler(t, "", ""), "", "") {
		t.Error("an empty pair accepted without an API user")
	}
	c := Call{APIUser: "atlas", APIKey: "secretkey"}
	if a := testing.AllocsPerRun(100, func() { h.authorized(r, c) }); a != 0 {
		t.Errorf("a remembered pair: %v allocations", a)
	}
}

// TestAuthorizedConcurrent: right and wrong pairs checked from many
// goroutines at once (run with -race) leave exactly the right pair
// remembered, and no wrong one is ever accepted.
func TestAuthorizedConcurrent(t *testing.T) {
	h := newAuthHandler(t, "atlas", "secretkey")
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			r := httptest.NewRequest("GET", "/atlas/api", nil)
			for i := range 200 {
				if !h.authorized(r, Call{APIUser: "atlas", APIKey: "secretkey"}) {
					t.Error("the right pair refused")
					return
				}
				if h.authorized(r, Call{APIUser: "atlas", APIKey: fmt.Sprintf("guess-%d-%d", g, i)}) {
					t.Error("a wrong key accepted")
					return
				}
			}
		})
	}
	wg.Wait()
	if n := h.ok.Len(); n != 1 {
		t.Errorf("%d pairs remembered, want 1", n)
	}
}
