// Package snmpsys is accessd's SNMP subsystem: the poller of the access
// switches, the trap listeners, the port writer and the link state of the
// accesses built from them (snmp/linkstate), the switch list rebuilt from
// the inventory when it changes, the PI-API link and ON-API link/status,
// accessctl port, switches and poll, and the snmp section of accessctl
// status. The switch list applies on SIGHUP; polling settings on restart.
//
// When polling is off it serves the PI-API link with 501 and has no
// tasks; Links is then nil.
package snmpsys

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/stadsnat/accessd/api"
	"github.com/stadsnat/accessd/api/onapi"
	"github.com/stadsnat/accessd/api/piapi"
	"github.com/stadsnat/accessd/cmd/accessd/internal/subsys"
	"github.com/stadsnat/accessd/cmd/internal/config"
	"github.com/stadsnat/accessd/snmp/linkstate"
	"github.com/stadsnat/accessd/snmp/poller"
	"github.com/stadsnat/accessd/snmp/trap"
	"github.com/stadsnat/accessd/store"
)

// inventoryCheck is how often the subsystem looks at the access change
// sequence to learn that the inventory changed (one tiny read).
const inventoryCheck = time.Second

// Links answers the link state of an access (snmp/linkstate.Links).
type Links interface {
	Link(accessID string) (store.LinkState, error)
}

// System is the running SNMP subsystem.
type System struct {
	c       config.SNMP // as started: the poller's settings
	db      *store.DB
	env     subsys.Env
	log     *slog.Logger
	clients piapi.ClientSource
	remote  Links // a hub's links of its sites; nil: none
	w       *store.PortWriter
	links   *linkstate.Links
	pol     *poller.Poller
	traps   []*trap.Listener

	mu       sync.Mutex
	lc       linkstate.Config
	seq      uint64
	plan     *linkstate.Plan
	problems string // the plan problems last logged
}

// New builds the subsystem from the snmp section; clients lists the
// devices on an access for the PI-API link (the DHCP bindings); remote,
// when set, answers the links a hub learns from its sites (they answer
// the PI-API link and ON-API link/status, polling or not).
func New(c config.SNMP, db *store.DB, env subsys.Env, clients piapi.ClientSource, remote Links) (*System, error) {
	s := &System{c: c, db: db, env: env, log: env.Logger("snmp"), clients: clients, remote: remote}
	if !c.On() {
		return s, nil
	}
	s.w = db.Ports().NewWriter(store.PortWriterOptions{Logger: s.log})
	var err error
	s.links, err = linkstate.New(db.Ports(), s.w, linkstate.Options{Interval: c.Interval.D(), StaleAfter: c.StaleAfter.D(),
		Logger: s.log, Registerer: env.Registerer()})
	if err != nil {
		return nil, err
	}
	o := poller.DefaultOptions()
	o.Interval, o.FullEvery, o.Timeout, o.Retries = c.Interval.D(), c.FullRefreshEvery, c.Timeout.D(), c.Retries
	o.Concurrency, o.MaxRepetitions = c.Concurrency, c.MaxRepetitions
	o.MaxRepetitionsLimit = max(o.MaxRepetitionsLimit, c.MaxRepetitions)
	o.Logger, o.Registerer = s.log, env.Registerer()
	if s.pol, err = poller.New(s.links, o); err != nil {
		return nil, err
	}
	s.lc = PlanConfig(&c)
	if err := s.openTraps(&c); err != nil {
		return nil, err
	}
	if err := s.replan(true); err != nil {
		return nil, err
	}
	n, err := db.Ports().Prune(s.pruneKeep())
	if err != nil {
		return nil, fmt.Errorf("forget ports no longer polled: %w", err)
	}
	if n > 0 {
		s.log.Info("forgot the stored state of ports no longer polled", "ports", n)
	}
	return s, nil
}

// pruneKeep keeps the ports of the switch list. The prune reads the key
// of every stored port and port history, whose pages (with the states
// and histories beside the keys, 150 MB with 100,000 ports) would all
// stay in the resident set: every few thousand keys it has them taken out
// again (store.DB.ReleaseMappedSoon).
func (s *System) pruneKeep() func(store.PortKey) bool {
	n := 0
	return func(k store.PortKey) bool {
		if n++; n%releaseEvery == 0 {
			s.db.ReleaseMappedSoon()
		}
		return s.plan.Wanted(k.Switch, k.Port)
	}
}

// releaseEvery is how many records a scan of the store reads between two
// releases of its pages (a port is about 1,500 bytes of pages, an access
// about 500).
const releaseEvery = 2048

// Links is the link state of the accesses: the remote links when given
// (a hub's, which ask Local first), else the polled ones; nil when
// neither.
func (s *System) Links() Links {
	if s.remote != nil {
		return s.remote
	}
	return s.Local()
}

// Local is the link state this box polls, nil when polling is off.
func (s *System) Local() Links {
	if s.links == nil {
		return nil
	}
	return s.links
}

// Parts hands the process the subsystem's task, routes, admin handlers,
// status and reload.
func (s *System) Parts() subsys.Parts {
	if s.links == nil {
		return subsys.Parts{Name: "snmp", Groups: func() []api.Group {
			if s.remote != nil {
				return []api.Group{piapi.NewLink(s.remote, s.clients), onapi.NewLinkStatus(s.remote)}
			}
			return []api.Group{piapi.NewLinkNotServed("SNMP polling is disabled on this system")}
		}}
	}
	return subsys.Parts{
		Name:  "snmp",
		Tasks: []subsys.Task{{Name: "snmp", Run: s.run}},
		Groups: func() []api.Group {
			return []api.Group{piapi.NewLink(s.Links(), s.clients), onapi.NewLinkStatus(s.Links())}
		},
		Admin:  s.admin,
		Status: s.status,
		Reload: s.reload,
	}
}

// openTraps opens the trap listeners: systemd's "snmptrap" sockets, else
// snmp.traps.listen, else none.
func (s *System) openTraps(c *config.SNMP) error {
	tc := trap.Config{Logger: s.log, Registerer: s.env.Registerer()}
	if c.Traps.Community != "" {
		tc.Communities = []string{c.Traps.Community}
	}
	for i := range c.Traps.V3Users {
		tc.Users = append(tc.Users, *c.Traps.V3Users[i].USM())
	}
	conns, err := s.env.Sockets.PacketConns("snmptrap")
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

// PlanConfig turns the snmp section into the switch-list configuration.
func PlanConfig(c *config.SNMP) linkstate.Config {
	lc := linkstate.Config{DefaultPort: c.Port, Default: c.Default.Credentials()}
	for _, g := range c.Groups {
		lg := linkstate.Group{Name: g.Name, Credentials: g.SNMPCredentials.Credentials(), Match: g.Match}
		for _, r := range g.Rewrite {
			lg.Rewrites = append(lg.Rewrites, r.Rewrite)
		}
		lc.Groups = append(lc.Groups, lg)
	}
	for _, sw := range c.Switches {
		lc.Switches = append(lc.Switches, linkstate.Switch{Address: sw.Address, Name: sw.Name, Group: sw.Group,
			Credentials: sw.SNMPCredentials.Credentials()})
	}
	return lc
}

// replan builds the switch list from the inventory and the configuration
// and hands it to the poller, if the inventory changed since the last
// plan (or force).
func (s *System) replan(force bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	seq, err := s.db.Inventory().Generation()
	if err != nil {
		return err
	}
	if !force && seq == s.seq {
		return nil
	}
	start := time.Now()
	inv := map[string][]string{}
	n := 0
	err = s.db.Ports().EachAccessPort(func(_, sw, port string) error {
		inv[strings.Clone(sw)] = append(inv[sw], strings.Clone(port))
		if n++; n%releaseEvery == 0 {
			s.db.ReleaseMappedSoon() // the pages of the accesses read so far
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("read the inventory's switch ports: %w", err)
	}
	if err := s.db.ReleaseMapped(); err != nil { // the pages of every access just read are the page cache's
		s.log.Warn("the store pages of the switch list's read stay resident", "err", err)
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

// reload applies a new switch list now; the poller's and the trap
// listeners' settings apply on restart (the process warns of those keys).
func (s *System) reload(cfg *config.Config) error {
	lc := PlanConfig(&cfg.SNMP)
	s.mu.Lock()
	s.lc = lc
	s.mu.Unlock()
	if err := s.replan(true); err != nil {
		return fmt.Errorf("snmp: %w", err)
	}
	return nil
}

func (s *System) run(ctx context.Context, ready func()) error {
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
func (s *System) watchInventory(ctx context.Context) error {
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
