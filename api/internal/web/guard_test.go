package web

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

func counter(t *testing.T, c prometheus.Counter) float64 {
	t.Helper()
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetCounter().GetValue()
}

type logLines struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *logLines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logLines) count(sub string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Count(l.b.String(), sub)
}

func (l *logLines) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// basicRoute is an HTTP Basic route over users u, throttled by g.
func basicRoute(g *Guard, trusted ...netip.Prefix) http.Handler {
	users := NewUsers([]User{{Name: "sp", Password: "right", APIs: []string{GroupPIAPI}}}).WithThrottle(g.Throttle(trusted))
	return BasicAuth(users, GroupPIAPI, JSONCause, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
}

func try(h http.Handler, from, user, pass string, hdr ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest("GET", "/api/2.3/accesses/", nil)
	r.RemoteAddr = from
	r.SetBasicAuth(user, pass)
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Set(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// A source may fail GuardBurst times; then it gets 429 with Retry-After,
// even with the right password, until a refill lets it try once more.
// Another source is not affected. Every failure is counted; the log has
// at most guardLogLines failure lines a minute and a summary.
func TestGuardThrottlesASource(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var logs logLines
		reg := prometheus.NewRegistry()
		g := NewGuard(reg, slog.New(slog.NewTextHandler(&logs, nil)))
		h := basicRoute(g)
		const attacker, other = "192.0.2.7:40000", "198.51.100.1:40000"
		for i := range GuardBurst {
			if w := try(h, attacker, "sp", "wrong"); w.Code != http.StatusUnauthorized {
				t.Fatalf("failure %d: %d", i+1, w.Code)
			}
		}
		for range 1000 {
			w := try(h, attacker, "sp", "wrong")
			if w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") == "" || !strings.Contains(w.Body.String(), `"cause":"too many failed`) {
				t.Fatalf("after the burst: %d %v %s", w.Code, w.Header(), w.Body)
			}
		}
		if w := try(h, attacker, "sp", "right"); w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") != "6" {
			t.Errorf("the right password while throttled: %d, Retry-After %q", w.Code, w.Header().Get("Retry-After"))
		}
		if w := try(h, other, "sp", "right"); w.Code != http.StatusOK {
			t.Errorf("another source: %d", w.Code)
		}
		time.Sleep(GuardRefill)
		if w := try(h, attacker, "sp", "right"); w.Code != http.StatusOK {
			t.Errorf("after one refill: %d %s", w.Code, w.Body)
		}
		if got := counter(t, g.failures.WithLabelValues(GroupPIAPI)); got != GuardBurst {
			t.Errorf("accessd_auth_failures_total = %v, want %d (a throttled request checks no password)", got, GuardBurst)
		}
		if got := counter(t, g.throttled.WithLabelValues(GroupPIAPI)); got != 1001 {
			t.Errorf("accessd_auth_throttled_total = %v", got)
		}
		for range 30 {
			time.Sleep(GuardRefill)
			try(h, attacker, "sp", "wrong")
		}
		time.Sleep(time.Minute)
		try(h, attacker, "sp", "wrong")
		// 1,041 failed or throttled attempts over five minutes: at most
		// guardLogLines failure lines in each.
		if n := logs.count("msg=\"authentication failed\""); n > 5*guardLogLines {
			t.Errorf("%d failure lines logged in five minutes", n)
		}
		if logs.count("more failed authentications were not logged") == 0 || strings.Contains(logs.String(), "wrong") {
			t.Errorf("no summary line, or a password in the log:\n%s", logs.String())
		}
		if !strings.Contains(logs.String(), `user="\"sp\""`) || !strings.Contains(logs.String(), "source=192.0.2.7") {
			t.Errorf("the log does not name the user and the source:\n%s", logs.String())
		}
	})
}

// Behind a trusted proxy the client is X-Forwarded-For's; IPv6 sources are
// throttled by their /64.
func TestGuardKeys(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		proxy := netip.MustParsePrefix("10.0.0.1/32")
		h := basicRoute(NewGuard(nil, nil), proxy)
		for range GuardBurst {
			try(h, "10.0.0.1:1000", "sp", "wrong", "X-Forwarded-For", "192.0.2.9")
		}
		if w := try(h, "10.0.0.1:1000", "sp", "right", "X-Forwarded-For", "192.0.2.9"); w.Code != http.StatusTooManyRequests {
			t.Errorf("the client behind the proxy: %d", w.Code)
		}
		if w := try(h, "10.0.0.1:1000", "sp", "right", "X-Forwarded-For", "192.0.2.10"); w.Code != http.StatusOK {
			t.Errorf("another client behind the proxy: %d", w.Code)
		}
		for i := range GuardBurst {
			try(h, fmt.Sprintf("[2001:db8:1:2::%x]:1000", i+1), "sp", "wrong")
		}
		if w := try(h, "[2001:db8:1:2::ff]:1000", "sp", "right"); w.Code != http.StatusTooManyRequests {
			t.Errorf("another address of the same /64: %d", w.Code)
		}
		if w := try(h, "[2001:db8:1:3::1]:1000", "sp", "right"); w.Code != http.StatusOK {
			t.Errorf("another /64: %d", w.Code)
		}
	})
}

// A route that authenticates itself reports its failures with AuthFailed
// and is throttled the same way; without a guard nothing changes.
func TestGuardSelfAuth(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := NewGuard(nil, nil)
		h := g.Throttle(nil).Wrap(GroupImport, JSONCause, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("api-key") != "k" {
				if tm := AuthFailed(w, r, GroupImport, "api-key"); tm != nil {
					JSONCause(w, r, tm)
					return
				}
				w.WriteHeader(http.StatusUnauthorized)
			}
		}))
		codes := map[int]int{}
		for range 100 {
			r := httptest.NewRequest("POST", "/api/import/prod/access", nil)
			r.RemoteAddr = "192.0.2.1:5"
			r.Header.Set("api-key", "guess")
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			codes[w.Code]++
		}
		if codes[http.StatusUnauthorized] != GuardBurst || codes[http.StatusTooManyRequests] != 100-GuardBurst {
			t.Errorf("answers %v", codes)
		}
		var none *Throttle
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = "192.0.2.1:5"
		w := httptest.NewRecorder()
		none.Wrap(GroupImport, JSONCause, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if AuthFailed(w, r, GroupImport, "") != nil { // no guard in the context: nothing
				t.Error("AuthFailed without a guard answered 429")
			}
		})).ServeHTTP(w, r)
		if w.Code != http.StatusOK {
			t.Errorf("without a guard: %d", w.Code)
		}
	})
}

// Requests of one source checked at the same time cannot stretch its
// allowance: 40 wrong keys all let in before any failed (the source had
// none on record) give GuardBurst 401s and 429s for the rest, each 429
// with Retry-After, counted as throttled, not as failures.
func TestGuardConcurrentFailures(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		reg := prometheus.NewRegistry()
		g := NewGuard(reg, nil)
		const n = 40
		var arrived sync.WaitGroup
		arrived.Add(n)
		release := make(chan struct{})
		h := g.Throttle(nil).Wrap(GroupImport, JSONCause, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			arrived.Done()
			<-release // every request passed the guard before any fails
			if tm := AuthFailed(w, r, GroupImport, "api-key"); tm != nil {
				JSONCause(w, r, tm)
				return
			}
			w.WriteHeader(http.StatusUnauthorized)
		}))
		var mu sync.Mutex
		codes := map[int]int{}
		var done sync.WaitGroup
		for range n {
			done.Go(func() {
				r := httptest.NewRequest("POST", "/api/import/prod/access", nil)
				r.RemoteAddr = "192.0.2.7:5"
				w := httptest.NewRecorder()
				h.ServeHTTP(w, r)
				if w.Code == http.StatusTooManyRequests && w.Header().Get("Retry-After") == "" {
					t.Error("a 429 without Retry-After")
				}
				mu.Lock()
				codes[w.Code]++
				mu.Unlock()
			})
		}
		arrived.Wait()
		close(release)
		done.Wait()
		if codes[http.StatusUnauthorized] != GuardBurst || codes[http.StatusTooManyRequests] != n-GuardBurst {
			t.Errorf("answers %v, want %d × 401 and %d × 429", codes, GuardBurst, n-GuardBurst)
		}
		if got := counter(t, g.failures.WithLabelValues(GroupImport)); got != GuardBurst {
			t.Errorf("failures counted %v, want %d", got, GuardBurst)
		}
		if got := counter(t, g.throttled.WithLabelValues(GroupImport)); got != n-GuardBurst {
			t.Errorf("throttled counted %v, want %d", got, n-GuardBurst)
		}
	})
}

// The table of sources stays bounded.
func TestGuardForgets(t *testing.T) {
	g := NewGuard(nil, nil)
	for i := range guardSources + 100 {
		g.fail(GroupPIAPI, netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}), "x")
	}
	if n := len(g.sources); n > guardSources {
		t.Errorf("%d sources remembered", n)
	}
}
