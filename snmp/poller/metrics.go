package poller

import (
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/stadsnat/accessd/snmp/ifmib"
)

// metrics are the poller's Prometheus metrics. A nil *metrics (no
// Registerer) records nothing.
type metrics struct {
	duration *prometheus.HistogramVec
	cycles   *prometheus.CounterVec
	requests *prometheus.CounterVec
	retries  *prometheus.CounterVec
	timeouts *prometheus.CounterVec
	tooBigs  *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer, p *Poller) (*metrics, error) {
	if reg == nil {
		return nil, nil
	}
	m := &metrics{
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "accessd_snmp_poll_duration_seconds",
			Help:    "Duration of one poll cycle of one switch, by switch group.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"group"}),
		cycles: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "accessd_snmp_polls_total",
			Help: "Poll cycles by switch group and result (ok, error).",
		}, []string{"group", "result"}),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "accessd_snmp_requests_total",
			Help: "SNMP request packets sent (retries included), by switch group.",
		}, []string{"group"}),
		retries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "accessd_snmp_retries_total",
			Help: "SNMP requests re-sent after a timeout, by switch group.",
		}, []string{"group"}),
		timeouts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "accessd_snmp_timeouts_total",
			Help: "SNMP requests that got no answer after all retries, by switch group.",
		}, []string{"group"}),
		tooBigs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "accessd_snmp_toobig_total",
			Help: "SNMP responses with error-status tooBig, by switch group.",
		}, []string{"group"}),
	}
	cs := []prometheus.Collector{m.duration, m.cycles, m.requests, m.retries, m.timeouts, m.tooBigs, newStateCollector(p)}
	for _, c := range cs {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("poller metrics: %w", err)
		}
	}
	return m, nil
}

// group makes the series of a switch group exist, at 0, before its first
// poll: rate() and the alert rules see the first timeout, and a dashboard
// shows 0, not nothing.
func (m *metrics) group(group string) {
	if m == nil {
		return
	}
	m.duration.WithLabelValues(group)
	m.cycles.WithLabelValues(group, "ok")
	m.cycles.WithLabelValues(group, "error")
	m.requests.WithLabelValues(group)
	m.retries.WithLabelValues(group)
	m.timeouts.WithLabelValues(group)
	m.tooBigs.WithLabelValues(group)
}

func (m *metrics) cycle(group string, d time.Duration, err error) {
	if m == nil {
		return
	}
	m.duration.WithLabelValues(group).Observe(d.Seconds())
	result := "ok"
	if err != nil {
		result = "error"
	}
	m.cycles.WithLabelValues(group, result).Inc()
}

func (m *metrics) request(group string) {
	if m != nil {
		m.requests.WithLabelValues(group).Inc()
	}
}

func (m *metrics) retry(group string) {
	if m != nil {
		m.retries.WithLabelValues(group).Inc()
	}
}

func (m *metrics) timeout(group string) {
	if m != nil {
		m.timeouts.WithLabelValues(group).Inc()
	}
}

func (m *metrics) tooBig(group string) {
	if m != nil {
		m.tooBigs.WithLabelValues(group).Inc()
	}
}

// stateCollector reports the gauges from the poller's snapshot at scrape
// time: ports by link state, switches unreachable.
type stateCollector struct {
	p                               *Poller
	portsDesc, unreachDesc, swsDesc *prometheus.Desc
}

func newStateCollector(p *Poller) stateCollector {
	return stateCollector{
		p: p,
		portsDesc: prometheus.NewDesc("accessd_snmp_ports",
			"Wanted ports by link state (UP, DOWN, UNKNOWN).", []string{"link"}, nil),
		unreachDesc: prometheus.NewDesc("accessd_snmp_switches_unreachable",
			"Switches that did not answer their last poll.", nil, nil),
		swsDesc: prometheus.NewDesc("accessd_snmp_switches", "Switches polled.", nil, nil),
	}
}

func (c stateCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.portsDesc
	ch <- c.unreachDesc
	ch <- c.swsDesc
}

func (c stateCollector) Collect(ch chan<- prometheus.Metric) {
	counts := map[ifmib.Link]int{ifmib.LinkUp: 0, ifmib.LinkDown: 0, ifmib.LinkUnknown: 0}
	unreachable, total := 0, 0
	c.p.mu.Lock()
	for _, s := range c.p.snaps {
		total++
		if !s.sw.Reachable {
			unreachable++
		}
		// By index, reading rec alone: the worker changes the port's
		// other fields without the poller's mutex.
		pts := s.ports()
		for i := range pts {
			counts[links[pts[i].rec.link]]++
		}
	}
	c.p.mu.Unlock()
	for link, n := range counts {
		ch <- prometheus.MustNewConstMetric(c.portsDesc, prometheus.GaugeValue, float64(n), string(link))
	}
	ch <- prometheus.MustNewConstMetric(c.unreachDesc, prometheus.GaugeValue, float64(unreachable))
	ch <- prometheus.MustNewConstMetric(c.swsDesc, prometheus.GaugeValue, float64(total))
}
