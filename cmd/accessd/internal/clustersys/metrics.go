package clustersys

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the subsystem's own accessd_cluster_… series, beside the
// node's (package cluster):
//
//	accessd_cluster_inventory_refused_batches_total   inventory batches refused here (they fail the import's checks)
//	accessd_cluster_inventory_batches_published_total hub: inventory batches this instance published
//	accessd_cluster_outcomes_unknown_total            hub: order outcomes of orders this instance never saw (skipped)
//	accessd_cluster_facts_unpublishable_total         outbox entries no fact the wire takes (skipped)
//	accessd_cluster_facts_skipped_by_store_total      hub: facts the store could not take (skipped)
//	accessd_cluster_fact_sink_errors_total            failed reads of the outbox or publications (retried)
type metrics struct {
	inventoryRefused prometheus.Counter
	inventoryBatches prometheus.Counter
	outcomesUnknown  prometheus.Counter
	factsDropped     prometheus.Counter
	factsSkipped     prometheus.Counter
	sinkErrors       prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	c := func(name, help string) prometheus.Counter {
		return prometheus.NewCounter(prometheus.CounterOpts{Name: name, Help: help})
	}
	m := &metrics{
		inventoryRefused: c("accessd_cluster_inventory_refused_batches_total", "Inventory batches refused here: they fail the import's checks."),
		inventoryBatches: c("accessd_cluster_inventory_batches_published_total", "Hub: inventory batches this instance published."),
		outcomesUnknown:  c("accessd_cluster_outcomes_unknown_total", "Hub: order outcomes of orders this instance never saw, skipped."),
		factsDropped:     c("accessd_cluster_facts_unpublishable_total", "Outbox entries that are no fact the wire takes, skipped."),
		factsSkipped:     c("accessd_cluster_facts_skipped_by_store_total", "Hub: facts the store could not take, skipped."),
		sinkErrors:       c("accessd_cluster_fact_sink_errors_total", "Failed reads of the outbox or publications of facts (retried)."),
	}
	if reg == nil {
		return m, nil
	}
	for _, col := range []prometheus.Collector{m.inventoryRefused, m.inventoryBatches, m.outcomesUnknown, m.factsDropped,
		m.factsSkipped, m.sinkErrors} {
		if err := reg.Register(col); err != nil {
			return nil, fmt.Errorf("cluster metrics: %w", err)
		}
	}
	return m, nil
}
