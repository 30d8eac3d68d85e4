package api

import (
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/stadsnat/accessd/api/internal/web"
)

// Metrics count HTTP requests per API group. Make them once per process
// (NewMetrics registers them) and hand them to every New.
type Metrics struct {
	requests *prometheus.CounterVec
	duration *durations
	// epoch is the process's reference for durations: time.Since of a
	// time with a monotonic reading reads the monotonic clock alone,
	// where time.Now reads the wall clock too.
	epoch time.Time
}

// NewMetrics makes the HTTP metrics and registers them on reg (nil: not
// registered).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "accessd_http_requests_total", Help: "HTTP requests answered, by API group and status code.",
		}, []string{"group", "code"}),
		duration: newDurations(durationOpts(), "group"),
		epoch:    time.Now(),
	}
	if reg != nil {
		reg.MustRegister(m.requests, m.duration)
	}
	return m
}

// durationOpts are accessd_http_request_duration_seconds's, labelled by
// group.
func durationOpts() prometheus.HistogramOpts {
	return prometheus.HistogramOpts{
		Name: "accessd_http_request_duration_seconds", Help: "Time to answer HTTP requests, by API group.",
		Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
	}
}

func (m *Metrics) wrap(group string, h http.Handler) http.Handler {
	obs := m.duration.group(group)
	// The counters of the group's status codes, looked up once (label
	// hashing and formatting the code cost more than the count): 200
	// beforehand, the others when they first occur.
	ok := m.requests.WithLabelValues(group, "200")
	var codes sync.Map // int ⇒ prometheus.Counter
	counter := func(code int) prometheus.Counter {
		if code == http.StatusOK {
			return ok
		}
		if c, ok := codes.Load(code); ok {
			return c.(prometheus.Counter)
		}
		c, _ := codes.LoadOrStore(code, m.requests.WithLabelValues(group, strconv.Itoa(code)))
		return c.(prometheus.Counter)
	}
	// The recorders are reused: a handler does not use its writer once
	// it returned (net/http's rule), and one that panicked leaves its
	// recorder to the collector.
	recs := sync.Pool{New: func() any { return new(web.Recorder) }}
	epoch := m.epoch
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Since(epoch) // the monotonic clock only
		rec := recs.Get().(*web.Recorder)
		*rec = web.Recorder{ResponseWriter: w, Code: http.StatusOK}
		h.ServeHTTP(rec, r)
		obs.observe(time.Since(epoch) - start)
		counter(rec.Code).Inc()
		*rec = web.Recorder{}
		recs.Put(rec)
	})
}

// durations is a histogram per value of one label, counted without locks
// (an atomic add per bucket, the sum in integer nanoseconds) and exported
// as a prometheus.Collector in exactly the metric family a
// prometheus.HistogramVec of the same options and label exports: the
// same name, help, label, buckets, _sum and _count. It costs a request a
// bucket search and two atomic adds, where HistogramVec's Observe keeps
// hot and cold counts for consistent scrapes; here a scrape during a
// request may see its count but not yet its time in _sum.
type durations struct {
	desc   *prometheus.Desc
	bounds []float64 // the buckets' upper bounds in seconds
	ns     []int64   // the same in nanoseconds
	mu     sync.Mutex
	groups map[string]*groupDurations
}

// groupDurations are the counts of one label value.
type groupDurations struct {
	ns      []int64         // durations.ns
	counts  []atomic.Uint64 // per bucket, not cumulative; the last is above every bound
	sum     atomic.Int64    // nanoseconds
	created time.Time
}

func newDurations(o prometheus.HistogramOpts, label string) *durations {
	d := &durations{
		desc:   prometheus.NewDesc(o.Name, o.Help, []string{label}, nil),
		bounds: o.Buckets,
		groups: map[string]*groupDurations{},
	}
	for _, b := range o.Buckets {
		// Duration.Seconds of a whole number of nanoseconds is at most
		// a bound exactly when the nanoseconds are at most the bound's:
		// the same bucket as HistogramVec's Observe(d.Seconds()).
		d.ns = append(d.ns, int64(b*1e9+0.5))
	}
	return d
}

// group returns the counts of a label value, made on first use (as
// HistogramVec.WithLabelValues makes a series).
func (d *durations) group(value string) *groupDurations {
	d.mu.Lock()
	defer d.mu.Unlock()
	g, ok := d.groups[value]
	if !ok {
		g = &groupDurations{ns: d.ns, counts: make([]atomic.Uint64, len(d.ns)+1), created: time.Now()}
		d.groups[value] = g
	}
	return g
}

// observe counts one request that took t.
func (g *groupDurations) observe(t time.Duration) {
	i := 0
	for i < len(g.ns) && int64(t) > g.ns[i] {
		i++
	}
	g.counts[i].Add(1)
	g.sum.Add(int64(t))
}

// Describe implements prometheus.Collector.
func (d *durations) Describe(ch chan<- *prometheus.Desc) { ch <- d.desc }

// Collect implements prometheus.Collector: a histogram per label value.
// _count is the sum of the buckets read, so that the +Inf bucket is
// _count, as in HistogramVec's.
func (d *durations) Collect(ch chan<- prometheus.Metric) {
	d.mu.Lock()
	values := make([]string, 0, len(d.groups))
	gs := make([]*groupDurations, 0, len(d.groups))
	for v, g := range d.groups {
		values = append(values, v)
		gs = append(gs, g)
	}
	d.mu.Unlock()
	for i, g := range gs {
		buckets := make(map[float64]uint64, len(d.bounds))
		var count uint64
		for j := range g.counts {
			count += g.counts[j].Load()
			if j < len(d.bounds) {
				buckets[d.bounds[j]] = count
			}
		}
		sum := time.Duration(g.sum.Load()).Seconds()
		m, err := prometheus.NewConstHistogramWithCreatedTimestamp(d.desc, count, sum, buckets, g.created, values[i])
		if err != nil {
			m = prometheus.NewInvalidMetric(d.desc, err)
		}
		ch <- m
	}
}
