package outbox

import (
	"context"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// collector reads the Runner's Status on each scrape, so that the metrics
// and `accessctl upstream` never disagree. The sink label comes from the
// wrapping Registerer; see the package doc for the names.
type collector struct {
	r                                             *Runner
	lag, oldest, lastSuccess, delivered, failures *prometheus.Desc
	parked, paused, compacted, queueBytes         *prometheus.Desc
}

func newCollector(r *Runner) *collector {
	return &collector{
		r: r,
		lag: prometheus.NewDesc("accessd_upstream_lag_entries",
			"Outbox entries waiting for delivery to the sink.", nil, nil),
		oldest: prometheus.NewDesc("accessd_upstream_oldest_undelivered_age_seconds",
			"Age of the oldest entry waiting for the sink (0 when none waits).", nil, nil),
		lastSuccess: prometheus.NewDesc("accessd_upstream_last_success_timestamp_seconds",
			"Unix time of the sink's last accepted entry (0: none since the start).", nil, nil),
		delivered: prometheus.NewDesc("accessd_upstream_delivered_total",
			"Entries the sink accepted.", nil, nil),
		failures: prometheus.NewDesc("accessd_upstream_failures_total",
			"Failed deliveries by class: transient (retried), permanent (parked), auth (sink paused).", []string{"class"}, nil),
		parked: prometheus.NewDesc("accessd_upstream_parked_entries",
			"Entries the sink refused for good, parked until retried.", nil, nil),
		paused: prometheus.NewDesc("accessd_upstream_paused",
			"1 while the sink is paused, by reason: operator, or auth (the upstream refused the credentials).", []string{"reason"}, nil),
		compacted: prometheus.NewDesc("accessd_upstream_compacted_total",
			"Waiting entries dropped under the disk budget because a later entry of the same key superseded them.", nil, nil),
		queueBytes: prometheus.NewDesc("accessd_upstream_queue_bytes",
			"Bytes the sink's waiting and parked entries use in the outbox.", nil, nil),
	}
}

func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.lag, c.oldest, c.lastSuccess, c.delivered, c.failures,
		c.parked, c.paused, c.compacted, c.queueBytes} {
		ch <- d
	}
}

func (c *collector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s, err := c.r.Status(ctx)
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	counter := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v, labels...)
	}
	counter(c.delivered, float64(s.Delivered))
	for _, cl := range []Class{ClassTransient, ClassPermanent, ClassAuth} {
		counter(c.failures, float64(s.Failures[cl.String()]), cl.String())
	}
	var last float64
	if !s.LastSuccess.IsZero() {
		last = float64(s.LastSuccess.UnixNano()) / 1e9
	}
	gauge(c.lastSuccess, last)
	for _, reason := range []string{PauseOperator, PauseAuth} {
		v := 0.0
		if s.PauseReason == reason {
			v = 1
		}
		gauge(c.paused, v, reason)
	}
	if err != nil {
		for _, d := range []*prometheus.Desc{c.lag, c.oldest, c.parked, c.compacted, c.queueBytes} {
			ch <- prometheus.NewInvalidMetric(d, err)
		}
		return
	}
	gauge(c.lag, float64(s.Lag))
	gauge(c.oldest, s.OldestAge.Seconds())
	gauge(c.parked, float64(s.Parked))
	counter(c.compacted, float64(s.Compacted))
	gauge(c.queueBytes, float64(s.Bytes))
}

// RegisterUsage registers accessd_upstream_bytes and
// accessd_upstream_budget_bytes, read from st on each scrape.
func RegisterUsage(reg prometheus.Registerer, st Storage) error {
	usage := func(f func(Usage) int64) func() float64 {
		return func() float64 {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			u, err := st.Usage(ctx)
			if err != nil {
				return -1
			}
			return float64(f(u))
		}
	}
	for _, c := range []prometheus.Collector{
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "accessd_upstream_bytes",
			Help: "Bytes the whole outbox uses (-1: the store could not be read)."}, usage(func(u Usage) int64 { return u.Bytes })),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "accessd_upstream_budget_bytes",
			Help: "The outbox's disk budget (0: unbounded)."}, usage(func(u Usage) int64 { return u.Budget })),
	} {
		if err := reg.Register(c); err != nil {
			return fmt.Errorf("outbox usage metrics: %w", err)
		}
	}
	return nil
}
