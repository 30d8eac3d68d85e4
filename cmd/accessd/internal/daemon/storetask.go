package daemon

import (
	"context"
	"time"

	"github.com/stadsnat/accessd/cmd/accessd/internal/subsys"
)

// Every probeEvery the store task checks the free space (leaving read-only
// mode when there is room again); every markerEvery it writes the store's
// marker, so that a start notices a store that vanished or went back.
const (
	probeEvery  = 5 * time.Second
	markerEvery = time.Minute
)

// storeTask watches the store while the daemon runs.
func (d *Daemon) storeTask() subsys.Task {
	return subsys.Task{Name: "store", Run: func(ctx context.Context, ready func()) error {
		ready()
		probe := time.NewTicker(probeEvery)
		defer probe.Stop()
		marker := time.NewTicker(markerEvery)
		defer marker.Stop()
		markerFailing := false
		for {
			select {
			case <-ctx.Done():
				return nil
			case <-probe.C:
				d.db.Probe()
			case <-marker.C:
				err := d.db.WriteMarker()
				if err != nil && !markerFailing {
					d.log.Warn("cannot write the store marker; retrying every minute", "err", err)
				}
				markerFailing = err != nil
			}
		}
	}}
}
