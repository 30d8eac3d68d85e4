package trap

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// rejectReasons are the reason labels of accessd_snmp_traps_rejected_total.
var rejectReasons = []string{"community", "auth", "malformed", "not_trap", "unknown_switch"}

// metrics of the listener; nil records nothing.
type metrics struct {
	recv, rej *prometheus.CounterVec
	drop      prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	if reg == nil {
		return nil, nil
	}
	m := &metrics{
		recv: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "accessd_snmp_traps_received_total",
			Help: "Notifications accepted, by kind (linkUp, linkDown, other).",
		}, []string{"kind"}),
		rej: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "accessd_snmp_traps_rejected_total",
			Help: "Datagrams refused, by reason (community, auth, malformed, not_trap, unknown_switch).",
		}, []string{"reason"}),
		drop: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "accessd_snmp_traps_dropped_total",
			Help: "Datagrams dropped because the decoding queue was full.",
		}),
	}
	for _, c := range []prometheus.Collector{m.recv, m.rej, m.drop} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("trap metrics: %w", err)
		}
	}
	// Every kind and reason exists from the start, at 0: rate() and the
	// alert rules see the first one, and a dashboard shows 0, not nothing.
	for _, k := range []Kind{LinkUp, LinkDown, Other} {
		m.recv.WithLabelValues(string(k))
	}
	for _, r := range rejectReasons {
		m.rej.WithLabelValues(r)
	}
	return m, nil
}

func (m *metrics) received(k Kind) {
	if m != nil {
		m.recv.WithLabelValues(string(k)).Inc()
	}
}

func (m *metrics) rejected(reason string) {
	if m != nil {
		m.rej.WithLabelValues(reason).Inc()
	}
}

func (m *metrics) dropped() {
	if m != nil {
		m.drop.Inc()
	}
}
