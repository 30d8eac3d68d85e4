package connwatch

import "github.com/prometheus/client_golang/prometheus"

// newDesc describes the counter of the connections cut.
func newDesc() *prometheus.Desc {
	return prometheus.NewDesc("accessd_http_connections_timed_out_total",
		"HTTP connections closed at a timeout, by phase: header (10 s to send a request's headers, or a TLS handshake), "+
			"answer (http.write_timeout), idle (http.idle_timeout).", []string{"phase"}, nil)
}

// Describe and Collect make a Watch a prometheus.Collector of its cuts.
func (w *Watch) Describe(ch chan<- *prometheus.Desc) { ch <- w.desc }

// Collect reports the connections cut, by phase.
func (w *Watch) Collect(ch chan<- prometheus.Metric) {
	for p, name := range [...]string{header: "header", answer: "answer", idle: "idle"} {
		ch <- prometheus.MustNewConstMetric(w.desc, prometheus.CounterValue, float64(w.cut[p].Load()), name)
	}
}
