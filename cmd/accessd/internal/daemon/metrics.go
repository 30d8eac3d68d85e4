package daemon

import (
	"runtime"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/stadsnat/accessd/store"
)

// registerStoreMetrics exports the store's figures and the build.
func (d *Daemon) registerStoreMetrics() {
	stat := func(f func(s storeStats) float64) func() float64 {
		return func() float64 {
			st, err := d.db.Stats()
			if err != nil {
				return -1
			}
			return f(storeStats{accesses: st.Accesses, tombstones: st.Tombstones, bytes: st.FileBytes})
		}
	}
	for _, kind := range store.ErrorKinds() {
		d.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "accessd_store_errors_total", ConstLabels: prometheus.Labels{"kind": kind},
			Help: "Store errors by kind: checksum and decode (damaged records), meta (a damaged meta page), rollback (the file went back in time), nospace (a write failed for want of disk space).",
		}, func() float64 { return float64(d.db.Errors()[kind]) }))
	}
	d.reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "accessd_store_read_only", Help: "1 while the store refuses writes (a full disk), else 0."},
			func() float64 {
				if _, _, ro := d.db.ReadOnly(); ro {
					return 1
				}
				return 0
			}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "accessd_store_accesses", Help: "Live accesses in the store."},
			stat(func(s storeStats) float64 { return float64(s.accesses) })),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "accessd_store_tombstones", Help: "Removed accesses still remembered for incremental exports."},
			stat(func(s storeStats) float64 { return float64(s.tombstones) })),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "accessd_store_file_bytes", Help: "Size of the store file."},
			stat(func(s storeStats) float64 { return float64(s.bytes) })),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "accessd_build_info", Help: "Always 1; labels name the build.",
			ConstLabels: prometheus.Labels{"version": d.version, "goversion": runtime.Version()},
		}, func() float64 { return 1 }),
	)
}

type storeStats struct {
	accesses, tombstones int
	bytes                int64
}
