// Package api is accessd's one HTTP router: every API group of the
// service providers (Com Hem PI V1, PI-API 2.2/2.3, ON-API 2.6), Atlas
// Tjänsteguiden, the KO's inventory import in Cubit's conventions and the
// health and metrics endpoints, each group with its own authentication and
// its own error format. Handlers live in the sub-packages; this package
// only wires them.
package api

import (
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/stadsnat/accessd/api/cubit"
	"github.com/stadsnat/accessd/api/internal/web"
	"github.com/stadsnat/accessd/api/onapi"
	"github.com/stadsnat/accessd/api/piapi"
	"github.com/stadsnat/accessd/api/piv1"
	"github.com/stadsnat/accessd/store"
	"github.com/stadsnat/accessd/store/catalog"
)

// User is an HTTP Basic user of the service-provider APIs.
type User = web.User

// Resolver answers the option82 and dhcplookup look-ups.
type Resolver = piapi.Resolver

// API group names, as users[].apis spells them.
const (
	GroupPIV1  = "pi-v1"
	GroupPIAPI = "pi-api"
	GroupONAPI = "on-api"
)

// Options is what the router serves from.
type Options struct {
	DB          *store.DB
	Catalog     *catalog.Catalog
	Users       []User
	Environment string            // test | prod
	ImportKeys  map[string]string // environment ⇒ api-key
	Resolver    piapi.Resolver    // option82 / dhcplookup; nil = those routes are not served
	Log         *slog.Logger
	Metrics     *Metrics            // HTTP request metrics; nil = not counted
	Gatherer    prometheus.Gatherer // for /metrics; nil = no /metrics
	Ready       func() error        // nil error = ready
	Now         func() time.Time
	Location    *time.Location // for local dates (Europe/Stockholm)

	// More route groups, registered by the subsystems that own them.
	Extra []Routes
}

// Routes registers a subsystem's routes. It gets the groups' adapters so
// its handlers answer errors in the right format, and adds ON-API
// endpoints it serves to the endpoint list.
type Routes func(r *Router)

// Router is what Routes see.
type Router struct {
	Mux         *http.ServeMux
	Users       *web.Users
	JSON        web.Adapter // {"cause": ...} errors
	Text        web.Adapter // text/plain errors
	onEndpoints *[]onapi.Endpoint
	metrics     *Metrics
	// PIAPI is what PI-API's handlers read; a subsystem may fill in what
	// it knows (availability's active services and claimed types).
	PIAPI *piapi.Deps
}

// Handle registers h for pattern in a metrics group. A path ending in
// "/" matches only itself ("{$}" is added): GET /ko/api/1/foo is a 404,
// not an export.
func (rt *Router) Handle(pattern, group string, h http.Handler) {
	if strings.HasSuffix(pattern, "/") {
		pattern += "{$}"
	}
	rt.Mux.Handle(pattern, rt.metrics.wrap(group, h))
}

// handlePrefix registers h for a pattern that is a subtree.
func (rt *Router) handlePrefix(pattern, group string, h http.Handler) {
	rt.Mux.Handle(pattern, rt.metrics.wrap(group, h))
}

// apiFallback answers what no route under /api/ takes, with PI-API's (and
// the import API's) error body {"cause"} instead of the mux's text: 405
// with Allow when the path has routes for other methods, else 404. (ON-API
// answers 501 itself.) It runs only for such requests, so the routes pay
// nothing for it.
func (rt *Router) apiFallback(w http.ResponseWriter, r *http.Request) {
	var allow []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := rt.Mux.Handler(probe); pattern != "" && pattern != "/api/" {
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

// SP wraps h with the HTTP Basic authentication of an API group.
func (rt *Router) SP(group string, h http.Handler) http.Handler {
	return web.BasicAuth(rt.Users, group, web.JSONCause, h)
}

// ONAPI registers an ON-API 2.6 endpoint at onapi.Base+path and lists it.
func (rt *Router) ONAPI(e onapi.Endpoint, path string, h web.HandlerFunc) {
	*rt.onEndpoints = append(*rt.onEndpoints, e)
	rt.Handle("GET "+onapi.Base+path, GroupONAPI, rt.SP(GroupONAPI, rt.JSON.Handle(h)))
}

// New builds the router.
func New(o Options) http.Handler {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Location == nil {
		o.Location = time.UTC
	}
	if o.Metrics == nil {
		o.Metrics = NewMetrics(nil)
	}
	pd := &piapi.Deps{DB: o.DB, Catalog: o.Catalog}
	rt := &Router{
		PIAPI:       pd,
		Mux:         http.NewServeMux(),
		Users:       web.NewUsers(o.Users),
		JSON:        web.Adapter{Log: o.Log, Write: web.JSONCause},
		Text:        web.Adapter{Log: o.Log, Write: web.PlainText},
		onEndpoints: new([]onapi.Endpoint),
		metrics:     o.Metrics,
	}
	// Health and metrics.
	rt.Handle("GET /livez", "health", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write([]byte("ok\n"))
	}))
	rt.Handle("GET /readyz", "health", rt.Text.Handle(func(w http.ResponseWriter, r *http.Request) error {
		if o.Ready != nil {
			if err := o.Ready(); err != nil {
				return web.Errorf(http.StatusServiceUnavailable, "not ready: %v", err)
			}
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, err := w.Write([]byte("ready\n"))
		return err
	}))
	if o.Gatherer != nil {
		rt.Handle("GET /metrics", "health", promhttp.HandlerFor(o.Gatherer, promhttp.HandlerOpts{}))
	}

	// Com Hem PI V1.
	rt.Handle("GET "+piv1.Path, GroupPIV1,
		web.BasicAuth(rt.Users, GroupPIV1, web.PlainText, rt.Text.Handle(piv1.Handler(o.DB))))

	// PI-API 2.2 and 2.3.
	// (Closures, so that what Extra routes add to pd is seen.)
	for _, v := range piapi.Versions() {
		base := "/api/" + v + "/"
		rt.Handle("GET "+base+"accesses/", GroupPIAPI, rt.SP(GroupPIAPI, rt.JSON.Handle(func(w http.ResponseWriter, r *http.Request) error { return pd.Accesses(w, r) })))
		rt.Handle("GET "+base+"accesses/{accessId}", GroupPIAPI, rt.SP(GroupPIAPI, rt.JSON.Handle(func(w http.ResponseWriter, r *http.Request) error { return pd.Access(w, r) })))
		if o.Resolver != nil {
			rt.Handle("GET "+base+"option82/{hex}", GroupPIAPI, rt.SP(GroupPIAPI, rt.JSON.Handle(piapi.Option82(o.Resolver))))
		}
	}

	// ON-API 2.6.
	od := onapi.Deps{DB: o.DB, Now: o.Now, Loc: o.Location}
	rt.ONAPI(onapi.NewEndpoint("accesses", "accesses/", "accesses.md"), "accesses/", od.Accesses)
	rt.Handle("GET "+onapi.Base+"accesses/{accessId}", GroupONAPI, rt.SP(GroupONAPI, rt.JSON.Handle(od.Access)))
	if o.Resolver != nil {
		rt.ONAPI(onapi.NewEndpoint("option82", "option82/", "option82_lookup.md"), "option82/{hex}", onapi.Option82(o.Resolver))
		rt.ONAPI(onapi.DHCPLookupEndpoint(), "dhcplookup/", onapi.DHCPLookup(o.Resolver))
	}

	// Inventory import, Cubit style.
	cd := cubit.Deps{DB: o.DB, Environment: o.Environment, Keys: o.ImportKeys, Log: o.Log}
	rt.Handle("POST /api/import/{environment}/access", "import", rt.JSON.Handle(cd.Import))
	rt.Handle("GET /api/access/environment/{environment}/byid/{id}", "import", rt.JSON.Handle(cd.Get))

	for _, add := range o.Extra {
		add(rt)
	}
	// The endpoint list, and 501 for anything else under it, last: it names
	// what the groups above registered.
	rt.handlePrefix(onapi.Base, GroupONAPI, rt.SP(GroupONAPI, rt.JSON.Handle(onapi.Endpoints(*rt.onEndpoints))))
	rt.handlePrefix("/api/", "unknown", http.HandlerFunc(rt.apiFallback))
	return rt.Mux
}

// Metrics count HTTP requests per API group. Make them once per process
// (NewMetrics registers them) and hand them to every New.
type Metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

// NewMetrics makes the HTTP metrics and registers them on reg (nil: not
// registered).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "accessd_http_requests_total", Help: "HTTP requests answered, by API group and status code.",
		}, []string{"group", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "accessd_http_request_duration_seconds", Help: "Time to answer HTTP requests, by API group.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"group"}),
	}
	if reg != nil {
		reg.MustRegister(m.requests, m.duration)
	}
	return m
}

func (m *Metrics) wrap(group string, h http.Handler) http.Handler {
	obs := m.duration.WithLabelValues(group)
	// The counter of each status code, looked up once (label hashing and
	// formatting the code cost more than the count).
	var codes sync.Map // int ⇒ prometheus.Counter
	counter := func(code int) prometheus.Counter {
		if c, ok := codes.Load(code); ok {
			return c.(prometheus.Counter)
		}
		c, _ := codes.LoadOrStore(code, m.requests.WithLabelValues(group, strconv.Itoa(code)))
		return c.(prometheus.Counter)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, code: http.StatusOK}
		h.ServeHTTP(sw, r)
		obs.Observe(time.Since(start).Seconds())
		counter(sw.code).Inc()
	})
}

type statusWriter struct {
	http.ResponseWriter
	code int
}

func (s *statusWriter) WriteHeader(code int) {
	s.code = code
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }
