package spapi

import (
	"errors"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics of the SP clients; nil records nothing.
type metrics struct {
	calls    *prometheus.CounterVec
	refusals *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	if reg == nil {
		return nil, nil
	}
	m := &metrics{
		calls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "accessd_spapi_calls_total",
			Help: "Customer look-ups at service providers, by sp, call (access, services) and result (ok, not_found, malformed, auth, permanent, transient).",
		}, []string{"sp", "call", "result"}),
		refusals: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "accessd_spapi_activation_refusals_total",
			Help: "Activations refused because the service provider could not give the customer, by sp.",
		}, []string{"sp"}),
	}
	// A set is built again when the providers are reloaded: it counts on
	// the collectors the first one registered.
	for _, c := range []**prometheus.CounterVec{&m.calls, &m.refusals} {
		if err := reg.Register(*c); err != nil {
			var are prometheus.AlreadyRegisteredError
			existing, ok := err, false
			if errors.As(err, &are) {
				var cv *prometheus.CounterVec
				if cv, ok = are.ExistingCollector.(*prometheus.CounterVec); ok {
					*c = cv
				}
			}
			if !ok {
				return nil, fmt.Errorf("spapi metrics: %w", existing)
			}
		}
	}
	return m, nil
}

func (m *metrics) call(sp, call, result string) {
	if m != nil {
		m.calls.WithLabelValues(sp, call, result).Inc()
	}
}

func (m *metrics) refusal(sp string) {
	if m != nil {
		m.refusals.WithLabelValues(sp).Inc()
	}
}
