package web

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

// TestAuthenticateRemembers: a value that checked out is remembered as
// sent and answers without a digest; a wrong password, another spelling
// of the scheme and a value of a user removed by a new configuration are
// each checked in full; the set stays bounded.
func TestAuthenticateRemembers(t *testing.T) {
	u := NewUsers([]User{{Name: "sp", Password: "pw", APIs: []string{"pi-api"}}})
	get := func(users *Users, auth string) int {
		r := httptest.NewRequest("GET", "/x", nil)
		r.Header.Set("Authorization", auth)
		w := httptest.NewRecorder()
		Authenticate(users, Route{Auth: "pi-api", Errors: PlainText, NoUser: true}, http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})).ServeHTTP(w, r)
		return w.Code
	}
	right := "Basic " + base64.StdEncoding.EncodeToString([]byte("sp:pw"))
	wrong := "Basic " + base64.StdEncoding.EncodeToString([]byte("sp:px"))
	if got := get(u, right); got != 200 {
		t.Fatalf("right password: %d", got)
	}
	if _, ok := u.ok.Lookup(right); !ok {
		t.Error("a value that checked out is not remembered")
	}
	for range 2 {
		if got := get(u, wrong); got != http.StatusUnauthorized {
			t.Errorf("wrong password: %d, want 401", got)
		}
	}
	if _, ok := u.ok.Lookup(wrong); ok {
		t.Error("a wrong password is remembered")
	}
	lower := "basic " + base64.StdEncoding.EncodeToString([]byte("sp:pw"))
	if _, ok := u.ok.Lookup(lower); ok {
		t.Error("another spelling is taken for the one that checked out")
	}
	if got := get(u, lower); got != 200 {
		t.Errorf("lower-case scheme: %d", got)
	}
	if got := get(u, right); got != 200 {
		t.Errorf("remembered value: %d", got)
	}
	// A new configuration (the router's Users are rebuilt on reload)
	// without the user remembers nothing of the old one.
	if got := get(NewUsers([]User{{Name: "other", Password: "pw", APIs: []string{"pi-api"}}}), right); got != http.StatusUnauthorized {
		t.Errorf("a removed user's remembered value: %d, want 401", got)
	}
	r := httptest.NewRequest("GET", "/x", nil)
	r.Header.Set("Authorization", right)
	rec := httptest.NewRecorder()
	if a := testing.AllocsPerRun(100, func() { u.authenticate(rec, r, "pi-api") }); a != 0 {
		t.Errorf("a remembered value: %v allocations", a)
	}
}

// TestVerifiedBounded: the set never holds more than maxVerified values,
// remembered from many goroutines at once.
func TestVerifiedBounded(t *testing.T) {
	var v verified
	e := &userEntry{}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 100 {
				k := fmt.Sprintf("Basic %d-%d", g, i)
				v.Remember(k, e)
				v.Lookup(k)
			}
		})
	}
	wg.Wait()
	if n := len(*v.set.Load()); n == 0 || n > maxVerified {
		t.Errorf("%d values remembered, want 1..%d", n, maxVerified)
	}
	v.Remember("Basic last", e)
	if _, ok := v.Lookup("Basic last"); !ok {
		t.Error("the value remembered last is not there")
	}
}
