package ingest

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/stadsnat/accessd/dhcp/binding"
	"github.com/stadsnat/accessd/dhcp/dhcp4"
)

// sources and message types are small numbers: the per-packet counters are
// resolved once into arrays, so counting costs no label look-up.
const (
	nSources = 4 // binding.Source values 0..3
	nTypes   = 9 // dhcp4.MessageType 0..8; others count as "other"
)

type metrics struct {
	received  [nSources]prometheus.Counter
	dropped   [nSources]prometheus.Counter
	untrusted [nSources]prometheus.Counter
	refused   *prometheus.CounterVec // kind
	packets   [nSources][nTypes + 1]prometheus.Counter
	decodeErr *prometheus.CounterVec // source, reason
	unknown   prometheus.Counter
	events    *prometheus.CounterVec // kind
	commits   prometheus.Counter
	commitErr prometheus.Counter
	commitDur prometheus.Histogram
	latency   prometheus.Histogram
	keaRows   prometheus.Counter
	keaBad    prometheus.Counter
	all       []prometheus.Collector
}

func newMetrics(s *Service) *metrics {
	m := &metrics{}
	received := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "accessd_dhcp_received_packets_total", Help: "DHCP packets read from a source (before the queue).",
	}, []string{"source"})
	dropped := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "accessd_dhcp_dropped_packets_total", Help: "DHCP packets dropped because the ingest queue was full.",
	}, []string{"source"})
	untrusted := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "accessd_dhcp_untrusted_total", Help: "DHCP packets dropped because their source address is not trusted (dhcp.relay.allowed_sources).",
	}, []string{"source"})
	m.refused = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "accessd_dhcp_refused_ends_total", Help: "RELEASE or DECLINE packets for a binding's MAC and IP that did not come through its circuit: ignored.",
	}, []string{"kind"})
	packets := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "accessd_dhcp_packets_total", Help: "DHCP packets processed, by source and message type.",
	}, []string{"source", "type"})
	for src := binding.Source(1); src < nSources; src++ {
		m.received[src] = received.WithLabelValues(src.String())
		m.dropped[src] = dropped.WithLabelValues(src.String())
		m.untrusted[src] = untrusted.WithLabelValues(src.String())
		for t := range nTypes + 1 {
			name := "other"
			if t < nTypes {
				name = dhcp4.MessageType(t).String()
			}
			m.packets[src][t] = packets.WithLabelValues(src.String(), name)
		}
	}
	m.decodeErr = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "accessd_dhcp_decode_errors_total", Help: "DHCP packets or Option 82 that could not be decoded, by source and reason.",
	}, []string{"source", "reason"})
	m.unknown = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "accessd_dhcp_unknown_circuit_packets_total", Help: "DHCP packets whose circuit matches no single access.",
	})
	m.events = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "accessd_dhcp_binding_events_total", Help: "Binding events (started, confirmed, ended, mac-moved, ip-taken-over, …).",
	}, []string{"kind"})
	m.commits = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "accessd_dhcp_commits_total", Help: "Group commits of bindings to the store.",
	})
	m.commitErr = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "accessd_dhcp_commit_errors_total", Help: "Group commits that failed (retried).",
	})
	m.commitDur = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "accessd_dhcp_commit_duration_seconds", Help: "Time of one group commit (one transaction, one fsync).",
		Buckets: []float64{.0005, .001, .002, .005, .01, .02, .05, .1, .2, .5, 1, 2},
	})
	m.latency = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "accessd_dhcp_packet_to_commit_seconds", Help: "From receiving a packet that changed a binding to its commit.",
		Buckets: []float64{.001, .002, .005, .01, .015, .02, .025, .03, .04, .05, .075, .1, .15, .2, .3, .5, 1, 2, 5},
	})
	m.keaRows = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "accessd_dhcp_kea_rows_total", Help: "Rows of Kea's lease file applied.",
	})
	m.keaBad = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "accessd_dhcp_kea_bad_rows_total", Help: "Rows of Kea's lease file that could not be read.",
	})
	queueDepth := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "accessd_dhcp_queue_depth", Help: "DHCP packets waiting in the ingest queue.",
	}, func() float64 { return float64(s.q.depth()) })
	queueCap := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "accessd_dhcp_queue_capacity", Help: "Size of the ingest queue (dhcp.queue_size).",
	}, func() float64 { return float64(s.q.size) })
	unknownCircuits := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "accessd_dhcp_unknown_circuits", Help: "Circuits seen in DHCP that match no single access (accessctl circuits --unknown).",
	}, func() float64 {
		s.set.mu.RLock()
		defer s.set.mu.RUnlock()
		return float64(s.set.unknown.len())
	})
	m.all = []prometheus.Collector{received, dropped, untrusted, m.refused, packets, m.decodeErr, m.unknown, m.events, m.commits, m.commitErr,
		m.commitDur, m.latency, m.keaRows, m.keaBad, queueDepth, queueCap, unknownCircuits, newStateCollector(s)}
	return m
}

func (m *metrics) packet(src binding.Source, t dhcp4.MessageType) {
	ti := int(t)
	if ti >= nTypes {
		ti = nTypes
	}
	if src < nSources {
		m.packets[src][ti].Inc()
	}
}

// stateCollector exports the bindings by state from the working set.
type stateCollector struct {
	s    *Service
	desc *prometheus.Desc
}

func newStateCollector(s *Service) stateCollector {
	return stateCollector{s: s, desc: prometheus.NewDesc("accessd_dhcp_bindings", "DHCP bindings held, by state.", []string{"state"}, nil)}
}

func (c stateCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c stateCollector) Collect(ch chan<- prometheus.Metric) {
	c.s.set.mu.RLock()
	states := c.s.set.states
	c.s.set.mu.RUnlock()
	for st := binding.Tentative; st <= binding.Declined; st++ {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(states[st]), st.String())
	}
}
