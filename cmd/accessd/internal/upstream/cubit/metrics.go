package cubit

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics of a client; nil records nothing.
type metrics struct {
	warnings *prometheus.CounterVec
	calls    *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	if reg == nil {
		return nil, nil
	}
	m := &metrics{
		warnings: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "accessd_cubit_check_digit_warnings_total",
			Help: "Objects for Cubit whose check digits do not hold, by check (fodselsnummer, organisasjonsnummer, gsrn); refused only with strict: true.",
		}, []string{"check"}),
		calls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "accessd_cubit_calls_total",
			Help: "Calls to Cubit, by call (customer_upsert, plant_upsert, customer_get, plant_get) and result (ok, invalid, permanent, auth, transient, not_found).",
		}, []string{"call", "result"}),
	}
	for _, c := range []prometheus.Collector{m.warnings, m.calls} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("cubit metrics: %w", err)
		}
	}
	return m, nil
}

func (m *metrics) warning(check string) {
	if m != nil {
		m.warnings.WithLabelValues(check).Inc()
	}
}

func (m *metrics) call(call, result string) {
	if m != nil {
		m.calls.WithLabelValues(call, result).Inc()
	}
}
