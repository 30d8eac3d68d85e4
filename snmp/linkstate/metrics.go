package linkstate

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/stadsnat/accessd/store"
)

// registerMetrics exports the port writer's counters (nil reg: none).
func registerMetrics(reg prometheus.Registerer, w *store.PortWriter) error {
	if reg == nil {
		return nil
	}
	counter := func(name, help string, f func(store.PortWriterStats) uint64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help},
			func() float64 { return float64(f(w.Stats())) })
	}
	cs := []prometheus.Collector{
		counter("accessd_snmp_store_batches_total", "Transactions the port writer committed (group commits).",
			func(s store.PortWriterStats) uint64 { return s.Batches }),
		counter("accessd_snmp_store_updates_total", "Port states written to the store (an idle poll cycle writes none).",
			func(s store.PortWriterStats) uint64 { return s.Updates }),
		counter("accessd_snmp_store_failures_total", "Port writer transactions that failed and were retried.",
			func(s store.PortWriterStats) uint64 { return s.Failures }),
		counter("accessd_snmp_port_transitions_total", "Port history entries: link, admin status, speed or problem changed.",
			func(s store.PortWriterStats) uint64 { return s.Transitions }),
		counter("accessd_snmp_port_flaps_total", "Link flaps counted (link lost while admin up, or lost and back between two reads).",
			func(s store.PortWriterStats) uint64 { return s.Flaps }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "accessd_snmp_store_queue", Help: "Port states waiting for the port writer."},
			func() float64 { return float64(w.Stats().Queued) }),
	}
	for _, c := range cs {
		if err := reg.Register(c); err != nil {
			return fmt.Errorf("linkstate metrics: %w", err)
		}
	}
	return nil
}
