package web

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Failed logins: a source address may fail GuardBurst times at once, then
// once per GuardRefill (ten a minute); beyond that every request of a
// guarded route from it answers 429 with Retry-After, before any
// credential is checked, until it may try again. Requests of one source
// checked at the same time cannot stretch the allowance: a wrong
// credential whose check ends after the source ran out answers 429, not
// 401, and so does a right one (Throttle.Failed, Authenticate).
const (
	GuardBurst  = 10
	GuardRefill = 6 * time.Second
	// guardSources bounds the sources remembered; a full table forgets
	// those that may fail a whole burst again, then any.
	guardSources = 10000
	// guardLogLines bounds the failed-login lines logged a minute; the
	// rest are counted in a summary line.
	guardLogLines = 10
)

// Guard watches failed authentications of every API group the router
// mounts, whatever the scheme (HTTP Basic, the import API's api-key,
// Atlas's API user): it counts them (accessd_auth_failures_total{api}),
// logs them at warn rate-limited (user name and source address, never the
// password or key), and throttles a source address after a burst of
// failures. Make one per process (NewGuard registers its metrics) and
// hand it to every router: the counts and the throttling survive a
// reload.
type Guard struct {
	log       *slog.Logger
	failures  *prometheus.CounterVec
	throttled *prometheus.CounterVec
	now       func() time.Time

	// watched is len(sources), read without mu: while no source has a
	// failure on record (nearly always), a request is let through
	// without parsing its address or taking mu.
	watched atomic.Int64

	mu      sync.Mutex
	sources map[netip.Addr]*allowance
	// the log's rate limit: lines logged in the minute from logStart,
	// and failures not logged since the last summary.
	logStart  time.Time
	logLines  int
	unlogged  int
	blockLogs map[netip.Addr]time.Time // last "now throttled" line per source
}

// allowance is a source's token bucket of failures.
type allowance struct {
	tokens float64
	at     time.Time
}

// NewGuard makes a Guard and registers its metrics on reg (nil: not
// registered).
func NewGuard(reg prometheus.Registerer, log *slog.Logger) *Guard {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	g := &Guard{
		log: log, now: time.Now, sources: map[netip.Addr]*allowance{}, blockLogs: map[netip.Addr]time.Time{},
		failures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "accessd_auth_failures_total", Help: "Failed authentications (wrong password, api-key or API user), by API group.",
		}, []string{"api"}),
		throttled: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "accessd_auth_throttled_total", Help: "Requests answered 429 because their source failed to authenticate too often, by API group.",
		}, []string{"api"}),
	}
	if reg != nil {
		reg.MustRegister(g.failures, g.throttled)
	}
	return g
}

// key is what a source is throttled by: its address, or for IPv6 its /64
// (one host has them all).
func key(a netip.Addr) netip.Addr {
	if a.Is6() && !a.Is4In6() {
		p, _ := a.Prefix(64)
		return p.Addr()
	}
	return a.Unmap()
}

// refill brings a's tokens up to now.
func (a *allowance) refill(now time.Time) {
	if d := now.Sub(a.at); d > 0 {
		a.tokens = math.Min(GuardBurst, a.tokens+d.Seconds()/GuardRefill.Seconds())
	}
	a.at = now
}

// wait is how long addr must wait before it may try again (0: now).
func (g *Guard) wait(addr netip.Addr) time.Duration {
	g.mu.Lock()
	defer g.mu.Unlock()
	k := key(addr)
	a := g.sources[k]
	if a == nil {
		return 0
	}
	a.refill(g.now())
	if a.tokens >= GuardBurst {
		// A whole burst again: as if it never failed.
		g.forget(k)
		return 0
	}
	if a.tokens >= 1 {
		return 0
	}
	return time.Duration((1 - a.tokens) * float64(GuardRefill))
}

// fail records a failed authentication of user at api from addr. It
// returns 0 when the source had a failure left, which the caller answers
// 401; else how long the source must wait: a request checked while the
// source's other requests used up its allowance, answered 429 and counted
// as throttled, not as one more failure.
func (g *Guard) fail(api string, addr netip.Addr, user string) time.Duration {
	now := g.now()
	g.mu.Lock()
	defer g.mu.Unlock()
	k := key(addr)
	a := g.sources[k]
	if a == nil {
		g.makeRoom(now)
		a = &allowance{tokens: GuardBurst, at: now}
		g.sources[k] = a
		g.watched.Store(int64(len(g.sources)))
	}
	a.refill(now)
	if a.tokens < 1 {
		g.throttled.WithLabelValues(api).Inc()
		return time.Duration((1 - a.tokens) * float64(GuardRefill))
	}
	g.failures.WithLabelValues(api).Inc()
	a.tokens--
	blocked := a.tokens < 1
	if g.allowLog(now) {
		g.log.Warn("authentication failed", "api", api, "user", clipUser(user), "source", addr.String(), "throttled", blocked)
	}
	if blocked && now.Sub(g.blockLogs[k]) >= time.Minute {
		g.blockLogs[k] = now
		g.log.Warn("a source failed to authenticate too often: its requests answer 429 until it may try again",
			"api", api, "source", addr.String(), "burst", GuardBurst, "then_one_per", GuardRefill.String())
	}
	return 0
}

// allowLog lets guardLogLines lines through a minute and logs a summary of
// the failures it held back. Call with g.mu held.
func (g *Guard) allowLog(now time.Time) bool {
	if now.Sub(g.logStart) >= time.Minute {
		if g.unlogged > 0 {
			g.log.Warn("more failed authentications were not logged (rate limit)", "failures", g.unlogged, "since", g.logStart.UTC().Format(time.RFC3339))
		}
		g.logStart, g.logLines, g.unlogged = now, 0, 0
	}
	if g.logLines < guardLogLines {
		g.logLines++
		return true
	}
	g.unlogged++
	return false
}

// makeRoom keeps the table under guardSources. Call with g.mu held.
func (g *Guard) makeRoom(now time.Time) {
	if len(g.sources) < guardSources {
		return
	}
	for k, a := range g.sources {
		if a.refill(now); a.tokens >= GuardBurst {
			g.forget(k)
		}
	}
	for k := range g.sources {
		if len(g.sources) < guardSources {
			break
		}
		g.forget(k)
	}
}

// forget drops what g remembers of source k. Call with g.mu held.
func (g *Guard) forget(k netip.Addr) {
	delete(g.sources, k)
	delete(g.blockLogs, k)
	g.watched.Store(int64(len(g.sources)))
}

// clipUser bounds a user name in a log line: it is what the client sent.
func clipUser(s string) string {
	if len(s) > 64 {
		return strconv.Quote(s[:64]) + "…"
	}
	return strconv.Quote(s)
}

// Throttle is a Guard as one router uses it: with the proxies whose
// X-Forwarded-For it believes (http.trusted_proxies). A nil Throttle
// does nothing.
type Throttle struct {
	g       *Guard
	trusted []netip.Prefix
	writers sync.Pool // *throttledWriter
}

// Throttle returns the guard for a router that trusts the given proxies
// (nil when g is nil).
func (g *Guard) Throttle(trusted []netip.Prefix) *Throttle {
	if g == nil {
		return nil
	}
	return &Throttle{g: g, trusted: trusted, writers: sync.Pool{New: func() any { return new(throttledWriter) }}}
}

// Watch makes api's failure and throttle counters exist at 0, so that
// /metrics lists them (and a rate over them works) before the first
// failure. The router calls it for every group it guards.
func (t *Throttle) Watch(api string) {
	if t == nil {
		return
	}
	t.g.failures.WithLabelValues(api)
	t.g.throttled.WithLabelValues(api)
}

// Allow answers 429 with Retry-After (in write's format) and returns
// false when the request's source must wait after too many failures.
func (t *Throttle) Allow(w http.ResponseWriter, r *http.Request, api string, write ErrorWriter) bool {
	if t == nil || t.g.watched.Load() == 0 {
		return true
	}
	addr, err := ClientIP(r, t.trusted)
	if err != nil {
		return true // the handler refuses a bad X-Forwarded-For itself
	}
	d := t.g.wait(addr)
	if d <= 0 {
		return true
	}
	t.g.throttled.WithLabelValues(api).Inc()
	if write == nil {
		write = PlainText
	}
	write(w, r, tooMany(w, d))
	return false
}

// tooMany is the 429 of a source that must wait d, with its Retry-After
// set on w.
func tooMany(w http.ResponseWriter, d time.Duration) *Error {
	secs := int(math.Ceil(d.Seconds()))
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	return Errorf(http.StatusTooManyRequests, "too many failed authentications from your address: try again in %d s", secs)
}

// Failed records a failed authentication of user (as sent; "" when none)
// at api. It returns nil when the caller answers 401; else the 429 to
// answer (its Retry-After set on w): the source's other requests, checked
// at the same time, used up its allowance first.
func (t *Throttle) Failed(w http.ResponseWriter, r *http.Request, api, user string) *Error {
	if t == nil {
		return nil
	}
	addr, err := ClientIP(r, t.trusted)
	if err != nil {
		return nil
	}
	if d := t.g.fail(api, addr, user); d > 0 {
		return tooMany(w, d)
	}
	return nil
}

// throttledWriter carries a guarded route's Throttle to AuthFailed
// through the handler's ResponseWriter: a reused struct, where a value in
// the request's context cost a copy of the request on every call.
type throttledWriter struct {
	http.ResponseWriter
	t *Throttle
}

// Unwrap is the writer it wraps (http.ResponseController).
func (w *throttledWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// throttleOf finds the Throttle among w and the writers it wraps.
func throttleOf(w http.ResponseWriter) *Throttle {
	for w != nil {
		if tw, ok := w.(*throttledWriter); ok {
			return tw.t
		}
		u, ok := w.(interface{ Unwrap() http.ResponseWriter })
		if !ok {
			return nil
		}
		w = u.Unwrap()
	}
	return nil
}

// Wrap guards a route whose handler authenticates its callers itself (the
// import API's api-key, Atlas's API user): a throttled source gets 429
// before the handler runs, and the handler reports its failures with
// AuthFailed.
func (t *Throttle) Wrap(api string, write ErrorWriter, h http.Handler) http.Handler {
	if t == nil {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !t.Allow(w, r, api, write) {
			return
		}
		tw := t.writers.Get().(*throttledWriter)
		*tw = throttledWriter{ResponseWriter: w, t: t}
		h.ServeHTTP(tw, r)
		*tw = throttledWriter{}
		t.writers.Put(tw)
	})
}

// AuthFailed is how a handler that authenticates its callers itself
// reports a wrong credential of user (as sent) at api: counted, logged
// rate-limited and throttled like a wrong HTTP Basic password. It returns
// nil when the handler answers its 401; else the 429 to answer instead
// (Throttle.Failed). It does nothing for a request the router did not
// guard.
func AuthFailed(w http.ResponseWriter, r *http.Request, api, user string) *Error {
	if t := throttleOf(w); t != nil {
		return t.Failed(w, r, api, user)
	}
	return nil
}

// ClientIP is the address of the client: the connection's, or when the
// connection comes from a trusted proxy, the right-most address of
// X-Forwarded-For that is not itself a trusted proxy.
func ClientIP(r *http.Request, trusted []netip.Prefix) (netip.Addr, error) {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("connection address %q: %w", r.RemoteAddr, err)
	}
	addr := ap.Addr().Unmap()
	if !inPrefixes(addr, trusted) {
		return addr, nil
	}
	// The entries of every X-Forwarded-For header in order, read from the
	// right without splitting them into a list. (Indexed, not
	// Header.Values: the name is canonical already, and canonicalizing it
	// again cost a bounce a tenth of accessd's own time.)
	vs := r.Header["X-Forwarded-For"]
	for h := len(vs) - 1; h >= 0; h-- {
		rest := vs[h]
		for {
			entry := rest
			i := strings.LastIndexByte(rest, ',')
			if i >= 0 {
				entry, rest = rest[i+1:], rest[:i]
			}
			a, err := netip.ParseAddr(strings.TrimSpace(entry))
			if err != nil {
				return netip.Addr{}, errors.New("X-Forwarded-For from a trusted proxy has an entry that is not an address")
			}
			a = a.Unmap()
			if !inPrefixes(a, trusted) || i < 0 && h == 0 {
				return a, nil
			}
			if i < 0 {
				break
			}
		}
	}
	return addr, nil
}

func inPrefixes(a netip.Addr, ps []netip.Prefix) bool {
	for _, p := range ps {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
