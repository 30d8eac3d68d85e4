package daemon

import (
	"context"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/stadsnat/accessd/cmd/accessd/internal/clustersys"
	"github.com/stadsnat/accessd/cmd/accessd/internal/subsys"
	"github.com/stadsnat/accessd/cmd/internal/config"
)

// reloadTask re-reads the configuration on SIGHUP. A bad file is logged
// with every problem and the daemon keeps running on the old one.
func (d *Daemon) reloadTask() subsys.Task {
	return subsys.Task{Name: "reload", Run: func(ctx context.Context, ready func()) error {
		hup := make(chan os.Signal, 1)
		signal.Notify(hup, syscall.SIGHUP)
		defer signal.Stop(hup)
		ready()
		for {
			select {
			case <-ctx.Done():
				return nil
			case <-hup:
				d.reload()
			}
		}
	}}
}

// reload applies a new configuration: it warns of every changed key that
// needs a restart (config.Restart), hands the configuration to every
// subsystem and rebuilds the router.
func (d *Daemon) reload() {
	if d.demo != nil {
		d.log.Info("SIGHUP ignored: the demo configuration is built in")
		return
	}
	n := notifier{log: d.log}
	cfg, err := config.Load(d.cfgPath, config.WithCheck(clustersys.Check))
	if err != nil {
		d.log.Error("configuration reload failed, still running on the previous configuration", "config", d.cfgPath, "err", err)
		return
	}
	n.send("RELOADING=1\nSTATUS=reloading configuration")
	for _, k := range config.Restart(d.cfg.Load(), cfg) {
		d.log.Warn("configuration change needs a restart to take effect", "key", k)
	}
	d.level.Set(cfg.Log.Level)
	d.db.SetMinFreeBytes(cfg.Store.MinFreeBytes)
	var failed []string
	for _, p := range d.parts {
		if p.Reload == nil {
			continue
		}
		if err := p.Reload(cfg); err != nil {
			failed = append(failed, err.Error())
		}
	}
	d.cfg.Store(cfg)
	d.rebuildHandler(cfg)
	if len(failed) > 0 {
		d.log.Error("configuration reloaded with errors", "errors", strings.Join(failed, "; "))
	} else {
		d.log.Info("configuration reloaded", "config", d.cfgPath)
	}
	n.send("READY=1\nSTATUS=" + d.status())
}
