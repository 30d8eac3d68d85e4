package api_test

import (
	"bufio"
	"log/slog"
	"net/http/httptest"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/stadsnat/accessd/api"
	"github.com/stadsnat/accessd/api/atlas"
	"github.com/stadsnat/accessd/api/cubit"
	"github.com/stadsnat/accessd/api/internal/web"
	"github.com/stadsnat/accessd/api/noc"
	"github.com/stadsnat/accessd/api/noc/noctest"
	"github.com/stadsnat/accessd/api/piapi"
	"github.com/stadsnat/accessd/api/piv1"
	"github.com/stadsnat/accessd/store"
)

// Every group api.New mounts, whatever its authentication, counts and
// throttles failed logins in the one guard: HTTP Basic (PI V1, PI-API,
// the NOC pages — mounted as the daemon mounts them, through their own
// Routes: Auth "noc", OnlyIfGranted; /metrics when http.metrics_public
// is false) and the import API's api-key. The 429 is in each group's
// error format and carries Retry-After.
func TestEveryGroupIsGuarded(t *testing.T) {
	db, err := store.Open(filepath.Join(t.TempDir(), store.FileName), store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	nh, err := noc.New(noc.Options{Source: noctest.New()})
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	log := slog.New(slog.DiscardHandler)
	ah, err := atlas.New(atlas.Config{APIUser: "atlas", APIKey: "k", AllowedIPs: []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")}},
		nil, nil, nil, log)
	if err != nil {
		t.Fatal(err)
	}
	h := api.New(api.Options{Users: []api.User{{Name: "sp", Password: "pw", APIs: []string{"pi-v1", "pi-api", "noc", "metrics"}}},
		Log: log, Guard: api.NewGuard(reg, log), Gatherer: reg, MetricsAuth: true},
		piv1.New(db), piapi.New(piapi.Deps{DB: db}), nh,
		cubit.New(cubit.Deps{DB: db, Environment: "prod", Keys: map[string]string{"prod": "k-prod"}, Log: log}), ah)
	for i, tc := range []struct {
		api, path string
		hdr       [2]string
		format    string // of the 429
	}{
		{"pi-v1", "/ko/api/1/", [2]string{"Authorization", basicHeader("sp", "wrong")}, "text/plain"},
		{"pi-api", "/api/2.3/accesses/", [2]string{"Authorization", basicHeader("sp", "wrong")}, "application/json"},
		{"noc", "/noc/", [2]string{"Authorization", basicHeader("sp", "wrong")}, "text/html"},
		{"import", "/api/access/environment/prod/byid/X", [2]string{"api-key", "guess"}, "application/json"},
		{"atlas", "/atlas/api?method=port_status&socket=X&api_user=atlas&api_key=guess", [2]string{"X-Test", "1"}, "text/plain"},
		{"metrics", "/metrics", [2]string{"Authorization", basicHeader("sp", "wrong")}, "text/plain"},
	} {
		from := "192.0.2." + string(rune('1'+i)) + ":4000"
		codes := map[int]int{}
		var last *httptest.ResponseRecorder
		for range 50 {
			req := httptest.NewRequest("GET", tc.path, nil)
			req.RemoteAddr = from
			req.Header.Set(tc.hdr[0], tc.hdr[1])
			last = httptest.NewRecorder()
			h.ServeHTTP(last, req)
			codes[last.Code]++
		}
		if codes[401] != web.GuardBurst || codes[429] != 50-web.GuardBurst {
			t.Errorf("%s: answers %v, want %d × 401 then 429", tc.api, codes, web.GuardBurst)
		}
		if ra := last.Header().Get("Retry-After"); ra == "" || !strings.HasPrefix(last.Header().Get("Content-Type"), tc.format) {
			t.Errorf("%s: 429 with Retry-After %q, Content-Type %q", tc.api, ra, last.Header().Get("Content-Type"))
		}
	}
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "/metrics", nil)
	req.RemoteAddr = "192.0.2.200:4000" // a source no case above throttled
	req.Header.Set("Authorization", basicHeader("sp", "pw"))
	h.ServeHTTP(rec, req)
	got := map[string]bool{}
	for sc := bufio.NewScanner(rec.Body); sc.Scan(); {
		if strings.HasPrefix(sc.Text(), "accessd_auth_failures_total{") {
			got[sc.Text()] = true
		}
	}
	for _, want := range []string{`accessd_auth_failures_total{api="pi-v1"} 10`, `accessd_auth_failures_total{api="pi-api"} 10`,
		`accessd_auth_failures_total{api="noc"} 10`, `accessd_auth_failures_total{api="import"} 10`,
		`accessd_auth_failures_total{api="atlas"} 10`, `accessd_auth_failures_total{api="metrics"} 10`} {
		if !got[want] {
			t.Errorf("metrics lack %s: %v", want, got)
		}
	}
}

func basicHeader(user, pass string) string {
	r := httptest.NewRequest("GET", "/", nil)
	r.SetBasicAuth(user, pass)
	return r.Header.Get("Authorization")
}

// Before any failure, /metrics lists the failure and throttle counters of
// every guarded group at 0: an alert or a rate over them works from the
// start, not from the first wrong password.
func TestGuardCountersStartAtZero(t *testing.T) {
	db, err := store.Open(filepath.Join(t.TempDir(), store.FileName), store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	reg := prometheus.NewRegistry()
	log := slog.New(slog.DiscardHandler)
	h := api.New(api.Options{Users: []api.User{{Name: "sp", Password: "pw", APIs: []string{"pi-v1", "pi-api", "metrics"}}},
		Log: log, Guard: api.NewGuard(reg, log), Gatherer: reg, MetricsAuth: true},
		piv1.New(db), piapi.New(piapi.Deps{DB: db}))
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "/metrics", nil)
	req.Header.Set("Authorization", basicHeader("sp", "pw"))
	h.ServeHTTP(rec, req)
	for _, want := range []string{`accessd_auth_failures_total{api="pi-v1"} 0`, `accessd_auth_failures_total{api="pi-api"} 0`,
		`accessd_auth_failures_total{api="metrics"} 0`, `accessd_auth_throttled_total{api="pi-api"} 0`} {
		if !strings.Contains(rec.Body.String(), want+"\n") {
			t.Errorf("metrics lack %s:\n%s", want, rec.Body)
		}
	}
}

// Atlas's remembered api_user and api_key do not get past the guard: a
// source that failed too often is answered 429 even with the pair that
// checked out (and is remembered) from another source, which still gets
// its answer.
func TestAtlasRememberedPairIsStillThrottled(t *testing.T) {
	reg := prometheus.NewRegistry()
	log := slog.New(slog.DiscardHandler)
	ah, err := atlas.New(atlas.Config{APIUser: "atlas", APIKey: "k", AllowedIPs: []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")}},
		nil, nil, nil, log)
	if err != nil {
		t.Fatal(err)
	}
	h := api.New(api.Options{Log: log, Guard: api.NewGuard(reg, log)}, ah)
	get := func(from, key string) int {
		req := httptest.NewRequest("GET", "/atlas/api?method=bogus&api_user=atlas&api_key="+key, nil)
		req.RemoteAddr = from
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code
	}
	// (An unknown method: 400 once authorized, 401 when not.)
	if got := get("192.0.2.1:4000", "k"); got != 400 {
		t.Fatalf("the right pair: %d, want 400", got)
	}
	for range web.GuardBurst {
		if got := get("192.0.2.2:4000", "guess"); got != 401 {
			t.Fatalf("a wrong key: %d, want 401", got)
		}
	}
	if got := get("192.0.2.2:4000", "k"); got != 429 {
		t.Errorf("the remembered pair from a throttled source: %d, want 429", got)
	}
	if got := get("192.0.2.1:4000", "k"); got != 400 {
		t.Errorf("the remembered pair from another source: %d, want 400", got)
	}
}
