package invpull

import (
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/stadsnat/accessd/store"
)

// metrics of one source; nil records nothing.
type metrics struct {
	pulls    *prometheus.CounterVec
	accesses *prometheus.CounterVec
	last     prometheus.Gauge
}

func newMetrics(reg prometheus.Registerer, source string) (*metrics, error) {
	if reg == nil {
		return nil, nil
	}
	labels := prometheus.Labels{"source": source}
	m := &metrics{
		pulls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name:        "accessd_invpull_pulls_total",
			Help:        "Inventory pulls, by result: applied, not_modified, refused (bad data, nothing applied), auth, failed.",
			ConstLabels: labels,
		}, []string{"result"}),
		accesses: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name:        "accessd_invpull_accesses_total",
			Help:        "Accesses applied by inventory pulls, by change: created, updated, unchanged, removed.",
			ConstLabels: labels,
		}, []string{"change"}),
		last: prometheus.NewGauge(prometheus.GaugeOpts{
			Name:        "accessd_invpull_last_success_timestamp_seconds",
			Help:        "When the last successful inventory pull started (Unix time).",
			ConstLabels: labels,
		}),
	}
	for _, c := range []prometheus.Collector{m.pulls, m.accesses, m.last} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("inventory pull metrics: %w", err)
		}
	}
	return m, nil
}

func (m *metrics) pull(result string) {
	if m != nil {
		m.pulls.WithLabelValues(result).Inc()
	}
}

func (m *metrics) applied(s store.ImportSummary) {
	if m != nil {
		m.accesses.WithLabelValues("created").Add(float64(s.Created))
		m.accesses.WithLabelValues("updated").Add(float64(s.Updated))
		m.accesses.WithLabelValues("unchanged").Add(float64(s.Unchanged))
		m.accesses.WithLabelValues("removed").Add(float64(s.Removed))
	}
}

func (m *metrics) success(t time.Time) {
	if m != nil {
		m.last.Set(float64(t.UnixNano()) / 1e9)
	}
}
