// Package daemon is accessd's process: flags, the configuration, logging,
// the store, signals, systemd readiness and watchdog, the HTTP server and
// the admin socket, and configuration reload on SIGHUP. Everything else
// is a subsystem (package subsys): build.go is the one place that builds
// them, in dependency order, and the process runs their tasks in one
// errgroup, mounts their API groups on the one router, registers their
// admin handlers and hands them a new configuration.
package daemon

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os/signal"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
	_ "time/tzdata" // Europe/Stockholm on systems without zoneinfo

	"github.com/coreos/go-systemd/v22/activation"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/stadsnat/accessd/api"
	"github.com/stadsnat/accessd/cmd/accessd/internal/clustersys"
	"github.com/stadsnat/accessd/cmd/accessd/internal/demo"
	"github.com/stadsnat/accessd/cmd/accessd/internal/logging"
	"github.com/stadsnat/accessd/cmd/accessd/internal/subsys"
	"github.com/stadsnat/accessd/cmd/internal/config"
	"github.com/stadsnat/accessd/store"
)

// Main runs accessd with the command-line arguments and returns the exit
// code.
func Main(args []string, version string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("accessd", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", config.DefaultPath, "configuration `file`")
	check := fs.Bool("check-config", false, "validate the configuration, print every problem with its line, and exit")
	showVersion := fs.Bool("version", false, "print the version and exit")
	demoMode := fs.Bool("demo", false, "run on the embedded demo configuration and inventory, with a simulated switch and DHCP relay: "+
		"a temporary state directory, loopback ports, no root needed; it stops when its parent (go run) ends")
	demoListen := fs.String("demo-listen", demo.DefaultListen, "the demo's HTTP `address`; with port 0 every demo port (HTTP, DHCP relay, SNMP, traps) is the kernel's choice")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: accessd [-config FILE] [-check-config] [-demo [-demo-listen ADDR]] [-version]\n\n"+
			"accessd is the access provisioning daemon of a city network: it knows every access,\n"+
			"learns DHCP bindings from Option 82, polls switch ports over SNMP and answers\n"+
			"PI V1, PI-API 2.2/2.3, ON-API 2.6 and Atlas Tjänsteguiden from one local store.\n\nflags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "accessd: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	if *showVersion {
		fmt.Fprintf(stdout, "accessd %s\n", version)
		return 0
	}
	var cfg *config.Config
	var dm *demo.Demo
	var err error
	if *demoMode {
		demo.StopWithParent()
		if dm, err = demo.Prepare(); err == nil {
			defer dm.Close()
			cfg = dm.Config
		}
	} else {
		cfg, err = config.Load(*cfgPath, config.WithCheck(clustersys.Check))
	}
	if err != nil {
		var ps config.Problems
		if errors.As(err, &ps) {
			fmt.Fprintf(stderr, "%s: %d problem(s):\n%s\n", *cfgPath, len(ps), ps.Error())
		} else {
			fmt.Fprintf(stderr, "accessd: %v\n", err)
		}
		return 1
	}
	if *check {
		fmt.Fprintf(stdout, "%s: configuration OK\n", cfg.Path)
		return 0
	}
	d := &Daemon{version: version, demo: dm, demoListen: *demoListen, started: time.Now(), cfgPath: *cfgPath, faults: make(chan error, 1)}
	d.level.Set(cfg.Log.Level)
	d.log = logging.New(stderr, cfg.Log.Format, &d.level)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	if err := d.Run(ctx, cfg, stdout); err != nil {
		d.log.Error("accessd stopped on an error", "err", err)
		return 1
	}
	d.log.Info("accessd stopped")
	return 0
}

// Daemon is one running accessd.
type Daemon struct {
	version string
	log     *slog.Logger
	level   slog.LevelVar // log.level, which a reload changes
	demo    *demo.Demo    // -demo; nil otherwise
	// demoListen is the demo's HTTP address (-demo-listen).
	demoListen string
	started    time.Time
	cfgPath    string

	cfg         atomic.Pointer[config.Config]
	db          *store.DB
	reg         *prometheus.Registry
	httpMetrics *api.Metrics // made once, shared by every rebuilt router
	authGuard   *api.Guard   // failed logins: made once, shared by every rebuilt router
	handler     atomic.Pointer[http.Handler]
	rd          *readiness
	sockets     subsys.Sockets // socket-activated, by FileDescriptorName
	parts       []subsys.Parts // of the subsystems, in build order
	faults      chan error     // a memory fault reading the store (fault.go)
	faulted     atomic.Bool    // a fault happened: the store is not closed
}

// Run opens the store, builds the subsystems, starts every task and runs
// until ctx is done.
func (d *Daemon) Run(ctx context.Context, cfg *config.Config, stdout io.Writer) error {
	d.cfg.Store(cfg)
	// activation.Files clears LISTEN_FDS: only the first call gets the
	// sockets, so take them once here and hand them out by name.
	d.sockets = subsys.Sockets(activation.FilesWithNames())
	var err error
	d.db, err = store.Open(cfg.StorePath(), store.Options{LockTimeout: cfg.Store.LockTimeout.D(), Logger: d.log,
		MinFreeBytes: cfg.Store.MinFreeBytes})
	if err != nil {
		return err
	}
	defer func() {
		if d.faulted.Load() {
			return // the file is broken under its mapping: nothing to save, and a read could hang
		}
		if err := d.db.Close(); err != nil {
			d.log.Error("closing the store failed", "err", err)
		}
	}()
	d.reg = prometheus.NewRegistry()
	pre := prometheus.WrapRegistererWithPrefix("accessd_", d.reg)
	pre.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	d.registerStoreMetrics()
	d.httpMetrics = api.NewMetrics(d.reg)
	d.authGuard = api.NewGuard(d.reg, d.log)
	loc, err := time.LoadLocation("Europe/Stockholm")
	if err != nil {
		return fmt.Errorf("load time zone: %w", err)
	}
	var peers *demo.Peers
	if d.demo != nil {
		if err := demo.LoadInventory(d.db, d.log); err != nil {
			return err
		}
		if d.sockets == nil {
			d.sockets = subsys.Sockets{}
		}
		if peers, err = d.demo.Start(ctx, d.sockets, d.demoListen, d.log); err != nil {
			return err
		}
		defer peers.Stop()
	}
	d.parts, err = subsystems(cfg, d.db, subsys.Env{Log: d.log, Metrics: d.reg, Sockets: d.sockets, Location: loc},
		func() <-chan struct{} { return d.rd.all })
	if err != nil {
		return err
	}
	defer closeParts(d.parts, d.log) // once every task stopped
	http, err := d.httpTask()
	if err != nil {
		return err
	}
	tasks := []subsys.Task{http, d.adminTask(), d.reloadTask(), d.storeTask(), d.faultTask()}
	for _, p := range d.parts {
		tasks = append(tasks, p.Tasks...)
	}
	if peers != nil {
		tasks = append(tasks, peers.RelayTask(func() []string { return d.rd.notReady() }, d.db), peers.UpstreamTask(d.db))
	}
	d.rebuildHandler(cfg)
	d.rd = newReadiness(tasks)
	if peers != nil {
		peers.Print(stdout, cfg)
	}
	d.log.Info("accessd starting", "version", d.version, "ko_id", cfg.KOID, "environment", cfg.Environment,
		"state_dir", cfg.StateDir, "config", cfg.Path)
	return runTasks(ctx, d.log, tasks, d.rd, d.status, d.db.Ping)
}

// status is the one-line STATUS= for systemd.
func (d *Daemon) status() string {
	st, err := d.db.Stats()
	if err != nil {
		return "store unreadable: " + err.Error()
	}
	if reason, _, ro := d.db.ReadOnly(); ro {
		return fmt.Sprintf("serving %d accesses READ-ONLY: %s", st.Accesses, reason)
	}
	return fmt.Sprintf("serving %d accesses", st.Accesses)
}

// ready is nil when every task is ready and the store answers.
func (d *Daemon) ready() error {
	if d.rd == nil {
		return errors.New("starting")
	}
	if nr := d.rd.notReady(); len(nr) > 0 {
		return fmt.Errorf("waiting for %s", strings.Join(nr, ", "))
	}
	if reason, since, ro := d.db.ReadOnly(); ro {
		return fmt.Errorf("the store is read-only since %s: %s (reads go on; writes resume by themselves when there is room)",
			since.UTC().Format(time.RFC3339), reason)
	}
	return d.db.Ping()
}
