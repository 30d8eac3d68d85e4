// Package api is accessd's one HTTP router. Every API group (Com Hem PI
// V1, PI-API 2.2/2.3, ON-API 2.6, Atlas Tjänsteguiden, the KO's inventory
// import in Cubit's conventions, the NOC pages, …) is a value its package
// builds with its dependencies and that lists its routes; New mounts them
// all the same way: metrics per group, HTTP Basic per group where the
// route asks for it (one authentication, and one handling of its
// failures, for every group), errors in the group's format. A route that
// asks for it (the NOC pages) is mounted only when some user may call it.
// The router knows no group; it adds only the health and metrics endpoints
// and the answer for unknown paths under /api/.
package api

import (
	"log/slog"
	"net/http"
	"net/netip"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/stadsnat/accessd/api/internal/web"
)

// User is an HTTP Basic user of the service-provider APIs.
type User = web.User

// Group is an API group: a value that lists its routes.
type Group = web.Group

// API group names, as users[].apis spells them.
const (
	GroupPIV1  = web.GroupPIV1
	GroupPIAPI = web.GroupPIAPI
	GroupONAPI = web.GroupONAPI
	// GroupMetrics is the users[].apis name that may read /metrics when it
	// is not public.
	GroupMetrics = "metrics"
	GroupNOC     = web.GroupNOC
)

// Options is what the router itself needs; the groups bring the rest.
type Options struct {
	Users    []User
	Log      *slog.Logger
	Metrics  *Metrics            // HTTP request metrics; nil = not counted
	Gatherer prometheus.Gatherer // for /metrics; nil = no /metrics
	// MetricsAuth makes /metrics answer only users with the "metrics" API
	// (HTTP Basic); false = open to anyone who reaches the listener.
	MetricsAuth bool
	Ready       func() error // nil error = ready
	// ReadyNotes are lines /readyz adds after "ready" (nil: none).
	ReadyNotes func() []string
	// Guard counts, logs and throttles failed logins of every group
	// (made once per process: NewGuard); nil = none.
	Guard *Guard
	// TrustedProxies are the proxies whose X-Forwarded-For names the
	// client (http.trusted_proxies): the address the Guard throttles.
	TrustedProxies []netip.Prefix
}

// Guard watches failed logins: see web.Guard.
type Guard = web.Guard

// NewGuard makes the process's Guard and registers its metrics on reg.
func NewGuard(reg prometheus.Registerer, log *slog.Logger) *Guard { return web.NewGuard(reg, log) }

// router mounts routes on one mux.
type router struct {
	mux      *http.ServeMux
	patterns []string    // every pattern mounted on mux
	fast     []fastRoute // the mounted routes fastRoutes may take
	users    *web.Users
	throttle *web.Throttle
	log      *slog.Logger
	metrics  *Metrics
}

// New builds the router: the health endpoints, every route of the groups
// in their order, then what the groups index (ON-API's endpoint list) and
// the answer for unknown paths under /api/.
func New(o Options, groups ...Group) http.Handler {
	if o.Metrics == nil {
		o.Metrics = NewMetrics(nil)
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	th := o.Guard.Throttle(o.TrustedProxies)
	rt := &router{mux: http.NewServeMux(), users: web.NewUsers(o.Users).WithThrottle(th), throttle: th, log: o.Log, metrics: o.Metrics}
	for _, r := range health(o) {
		rt.mount(r)
	}
	var all []web.Route
	for _, g := range groups {
		for _, r := range g.Routes() {
			if r.OnlyIfGranted && !rt.users.Grants(r.Auth) {
				continue // off: no user may call it
			}
			all = append(all, r)
		}
	}
	for _, r := range all {
		rt.mount(r)
	}
	for _, g := range groups {
		if ix, ok := g.(web.Indexer); ok {
			for _, r := range ix.Index(all) {
				rt.mount(r)
			}
		}
	}
	rt.mount(web.Route{Pattern: "/api/", Subtree: true, Group: "unknown", Handler: http.HandlerFunc(rt.apiFallback)})
	return handler{fast: newFastRoutes(rt.fast, rt.patterns), mux: rt.mux, patterns: rt.patterns}
}

// mount registers one route: its handler adapted to its error format,
// behind HTTP Basic when it names an API, counted in its group. Failed
// logins of every authenticated route, HTTP Basic or the handler's own
// (SelfAuth), go to the one Guard.
func (rt *router) mount(r web.Route) {
	h := r.Handler
	if r.Handle != nil {
		h = web.Adapter{Log: rt.log, Write: r.Errors}.Handle(r.Handle)
	}
	switch {
	case r.Auth != "":
		rt.throttle.Watch(r.Auth)
		h = web.Authenticate(rt.users, r, h)
	case r.SelfAuth:
		rt.throttle.Watch(r.Group)
		h = rt.throttle.Wrap(r.Group, r.Errors, h)
	}
	pattern := r.Pattern
	if !r.Subtree && strings.HasSuffix(pattern, "/") {
		pattern += "{$}"
	}
	h = rt.metrics.wrap(r.Group, h)
	rt.mux.Handle(pattern, h)
	rt.patterns = append(rt.patterns, pattern)
	if c, ok := candidate(pattern, h); ok {
		rt.fast = append(rt.fast, c)
	}
}

// health are the router's own routes: liveness, readiness and metrics.
func health(o Options) []web.Route {
	rs := []web.Route{
		{Pattern: "GET /livez", Group: web.GroupHealth, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.Write([]byte("ok\n"))
		})},
		{Pattern: "GET /readyz", Group: web.GroupHealth, Errors: web.PlainText, Handle: func(w http.ResponseWriter, r *http.Request) error {
			if o.Ready != nil {
				if err := o.Ready(); err != nil {
					return web.Errorf(http.StatusServiceUnavailable, "not ready: %v", err)
				}
			}
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			body := "ready\n"
			if o.ReadyNotes != nil {
				for _, n := range o.ReadyNotes() {
					body += n + "\n"
				}
			}
			_, err := w.Write([]byte(body))
			return err
		}},
	}
	if o.Gatherer != nil {
		r := web.Route{Pattern: "GET /metrics", Group: web.GroupHealth, Errors: web.PlainText,
			Handler: promhttp.HandlerFor(o.Gatherer, promhttp.HandlerOpts{})}
		if o.MetricsAuth {
			r.Auth = GroupMetrics
		}
		rs = append(rs, r)
	}
	return rs
}

// apiFallback answers what no route under /api/ takes, with PI-API's (and
// the import API's) error body {"cause"} instead of the mux's text: 405
// with Allow when the path has routes for other methods, else 404. (ON-API
// answers 501 itself.) It runs only for such requests, so the routes pay
// nothing for it.
func (rt *router) apiFallback(w http.ResponseWriter, r *http.Request) {
	var allow []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := rt.mux.Handler(probe); pattern != "" && pattern != "/api/" {
			allow = append(allow, m)
			if m == http.MethodGet {
				allow = append(allow, http.MethodHead)
			}
		}
	}
	if len(allow) == 0 {
		web.JSONCause(w, r, web.Errorf(http.StatusNotFound, "No such endpoint: %s", r.URL.Path))
		return
	}
	w.Header().Set("Allow", strings.Join(allow, ", "))
	web.JSONCause(w, r, web.Errorf(http.StatusMethodNotAllowed, "Method %s not allowed on %s (allowed: %s)", r.Method, r.URL.Path, strings.Join(allow, ", ")))
}
