// Package ordersys is accessd's orders subsystem: the one service
// catalogue and rule engine (api/activation/rules) that answers "can
// service S be delivered on access A now", the activation engine that
// runs the orders through the KO's hook, PI-API's feasibility,
// availability and orders, ON-API's orders, services, subscriptions and
// events, Atlas Tjänsteguiden's bounce URL and activation API, accessctl
// services, orders and order, and the orders section of accessctl status.
// Catalogue, media codes, rules, hook and Atlas apply on SIGHUP; a new
// catalogue or new rules are a change in the store's feed.
package ordersys

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"sync/atomic"

	"github.com/stadsnat/accessd/api"
	"github.com/stadsnat/accessd/api/activation"
	"github.com/stadsnat/accessd/api/atlas"
	"github.com/stadsnat/accessd/api/onapi/feed"
	"github.com/stadsnat/accessd/api/orders"
	"github.com/stadsnat/accessd/api/piapi"
	"github.com/stadsnat/accessd/cmd/accessd/internal/subsys"
	"github.com/stadsnat/accessd/cmd/internal/config"
	"github.com/stadsnat/accessd/store"
	"github.com/stadsnat/accessd/store/catalog"
)

// Config is what the subsystem reads of the configuration.
type Config struct {
	Services       []config.Service
	Media          []config.MediaCode
	Activation     config.Activation
	Atlas          config.Atlas
	TrustedProxies []netip.Prefix // the proxies the bounce URL believes
	// Queue: a hub's instances carry out orders from their shared queue
	// (the cluster subsystem), not on the local schedule.
	Queue bool
}

// Section is the subsystem's part of cfg.
func Section(cfg *config.Config) Config {
	return Config{Services: cfg.Services, Media: cfg.Media, Activation: cfg.Activation, Atlas: cfg.Atlas,
		TrustedProxies: cfg.HTTP.TrustedProxies, Queue: cfg.Cluster.Role == config.RoleHub}
}

// Links answers the link state of an access (the SNMP subsystem).
type Links interface {
	Link(accessID string) (store.LinkState, error)
}

// Peers are what the subsystem uses of the DHCP and SNMP subsystems; a
// nil one is not known.
type Peers struct {
	Bindings   atlas.Bindings      // IP/MAC → access: the live DHCP bindings
	Neighbours atlas.Neighbours    // IP → MAC: the kernel's neighbour table
	DHCP       activation.DHCPSeen // the last Option 82 of an access
	Links      Links               // port speed and link: SNMP
}

// System is the running orders subsystem.
type System struct {
	db     *store.DB
	env    subsys.Env
	log    *slog.Logger
	peers  Peers
	eng    *activation.Engine
	orders *orders.API
	cfg    atomic.Pointer[Config]
}

// New builds the engine from its configuration, the store and its peers.
func New(c Config, db *store.DB, env subsys.Env, p Peers) *System {
	s := &System{db: db, env: env, log: env.Logger("orders"), peers: p}
	s.cfg.Store(&c)
	m := newMetrics(env.Registerer())
	o := activation.Options{Orders: db.Orders(), Location: env.Location, Log: s.log, DHCP: p.DHCP,
		Concurrency: c.Activation.Concurrency, Settings: Settings(&c), Observe: m.observe, Queue: c.Queue}
	if p.Links != nil {
		o.Ports = linkPorts{p.Links}
	}
	s.eng = activation.New(o)
	s.orders = orders.New(orders.Deps{Engine: s.eng, DB: db, Log: s.log})
	if err := s.noteCatalogue(o.Settings); err != nil {
		s.log.Error("recording the service catalogue's change failed; If-Modified-Since answers may miss it", "err", err)
	}
	return s
}

// noteCatalogue records the settings' fingerprint in the store: a new
// catalogue or new rules change every access's answer about services
// (PI-API feasibility, ON-API services/), so If-Modified-Since must see it.
func (s *System) noteCatalogue(st activation.Settings) error {
	t, err := s.db.NoteCatalogue(st.Fingerprint())
	if err != nil {
		return fmt.Errorf("note the service catalogue: %w", err)
	}
	s.log.Debug("service catalogue noted", "changed", t)
	return nil
}

// Engine is the order engine: the upstream subsystem places the Atlas
// portal's orders with it and gives it the providers' customer check.
func (s *System) Engine() *activation.Engine { return s.eng }

// Parts hands the process the subsystem's task, routes, admin handlers,
// status and reload.
func (s *System) Parts() subsys.Parts {
	return subsys.Parts{
		Name:   "orders",
		Tasks:  []subsys.Task{{Name: "orders", Run: s.run}},
		Groups: s.groups,
		Admin:  s.admin,
		Status: s.status,
		Reload: s.reload,
	}
}

func (s *System) run(ctx context.Context, ready func()) error {
	if err := checkHook(&s.cfg.Load().Activation); err != nil {
		s.log.Warn("activation hook cannot run: orders will fail until it can", "err", err)
	}
	return s.eng.Run(ctx, ready)
}

// groups are PI-API's feasibility and availability (on the engine's
// catalogue and its services), the orders of PI-API and ON-API, ON-API's
// services, subscriptions and events, and the Atlas URLs when configured.
func (s *System) groups() []api.Group {
	gs := []api.Group{
		piapi.New(piapi.Deps{DB: s.db, Engine: s.eng, Active: s.orders.Active}),
		s.orders,
		feed.New(feed.Deps{DB: s.db, Engine: s.eng, Loc: s.env.Location}),
	}
	c := s.cfg.Load()
	if !c.Atlas.On() {
		return gs
	}
	a := c.Atlas
	h, err := atlas.New(atlas.Config{
		APIUser: a.APIUser, APIKey: a.APIKey, ReturnURLs: a.URLs(), AllowedIPs: a.AllowedIPs,
		TrustedProxies: c.TrustedProxies, NetType: a.NetType, BouncePath: a.BouncePath, APIPath: a.APIPath,
	}, s.eng, s.peers.Bindings, s.peers.Neighbours, s.log.With("api", "atlas"))
	if err != nil {
		s.log.Error("Atlas URLs not served", "err", err)
		return gs
	}
	return append(gs, h)
}

// reload applies the catalogue, media codes, rules, hook and Atlas.
func (s *System) reload(cfg *config.Config) error {
	c := Section(cfg)
	st := Settings(&c)
	s.eng.SetSettings(st)
	s.cfg.Store(&c)
	if err := s.noteCatalogue(st); err != nil {
		return err
	}
	return checkHook(&c.Activation)
}

func checkHook(a *config.Activation) error {
	if a.Hook == "" {
		return nil
	}
	return activation.CheckHook(activation.ExecHook{Path: a.Hook})
}

// Settings turns the configuration into the engine's settings: the one
// catalogue of the process, the media codes, the rules and the hook.
func Settings(c *Config) activation.Settings {
	svcs := make([]catalog.Service, len(c.Services))
	for i, s := range c.Services {
		svcs[i] = catalog.Service{UID: s.UID, Name: s.Name, Type: s.Type, Media: s.Media, CapacityKbit: s.CapacityKbit,
			Hardware: s.Hardware, DirectActivation: s.DirectActivation, MaxPerAccess: s.MaxPerAccess,
			CommitmentMonths: s.CommitmentMonths, IPTV: s.IPTV}
	}
	media := map[string]int{}
	for _, m := range c.Media {
		media[m.Name] = m.Code
	}
	rules := make([]activation.Rule, len(c.Activation.Rules))
	for i, r := range c.Activation.Rules {
		rules[i] = activation.Rule{Code: r.Code, When: string(r.When), Values: r.Values, Services: r.Services, Message: r.Message}
	}
	st := activation.Settings{Catalog: catalog.New(svcs), Media: catalog.NewMediaCodes(media), Rules: rules}
	if c.Activation.Hook != "" {
		st.Hook = activation.ExecHook{Path: c.Activation.Hook, Timeout: c.Activation.Timeout.D()}
	}
	return st
}

// linkPorts adapts the SNMP link state to the engine's port speed and
// link: known only when the link is UP or DOWN.
type linkPorts struct{ links Links }

func (l linkPorts) Port(accessID string) (int, bool, bool) {
	ls, err := l.links.Link(accessID)
	if err != nil || (ls.Link != store.LinkUp && ls.Link != store.LinkDown) {
		return 0, false, false
	}
	return int(ls.SpeedMbps), ls.Link == store.LinkUp, true
}
