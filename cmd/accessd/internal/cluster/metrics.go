package cluster

import (
	"fmt"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the node's accessd_cluster_… series. Counters count as
// things happen; gauges come from the last refreshed Status. Site labels
// take only listed sites (and the hub's own), never a name from a message
// that was refused.
type metrics struct {
	factsPublished      prometheus.Counter
	factsRepeated       prometheus.Counter
	publishErrors       prometheus.Counter
	factsApplied        *prometheus.CounterVec
	factsSkipped        *prometheus.CounterVec
	factMessagesDropped prometheus.Counter
	sourceRestarts      *prometheus.CounterVec
	applyErrors         *prometheus.CounterVec
	refused             *prometheus.CounterVec
	inventoryPublished  prometheus.Counter
	inventoryApplied    prometheus.Counter
	inventoryApplies    prometheus.Counter
	ordersEnqueued      prometheus.Counter
	orders              *prometheus.CounterVec

	mu   sync.Mutex
	snap *Status
	node *Node
	d    gaugeDescs
}

// gaugeDescs describe the status gauges.
type gaugeDescs struct {
	info        *prometheus.Desc
	hubLink     *prometheus.Desc
	leafs       *prometheus.Desc
	streamMsgs  *prometheus.Desc
	streamBytes *prometheus.Desc
	pending     *prometheus.Desc
	unforwarded *prometheus.Desc
	invPending  *prometheus.Desc
	siteLast    *prometheus.Desc
	siteContact *prometheus.Desc
	siteStale   *prometheus.Desc
	siteLag     *prometheus.Desc
}

func newGaugeDescs() gaugeDescs {
	return gaugeDescs{
		info:        prometheus.NewDesc("accessd_cluster_info", "Always 1; labels name this node's role, site and instance.", []string{"role", "site", "instance"}, nil),
		hubLink:     prometheus.NewDesc("accessd_cluster_hub_link_up", "Edge: 1 while the link to the hub is up.", nil, nil),
		leafs:       prometheus.NewDesc("accessd_cluster_leaf_connections", "Leaf-node connections of the embedded server.", nil, nil),
		streamMsgs:  prometheus.NewDesc("accessd_cluster_stream_messages", "Messages a stream of this node holds.", []string{"stream"}, nil),
		streamBytes: prometheus.NewDesc("accessd_cluster_stream_bytes", "Bytes a stream of this node holds.", []string{"stream"}, nil),
		pending:     prometheus.NewDesc("accessd_cluster_consumer_pending_messages", "A consumer's lag: messages not delivered or not acknowledged.", []string{"stream", "consumer"}, nil),
		unforwarded: prometheus.NewDesc("accessd_cluster_facts_unforwarded", "Edge: facts the hub has not taken yet (absent while unknown).", nil, nil),
		invPending:  prometheus.NewDesc("accessd_cluster_inventory_pending_messages", "Inventory messages still to read after the last one read.", nil, nil),
		siteLast:    prometheus.NewDesc("accessd_cluster_site_last_fact_timestamp_seconds", "Hub: when the site made the last fact applied from it.", []string{"site"}, nil),
		siteContact: prometheus.NewDesc("accessd_cluster_site_last_contact_timestamp_seconds", "Hub: the newest sign of the site (fact, source activity, leaf connection).", []string{"site"}, nil),
		siteStale:   prometheus.NewDesc("accessd_cluster_site_stale", "Hub: 1 while the site has had no contact for longer than cluster.staleness.", []string{"site"}, nil),
		siteLag:     prometheus.NewDesc("accessd_cluster_site_source_lag_messages", "Hub: the site's messages (a fact or a batch of facts each) not copied to the hub yet, as last heard.", []string{"site"}, nil),
	}
}

func newMetrics(n *Node, reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		node:                n,
		d:                   newGaugeDescs(),
		factsPublished:      prometheus.NewCounter(prometheus.CounterOpts{Name: "accessd_cluster_facts_published_total", Help: "Facts stored in this node's facts stream."}),
		factsRepeated:       prometheus.NewCounter(prometheus.CounterOpts{Name: "accessd_cluster_facts_repeated_total", Help: "Facts offered again that were already stored (not stored twice)."}),
		publishErrors:       prometheus.NewCounter(prometheus.CounterOpts{Name: "accessd_cluster_facts_publish_errors_total", Help: "Calls that could not store every fact."}),
		factsApplied:        prometheus.NewCounterVec(prometheus.CounterOpts{Name: "accessd_cluster_facts_applied_total", Help: "Hub: facts applied to the store, by site."}, []string{"site"}),
		factsSkipped:        prometheus.NewCounterVec(prometheus.CounterOpts{Name: "accessd_cluster_facts_skipped_total", Help: "Hub: facts delivered again and skipped as already applied, by site."}, []string{"site"}),
		factMessagesDropped: prometheus.NewCounter(prometheus.CounterOpts{Name: "accessd_cluster_fact_messages_dropped_total", Help: "Hub: messages of the facts stream (a fact, or a batch of facts) that its limits dropped before this instance applied them."}),
		sourceRestarts:      prometheus.NewCounterVec(prometheus.CounterOpts{Name: "accessd_cluster_source_restarts_total", Help: "Hub: restarts of a site's source that stayed silent while the site answered, by site."}, []string{"site"}),
		applyErrors:         prometheus.NewCounterVec(prometheus.CounterOpts{Name: "accessd_cluster_apply_errors_total", Help: "Failed applications to the store (retried), by stream."}, []string{"stream"}),
		refused:             prometheus.NewCounterVec(prometheus.CounterOpts{Name: "accessd_cluster_messages_refused_total", Help: "Messages refused and skipped, by stream and reason."}, []string{"stream", "reason"}),
		inventoryPublished:  prometheus.NewCounter(prometheus.CounterOpts{Name: "accessd_cluster_inventory_published_total", Help: "Hub: access changes published."}),
		inventoryApplied:    prometheus.NewCounter(prometheus.CounterOpts{Name: "accessd_cluster_inventory_applied_total", Help: "Access changes applied to the store."}),
		inventoryApplies:    prometheus.NewCounter(prometheus.CounterOpts{Name: "accessd_cluster_inventory_applies_total", Help: "Atomic inventory applications (one transaction each)."}),
		ordersEnqueued:      prometheus.NewCounter(prometheus.CounterOpts{Name: "accessd_cluster_orders_enqueued_total", Help: "Hub: orders put on the work queue."}),
		orders:              prometheus.NewCounterVec(prometheus.CounterOpts{Name: "accessd_cluster_orders_taken_total", Help: "Hub: orders taken from the work queue, by result (done, later, rejected, failed, refused)."}, []string{"result"}),
	}
	if reg == nil {
		return m, nil
	}
	for _, c := range []prometheus.Collector{m.factsPublished, m.factsRepeated, m.publishErrors, m.factsApplied,
		m.factsSkipped, m.factMessagesDropped, m.sourceRestarts, m.applyErrors, m.refused, m.inventoryPublished, m.inventoryApplied,
		m.inventoryApplies, m.ordersEnqueued, m.orders, gauges{m}} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("cluster metrics: %w", err)
		}
	}
	return m, nil
}

// observe keeps the status the gauges show.
func (m *metrics) observe(s *Status) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.snap = s
}

// gauges is the collector of the status gauges.
type gauges struct{ m *metrics }

func (g gauges) Describe(ch chan<- *prometheus.Desc) {
	d := &g.m.d
	for _, d := range []*prometheus.Desc{d.info, d.hubLink, d.leafs, d.streamMsgs, d.streamBytes,
		d.pending, d.unforwarded, d.invPending, d.siteLast, d.siteContact, d.siteStale, d.siteLag} {
		ch <- d
	}
}

func (g gauges) Collect(ch chan<- prometheus.Metric) {
	d := &g.m.d
	g.m.mu.Lock()
	s := g.m.snap
	g.m.mu.Unlock()
	o := &g.m.node.opts
	ch <- prometheus.MustNewConstMetric(d.info, prometheus.GaugeValue, 1, string(o.Role), o.Site, o.Instance)
	if s == nil {
		return
	}
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	if s.HubLink != nil {
		gauge(d.hubLink, b2f(s.HubLink.Up))
	}
	if *o.NATS.Embedded {
		gauge(d.leafs, float64(len(s.Leafs)))
	}
	for _, st := range s.Streams {
		gauge(d.streamMsgs, float64(st.Messages), st.Name)
		gauge(d.streamBytes, float64(st.Bytes), st.Name)
		for _, c := range st.Consumers {
			gauge(d.pending, float64(c.Pending)+float64(c.AckPending), st.Name, c.Name)
		}
	}
	if s.UnforwardedFacts >= 0 {
		gauge(d.unforwarded, float64(s.UnforwardedFacts))
	}
	gauge(d.invPending, float64(s.InventoryPending))
	for _, site := range s.Sites {
		if !site.LastAt.IsZero() {
			gauge(d.siteLast, float64(site.LastAt.UnixNano())/1e9, site.Site)
		}
		gauge(d.siteContact, float64(site.LastContact.UnixNano())/1e9, site.Site)
		gauge(d.siteStale, b2f(site.Stale), site.Site)
		gauge(d.siteLag, float64(site.Lag), site.Site)
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
