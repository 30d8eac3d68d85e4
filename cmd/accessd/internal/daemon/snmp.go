package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/stadsnat/accessd/api"
	"github.com/stadsnat/accessd/api/onapi"
	"github.com/stadsnat/accessd/api/piapi"
	"github.com/stadsnat/accessd/cmd/internal/admin"
	"github.com/stadsnat/accessd/cmd/internal/config"
	"github.com/stadsnat/accessd/dhcp/binding"
	"github.com/stadsnat/accessd/snmp/linkstate"
	"github.com/stadsnat/accessd/snmp/poller"
	"github.com/stadsnat/accessd/snmp/portmatch"
	"github.com/stadsnat/accessd/snmp/trap"
	"github.com/stadsnat/accessd/store"
)

// inventoryCheck is how often the SNMP wiring looks at the access change
// sequence to learn that the inventory changed (one tiny read).
const inventoryCheck = time.Second

// snmp is the SNMP link-state subsystem: poller, trap listeners, the port
// writer and the link answers.
type snmp struct {
	d     *Daemon
	log   *slog.Logger
	w     *store.PortWriter
	links *linkstate.Links
	pol   *poller.Poller
	traps []*trap.Listener

	mu       sync.Mutex
	lc       linkstate.Config
	seq      uint64
	plan     *linkstate.Plan
	problems string // the plan problems last logged
}

// snmpTasks wires SNMP polling into the daemon: the PI-API link and
// ON-API link/status routes, accessctl port/switches/poll, a status
// section, SIGHUP, and one task running the poller, the trap listeners,
// the port writer and the inventory watcher.
func (d *Daemon) snmpTasks() []task {
	cfg := d.cfg.Load()
	if !cfg.SNMP.On() {
		d.routes = append(d.routes, snmpDisabledRoutes)
		return nil
	}
	s, err := d.newSNMP(cfg)
	if err != nil {
		return []task{{name: "snmp", run: func(context.Context, func()) error { return err }}}
	}
	// The order engine's port speed and link (port_status, the capacity
	// check) come from here: snmpTasks runs before ordersTasks.
	d.links = s.links
	clients := bindingClients{d.db.BindingsOfAccess}
	if d.dhcp != nil {
		clients = bindingClients{func(id string) ([]store.BindingRecord, error) { return d.dhcp.BindingsOnAccess(id), nil }}
	}
	d.routes = append(d.routes, s.routes(clients))
	d.adminRoutes = append(d.adminRoutes, s.adminRoutes)
	d.statusSections = append(d.statusSections, s.statusSection)
	d.reloaders = append(d.reloaders, s.reload)
	return []task{{name: "snmp", run: s.run}}
}

func (d *Daemon) newSNMP(cfg *config.Config) (*snmp, error) {
	c := &cfg.SNMP
	log := d.log.With("subsystem", "snmp")
	s := &snmp{d: d, log: log}
	s.w = d.db.NewPortWriter(store.PortWriterOptions{Logger: log})
	var err error
	s.links, err = linkstate.New(d.db, s.w, linkstate.Options{Interval: c.Interval.D(), StaleAfter: c.StaleAfter.D(),
		Logger: log, Registerer: d.reg})
	if err != nil {
		return nil, err
	}
	o := poller.DefaultOptions()
	o.Interval, o.FullEvery, o.Timeout, o.Retries = c.Interval.D(), c.FullRefreshEvery, c.Timeout.D(), c.Retries
	o.Concurrency, o.MaxRepetitions = c.Concurrency, c.MaxRepetitions
	o.MaxRepetitionsLimit = max(o.MaxRepetitionsLimit, c.MaxRepetitions)
	o.Logger, o.Registerer = log, d.reg
	if s.pol, err = poller.New(s.links, o); err != nil {
		return nil, err
	}
	if s.lc, err = planConfig(c); err != nil {
		return nil, err
	}
	if err := s.openTraps(c); err != nil {
		return nil, err
	}
	if err := s.replan(true); err != nil {
		return nil, err
	}
	n, err := d.db.PrunePorts(func(k store.PortKey) bool { return s.plan.Wanted(k.Switch, k.Port) })
	if err != nil {
		return nil, fmt.Errorf("forget ports no longer polled: %w", err)
	}
	if n > 0 {
		log.Info("forgot the stored state of ports no longer polled", "ports", n)
	}
	return s, nil
}

// openTraps opens the trap listeners: systemd's "snmptrap" sockets, else
// snmp.traps.listen, else none.
func (s *snmp) openTraps(c *config.SNMP) error {
	tc := trap.Config{Logger: s.log, Registerer: s.d.reg}
	if c.Traps.Community != "" {
		tc.Communities = []string{c.Traps.Community}
	}
	for i := range c.Traps.V3Users {
		tc.Users = append(tc.Users, *c.Traps.V3Users[i].USM())
	}
	conns, err := s.d.packetConns("snmptrap")
	if err != nil {
		return err
	}
	for _, pc := range conns {
		cfg := tc
		cfg.Conn = pc
		l, err := trap.New(cfg, s.pol)
		if err != nil {
			return err
		}
		s.traps = append(s.traps, l)
		tc.Registerer = nil // the metrics are registered once
	}
	if len(conns) == 0 && c.Traps.Listen != "" {
		tc.Listen = c.Traps.Listen
		l, err := trap.New(tc, s.pol)
		if err != nil {
			return fmt.Errorf("snmp.traps.listen: %w", err)
		}
		s.traps = append(s.traps, l)
	}
	for _, l := range s.traps {
		s.log.Info("SNMP trap listener open", "address", l.Addr().String(), "v2c", len(tc.Communities) > 0, "v3_users", len(tc.Users))
	}
	return nil
}

// planConfig turns the snmp section into the switch-list configuration.
func planConfig(c *config.SNMP) (linkstate.Config, error) {
	lc := linkstate.Config{DefaultPort: c.Port, Default: c.Default.Credentials()}
	for _, g := range c.Groups {
		lg := linkstate.Group{Name: g.Name, Credentials: g.SNMPCredentials.Credentials(), Match: g.Match}
		for _, r := range g.Rewrite {
			rw, err := portmatch.NewRewrite(r.From, r.To)
			if err != nil {
				return lc, fmt.Errorf("snmp group %s: %w", g.Name, err)
			}
			lg.Rewrites = append(lg.Rewrites, rw)
		}
		lc.Groups = append(lc.Groups, lg)
	}
	for _, sw := range c.Switches {
		lc.Switches = append(lc.Switches, linkstate.Switch{Address: sw.Address, Name: sw.Name, Group: sw.Group,
			Credentials: sw.SNMPCredentials.Credentials()})
	}
	return lc, nil
}

// replan builds the switch list from the inventory and the configuration
// and hands it to the poller, if the inventory changed since the last
// plan (or force).
func (s *snmp) replan(force bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	seq, err := s.d.db.AccessGeneration()
	if err != nil {
		return err
	}
	if !force && seq == s.seq {
		return nil
	}
	start := time.Now()
	inv := map[string][]string{}
	err = s.d.db.EachAccessPort(func(_, sw, port string) error {
		inv[strings.Clone(sw)] = append(inv[sw], strings.Clone(port))
		return nil
	})
	if err != nil {
		return fmt.Errorf("read the inventory's switch ports: %w", err)
	}
	plan := s.lc.Plan(inv)
	if err := s.pol.SetSwitches(plan.Switches); err != nil {
		return fmt.Errorf("switch list: %w", err)
	}
	s.links.SetPlan(plan)
	s.plan, s.seq = plan, seq
	ports := 0
	for _, sw := range plan.Switches {
		ports += len(sw.Ports)
	}
	s.log.Debug("switch list built from the inventory", "switches", len(plan.Switches), "ports", ports,
		"took", time.Since(start).Round(time.Millisecond))
	if p := strings.Join(plan.Problems, "\n"); p != s.problems {
		s.problems = p
		for _, line := range plan.Problems {
			s.log.Warn("switch not polled", "problem", line)
		}
	}
	return nil
}

// reload applies a new configuration: the switch list now; the poller's
// and the trap listeners' settings only on restart.
func (s *snmp) reload(cfg *config.Config) error {
	old := s.d.cfg.Load()
	if !cfg.SNMP.On() {
		s.log.Warn("snmp.enabled: false takes effect on restart; still polling")
	}
	a, b := old.SNMP, cfg.SNMP
	if a.Interval != b.Interval || a.FullRefreshEvery != b.FullRefreshEvery || a.Timeout != b.Timeout || a.Retries != b.Retries ||
		a.Concurrency != b.Concurrency || a.MaxRepetitions != b.MaxRepetitions || a.StaleAfter != b.StaleAfter {
		s.log.Warn("snmp polling settings (interval, timeout, retries, …) take effect on restart; the switch list is reloaded now")
	}
	if a.Traps.Community != b.Traps.Community || len(a.Traps.V3Users) != len(b.Traps.V3Users) {
		s.log.Warn("snmp.traps take effect on restart")
	}
	lc, err := planConfig(&cfg.SNMP)
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.lc = lc
	s.mu.Unlock()
	if err := s.replan(true); err != nil {
		return fmt.Errorf("snmp: %w", err)
	}
	return nil
}

func (s *snmp) run(ctx context.Context, ready func()) error {
	wctx, wstop := context.WithCancel(context.Background())
	wdone := make(chan struct{})
	go func() { s.w.Run(wctx); close(wdone) }() // outlives the poller: its last states are written
	defer func() { wstop(); <-wdone }()

	g, gctx := errgroup.WithContext(ctx)
	quiet := func(err error) error {
		if errors.Is(err, context.Canceled) {
			return nil
		}
		return err
	}
	g.Go(func() error { return quiet(s.pol.Run(gctx)) })
	for _, l := range s.traps {
		g.Go(func() error { return quiet(l.Run(gctx)) })
	}
	g.Go(func() error { return s.watchInventory(gctx) })
	g.Go(func() error {
		waits := []<-chan struct{}{s.pol.Ready()}
		for _, l := range s.traps {
			waits = append(waits, l.Ready())
		}
		for _, w := range waits {
			select {
			case <-w:
			case <-gctx.Done():
				return nil
			}
		}
		s.log.Info("SNMP poller ready: every switch polled once", "switches", len(s.pol.Switches()))
		ready()
		return nil
	})
	return g.Wait()
}

// watchInventory rebuilds the switch list when the inventory changes.
func (s *snmp) watchInventory(ctx context.Context) error {
	tick := time.NewTicker(inventoryCheck)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
			if err := s.replan(false); err != nil {
				s.log.Error("rebuilding the switch list after an inventory change failed; will retry", "err", err)
			}
		}
	}
}

// routes registers the PI-API link and ON-API link/status; clients lists
// the devices on an access (DHCP bindings), nil when not wired.
func (s *snmp) routes(clients piapi.ClientSource) api.Routes {
	return func(rt *api.Router) {
		for _, v := range piapi.Versions() {
			rt.Handle("GET /api/"+v+"/accesses/{accessId}/link", api.GroupPIAPI,
				rt.SP(api.GroupPIAPI, rt.JSON.Handle(piapi.Link(s.links, clients))))
		}
		rt.ONAPI(onapi.LinkStatusEndpoint(), onapi.LinkStatusPath, onapi.LinkStatus(s.links))
	}
}

// bindingClients lists the devices on an access for the PI-API link from
// its active DHCP bindings (the DHCP service's working set, or the store):
// the MAC of every active binding, its IP once bound (a tentative
// binding's address was only asked for).
type bindingClients struct {
	of func(accessID string) ([]store.BindingRecord, error)
}

func (s bindingClients) ClientsOf(accessID string) ([]piapi.Client, error) {
	rs, err := s.of(accessID)
	if err != nil {
		return nil, err
	}
	out := make([]piapi.Client, 0, len(rs))
	for _, r := range rs {
		c := piapi.Client{MAC: net.HardwareAddr(r.MAC[:])}
		if r.State == binding.Bound {
			c.IP = r.IP
		}
		out = append(out, c)
	}
	return out, nil
}

// snmpDisabledRoutes answers the PI-API link with 501 when polling is off
// (ON-API's endpoint list then does not name link/status).
func snmpDisabledRoutes(rt *api.Router) {
	for _, v := range piapi.Versions() {
		rt.Handle("GET /api/"+v+"/accesses/{accessId}/link", api.GroupPIAPI, rt.SP(api.GroupPIAPI,
			rt.JSON.Handle(piapi.LinkNotServed("SNMP polling is disabled on this system"))))
	}
}

// adminRoutes: accessctl port, switches and poll.
func (s *snmp) adminRoutes(handle func(pattern string, h adminHandler)) {
	handle("GET /v1/ports/{accessId}", func(w http.ResponseWriter, r *http.Request) error {
		id := r.PathValue("accessId")
		rep, err := s.links.Report(id)
		switch {
		case errors.Is(err, store.ErrNotFound):
			return adminErrorf(http.StatusNotFound, "no access %q", id)
		case errors.Is(err, store.ErrNoPort):
			return adminErrorf(http.StatusNotFound, "access %q names no switch port (Option82 %q)", id, "SWITCH PORT")
		case err != nil:
			return err
		}
		return writeJSON(w, rep)
	})
	handle("GET /v1/switches", func(w http.ResponseWriter, r *http.Request) error {
		s.mu.Lock()
		problems := slices.Clone(s.plan.Problems)
		s.mu.Unlock()
		return writeJSON(w, struct {
			Switches []store.SwitchStatus `json:"switches"`
			Problems []string             `json:"problems"`
		}{s.links.Switches(), problems})
	})
	handle("POST /v1/poll", func(w http.ResponseWriter, r *http.Request) error {
		full := r.URL.Query().Get("full") == "1"
		start := time.Now()
		if err := s.pol.PollNow(r.Context(), full); err != nil {
			return err
		}
		if err := s.links.Sync(r.Context()); err != nil {
			return err
		}
		s.log.Info("switches polled on an operator's request", "full", full, "took", time.Since(start).Round(time.Millisecond))
		return writeJSON(w, struct {
			Full   bool                  `json:"full"`
			Millis int64                 `json:"millis"`
			Writer store.PortWriterStats `json:"writer"`
		}{full, time.Since(start).Milliseconds(), s.w.Stats()})
	})
}

// statusSection is the snmp part of accessctl status.
func (s *snmp) statusSection() admin.Section {
	sws := s.links.Switches()
	unreachable, packets := 0, 0
	for _, sw := range sws {
		if !sw.Reachable {
			unreachable++
		}
		packets += sw.LastCyclePackets
	}
	byLink := map[string]int{}
	for _, p := range s.pol.Ports() {
		byLink[string(p.Link)]++
	}
	cfg := s.d.cfg.Load().SNMP
	s.mu.Lock()
	problems := len(s.plan.Problems)
	s.mu.Unlock()
	ws := s.w.Stats()
	rows := [][2]string{
		{"switches", fmt.Sprintf("%d polled, %d unreachable, %d not pollable (accessctl switches)", len(sws), unreachable, problems)},
		{"ports", fmt.Sprintf("%d UP, %d DOWN, %d UNKNOWN", byLink["UP"], byLink["DOWN"], byLink["UNKNOWN"])},
		{"polling", fmt.Sprintf("every %v, full refresh every %d, timeout %v × %d tries, %d at once",
			cfg.Interval.D(), cfg.FullRefreshEvery, cfg.Timeout.D(), cfg.Retries+1, cfg.Concurrency)},
	}
	if len(sws) > 0 {
		rows = append(rows, [2]string{"last cycle", fmt.Sprintf("%.2f packets per switch", float64(packets)/float64(len(sws)))})
	}
	var addrs []string
	for _, l := range s.traps {
		addrs = append(addrs, l.Addr().String())
	}
	if len(addrs) == 0 {
		addrs = append(addrs, "none")
	}
	rows = append(rows,
		[2]string{"traps", fmt.Sprintf("%s, %d received", strings.Join(addrs, " "), int(s.d.sumMetric("accessd_snmp_traps_received_total")))},
		[2]string{"store", fmt.Sprintf("%d port states written in %d transactions, %d queued, %d transitions, %d flaps, %d failures",
			ws.Updates, ws.Batches, ws.Queued, ws.Transitions, ws.Flaps, ws.Failures)},
	)
	return admin.Section{Title: "snmp", Rows: rows}
}

// sumMetric adds up every series of a counter or gauge of the registry.
func (d *Daemon) sumMetric(name string) float64 {
	mfs, err := d.reg.Gather()
	if err != nil {
		return 0
	}
	var sum float64
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			sum += m.GetCounter().GetValue() + m.GetGauge().GetValue()
		}
	}
	return sum
}
