// Package daemon is accessd's process: flags, configuration, logging, the
// store, and the long-running tasks (HTTP server, admin socket, DHCP
// sources, SNMP poller, …) run in one errgroup with systemd readiness,
// watchdog, graceful stop on SIGTERM and configuration reload on SIGHUP.
package daemon

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
	_ "time/tzdata" // Europe/Stockholm on systems without zoneinfo

	"github.com/coreos/go-systemd/v22/activation"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/stadsnat/accessd/api"
	"github.com/stadsnat/accessd/api/piapi"
	"github.com/stadsnat/accessd/cmd/internal/admin"
	"github.com/stadsnat/accessd/cmd/internal/config"
	"github.com/stadsnat/accessd/dhcp/ingest"
	"github.com/stadsnat/accessd/store"
	"github.com/stadsnat/accessd/store/catalog"
)

// Main runs accessd with the command-line arguments and returns the exit
// code.
func Main(args []string, version string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("accessd", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", config.DefaultPath, "configuration `file`")
	check := fs.Bool("check-config", false, "validate the configuration, print every problem with its line, and exit")
	showVersion := fs.Bool("version", false, "print the version and exit")
	demo := fs.Bool("demo", false, "run on the embedded demo configuration and inventory: a temporary state directory, loopback ports, no root needed")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: accessd [-config FILE] [-check-config] [-demo] [-version]\n\n"+
			"accessd is the access provisioning daemon of a city network: it knows every access,\n"+
			"learns DHCP bindings from Option 82, polls switch ports over SNMP and answers\n"+
			"PI V1, PI-API 2.3, ON-API 2.6 and Atlas Tjänsteguiden from one local store.\n\nflags:\n")
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
	var err error
	var cleanup func()
	if *demo {
		cfg, cleanup, err = demoConfig()
		if cleanup != nil {
			defer cleanup()
		}
	} else {
		cfg, err = config.Load(*cfgPath)
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
	log := newLogger(stderr, cfg.Log.Format, cfg.Log.Level)
	d := &Daemon{version: version, log: log, demo: *demo, started: time.Now(), cfgPath: *cfgPath}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	if err := d.Run(ctx, cfg, stdout); err != nil {
		log.Error("accessd stopped on an error", "err", err)
		return 1
	}
	log.Info("accessd stopped")
	return 0
}

// Daemon is one running accessd.
type Daemon struct {
	version string
	log     *slog.Logger
	demo    bool
	started time.Time
	cfgPath string

	cfg     atomic.Pointer[config.Config]
	db      *store.DB
	reg     *prometheus.Registry
	handler atomic.Pointer[http.Handler]
	rd      *readiness
	fds     map[string][]*os.File // socket-activated, by FileDescriptorName
	// reloaders are told about a new configuration after SIGHUP.
	reloaders []func(*config.Config) error
	// routes are the extra HTTP routes of the subsystems.
	routes []api.Routes
	// adminRoutes are the subsystems' admin endpoints, statusSections their
	// parts of accessctl status.
	adminRoutes    []adminRoute
	statusSections []func() admin.Section
	// resolver answers option82 / dhcplookup (set by the DHCP wiring).
	resolver atomic.Pointer[resolverHolder]
	// httpMetrics are made once and shared by every rebuilt router.
	httpMetrics *api.Metrics
	// loc is Europe/Stockholm: dates of the standards are local dates there.
	loc *time.Location
	// dhcp is the DHCP binding service (nil until dhcpTasks made it): the
	// live bindings the order and SNMP wiring answer from.
	dhcp *ingest.Service
	// links is the SNMP link state of the accesses (nil when polling is
	// off): the order engine reads port speed and link from it.
	links interface {
		Link(accessID string) (store.LinkState, error)
	}
}

type resolverHolder struct{ r api.Resolver }

// Run opens the store, starts every task and runs until ctx is done.
func (d *Daemon) Run(ctx context.Context, cfg *config.Config, stdout io.Writer) error {
	d.cfg.Store(cfg)
	// activation.Files clears LISTEN_FDS: only the first call gets the
	// sockets, so take them once here and hand them out by name.
	d.fds = activation.FilesWithNames()
	var err error
	d.db, err = store.Open(filepath.Join(cfg.StateDir, store.FileName), store.Options{
		LockTimeout: cfg.Store.LockTimeout.D(),
		Logger:      d.log,
	})
	if err != nil {
		return err
	}
	defer func() {
		if err := d.db.Close(); err != nil {
			d.log.Error("closing the store failed", "err", err)
		}
	}()
	d.reg = prometheus.NewRegistry()
	pre := prometheus.WrapRegistererWithPrefix("accessd_", d.reg)
	pre.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	d.registerStoreMetrics()
	d.httpMetrics = api.NewMetrics(d.reg)
	if d.loc, err = time.LoadLocation("Europe/Stockholm"); err != nil {
		return fmt.Errorf("load time zone: %w", err)
	}

	if d.demo {
		if err := d.loadDemoInventory(); err != nil {
			return err
		}
	}
	tasks := []task{d.httpTask(), d.adminTask(), d.reloadTask(), d.housekeepingTask()}
	tasks = append(tasks, d.subsystemTasks()...)
	if err := d.rebuildHandler(cfg); err != nil {
		return err
	}
	d.rd = newReadiness(tasks)
	if d.demo {
		printDemo(stdout, cfg)
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
	return d.db.Ping()
}

// rebuildHandler builds the HTTP router for cfg; the server swaps to it
// atomically, so a reload never drops a request.
func (d *Daemon) rebuildHandler(cfg *config.Config) error {
	users := make([]api.User, len(cfg.Users))
	for i, u := range cfg.Users {
		users[i] = api.User{Name: u.Name, Password: u.Password, APIs: u.APIs, PIVersion: u.PIVersion, CustomerData: u.CustomerData}
	}
	var res api.Resolver = piapi.StoreResolver{DB: d.db}
	if h := d.resolver.Load(); h != nil {
		res = h.r
	}
	h := api.New(api.Options{
		DB:          d.db,
		Catalog:     catalogOf(cfg),
		Users:       users,
		Environment: cfg.Environment,
		ImportKeys:  cfg.Import.APIKeys,
		Resolver:    res,
		Log:         d.log,
		Metrics:     d.httpMetrics,
		Gatherer:    d.reg,
		Ready:       d.ready,
		Location:    d.loc,
		Extra:       d.routes,
	})
	var hh http.Handler = limitBody(h, cfg.HTTP.MaxBodyBytes)
	d.handler.Store(&hh)
	return nil
}

// limitBody bounds request bodies like http.MaxBytesHandler, but leaves
// requests without a body (the look-ups, every GET) as they are instead of
// copying each one.
func limitBody(h http.Handler, n int64) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body != nil && r.Body != http.NoBody {
			r.Body = http.MaxBytesReader(w, r.Body, n)
		}
		h.ServeHTTP(w, r)
	})
}

func catalogOf(cfg *config.Config) *catalog.Catalog {
	svcs := make([]catalog.Service, len(cfg.Services))
	for i, s := range cfg.Services {
		svcs[i] = catalog.Service{UID: s.UID, Name: s.Name, Type: s.Type, Media: s.Media, CapacityKbit: s.CapacityKbit,
			Hardware: s.Hardware, DirectActivation: s.DirectActivation, MaxPerAccess: s.MaxPerAccess}
	}
	return catalog.New(svcs)
}

// reloadTask re-reads the configuration on SIGHUP. A bad file is logged
// with every problem and the daemon keeps running on the old one.
func (d *Daemon) reloadTask() task {
	return task{name: "reload", run: func(ctx context.Context, ready func()) error {
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

func (d *Daemon) reload() {
	if d.demo {
		d.log.Info("SIGHUP ignored: the demo configuration is built in")
		return
	}
	n := notifier{log: d.log}
	newCfg, err := config.Load(d.cfgPath)
	if err != nil {
		d.log.Error("configuration reload failed, still running on the previous configuration", "config", d.cfgPath, "err", err)
		return
	}
	n.send("RELOADING=1\nSTATUS=reloading configuration")
	old := d.cfg.Load()
	for _, k := range restartOnly(old, newCfg) {
		d.log.Warn("configuration change needs a restart to take effect", "key", k)
	}
	var failed []string
	for _, r := range d.reloaders {
		if err := r(newCfg); err != nil {
			failed = append(failed, err.Error())
		}
	}
	if err := d.rebuildHandler(newCfg); err != nil {
		failed = append(failed, err.Error())
	}
	d.cfg.Store(newCfg)
	if len(failed) > 0 {
		d.log.Error("configuration reloaded with errors", "errors", strings.Join(failed, "; "))
	} else {
		d.log.Info("configuration reloaded", "config", d.cfgPath)
	}
	n.send("READY=1\nSTATUS=" + d.status())
}

// restartOnly names the keys that changed but only take effect on restart.
func restartOnly(old, cfg *config.Config) []string {
	var keys []string
	if old.StateDir != cfg.StateDir {
		keys = append(keys, "state_dir")
	}
	if !slices.Equal(old.HTTP.Listen, cfg.HTTP.Listen) {
		keys = append(keys, "http.listen")
	}
	if old.HTTP.TLS != cfg.HTTP.TLS {
		keys = append(keys, "http.tls")
	}
	if old.Admin != cfg.Admin {
		keys = append(keys, "admin")
	}
	if old.Environment != cfg.Environment {
		keys = append(keys, "environment")
	}
	if old.DHCP.Relay != cfg.DHCP.Relay || !slices.Equal(old.DHCP.Snoop.Interfaces, cfg.DHCP.Snoop.Interfaces) {
		keys = append(keys, "dhcp.relay / dhcp.snoop")
	}
	// Only the DHCP profiles apply live; the service's sizes and timers
	// are set when it starts.
	od, nd := old.DHCP, cfg.DHCP
	for _, k := range []struct {
		name    string
		changed bool
	}{
		{"dhcp.kea_lease_file", od.KeaLeaseFile != nd.KeaLeaseFile},
		{"dhcp.queue_size", od.QueueSize != nd.QueueSize},
		{"dhcp.commit_interval", od.CommitInterval != nd.CommitInterval},
		{"dhcp.lazy_interval", od.LazyInterval != nd.LazyInterval},
		{"dhcp.tentative_lifetime", od.TentativeLifetime != nd.TentativeLifetime},
		{"dhcp.unknown_circuits_max", od.UnknownCircuitsMax != nd.UnknownCircuitsMax},
		{"dhcp.history_retention", od.HistoryRetention != nd.HistoryRetention},
	} {
		if k.changed {
			keys = append(keys, k.name)
		}
	}
	if old.SNMP.Traps.Listen != cfg.SNMP.Traps.Listen {
		keys = append(keys, "snmp.traps.listen")
	}
	return keys
}

// housekeepingTask purges old tombstones once an hour, and hands memory
// the process no longer uses back to the system a minute after start and
// every ten minutes: starting is the daemon's one burst (every switch's
// first walk, every port state written, the stored bindings loaded) and an
// idle process collects garbage so rarely that the runtime would keep that
// peak as its resident size.
func (d *Daemon) housekeepingTask() task {
	return task{name: "housekeeping", run: func(ctx context.Context, ready func()) error {
		ready()
		purge := time.NewTicker(time.Hour)
		defer purge.Stop()
		scavenge := time.NewTimer(time.Minute)
		defer scavenge.Stop()
		for {
			select {
			case <-ctx.Done():
				return nil
			case <-scavenge.C:
				debug.FreeOSMemory()
				scavenge.Reset(10 * time.Minute)
			case <-purge.C:
				keep := d.cfg.Load().Store.TombstoneRetention.D()
				n, err := d.db.PurgeTombstones(time.Now().Add(-keep))
				if err != nil {
					d.log.Error("purging removed accesses failed; will retry in an hour", "err", err)
				} else if n > 0 {
					d.log.Info("forgot removed accesses past their retention", "purged", n, "retention", keep)
				}
			}
		}
	}}
}
