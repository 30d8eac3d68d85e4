package clustersys

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/stadsnat/accessd/api/activation"
	"github.com/stadsnat/accessd/cmd/accessd/internal/cluster"
	"github.com/stadsnat/accessd/cmd/accessd/internal/subsys"
	"github.com/stadsnat/accessd/cmd/accessd/internal/upstream/outbox"
	"github.com/stadsnat/accessd/cmd/internal/config"
	"github.com/stadsnat/accessd/store"
)

// Options maps the configuration onto the cluster's options, with its
// defaults (the store directory under state_dir).
func Options(cfg *config.Config) cluster.Options {
	c := &cfg.Cluster
	o := cluster.Options{
		Site: cfg.Site, Role: cluster.Role(c.Role), Instance: c.Instance, HubSite: c.HubSite, Sites: c.Sites,
		NATS: cluster.NATSOptions{
			Embedded: c.NATS.Embedded, URL: c.NATS.URL, Listen: c.NATS.Listen, LeafListen: c.NATS.LeafListen,
			Hub: c.NATS.Hub, CredentialsFile: c.NATS.CredentialsFile, StoreDir: c.NATS.StoreDir, MaxStoreBytes: c.NATS.MaxStoreBytes,
			TLS: cluster.TLSOptions{CertFile: c.NATS.TLS.CertFile, KeyFile: c.NATS.TLS.KeyFile, CAFile: c.NATS.TLS.CAFile},
		},
		Facts: cluster.StreamLimits{MaxAge: c.Facts.MaxAge.D(), MaxBytes: c.Facts.MaxBytes,
			DuplicateWindow: c.Facts.DuplicateWindow.D()},
		InventoryMaxBytes: c.Inventory.MaxBytes,
		Orders:            cluster.OrderOptions{AckWait: c.Orders.AckWait.D(), Workers: c.Orders.Workers, MaxAge: c.Orders.MaxAge.D()},
		Staleness:         c.Staleness.D(), Replicas: c.Replicas, StatusInterval: c.StatusInterval.D(),
	}
	o.SetDefaults(cfg.StateDir)
	return o
}

// Check is the cluster's own rules for -check-config and reloads
// (config.WithCheck): each problem on its key's line.
func Check(cfg *config.Config) []config.KeyProblem {
	o := Options(cfg)
	var out []config.KeyProblem
	for _, p := range o.Problems() {
		out = append(out, config.KeyProblem{Path: p.Key, Msg: p.Msg})
	}
	d := &cfg.DHCP
	if cfg.Cluster.Role == config.RoleHub && (d.Relay.Listen != "" || len(d.Snoop.Interfaces) > 0 || d.KeaLeaseFile != "") {
		out = append(out, config.KeyProblem{Path: "cluster.role",
			Msg: "a hub answers for its sites and has no DHCP sources of its own (dhcp.relay, dhcp.snoop, dhcp.kea): run an edge at a site"})
	}
	return out
}

// Peers are what the subsystem uses of the others.
type Peers struct {
	// DHCP takes the sites' bindings into the DHCP service's working set
	// (hub).
	DHCP Adopter
	// Orders is the order engine: a hub carries out the queue's orders
	// and records the outcomes of every instance with it.
	Orders *activation.Engine
	// Links is the hub's answer of link states from its sites' facts
	// (NewLinks; nil on an edge).
	Links *Links
}

// Adopter is the DHCP service's Adopt.
type Adopter interface {
	Adopt(bindings []store.BindingRecord, unknown []store.UnknownCircuit, unknownGone []string, lastO82 []store.LastOption82)
}

// System is the running cluster subsystem; nil parts when standalone.
type System struct {
	opts  cluster.Options
	db    *store.DB
	env   subsys.Env
	log   *slog.Logger
	peers Peers
	node  *cluster.Node
	m     *metrics
	facts *factSink
	inv   *invPublisher
	// orderRunner moves the orders placed here onto the work queue (hub).
	orderRunner *outbox.Runner
	tasks       []subsys.Task
}

// New builds the subsystem: with role standalone nothing at all (no
// hooks, no NATS); otherwise the node, the store hooks that append facts
// in the transaction of each change, the sink that publishes them, and
// by role the hub's appliers, inventory publisher and order runner or
// the edge's inventory applier.
func New(cfg *config.Config, db *store.DB, env subsys.Env, p Peers) (*System, error) {
	s := &System{opts: Options(cfg), db: db, env: env, log: env.Logger("cluster"), peers: p}
	if s.opts.Role == cluster.Standalone {
		return s, nil
	}
	if err := s.opts.Validate(); err != nil {
		return nil, fmt.Errorf("cluster: %w", err)
	}
	m, err := newMetrics(env.Registerer())
	if err != nil {
		return nil, err
	}
	s.m = m
	deps := cluster.Deps{Log: s.log, Registerer: env.Registerer()}
	switch s.opts.Role {
	case cluster.Edge:
		deps.Inventory = &invApplier{db: db, log: s.log, m: m}
		db.Inventory().SetFollowing(s.opts.HubSite)
	case cluster.Hub:
		if p.Orders == nil || p.Links == nil {
			return nil, errors.New("cluster: a hub needs the order engine and the links")
		}
		deps.Facts = &factApplier{db: db, dhcp: p.DHCP, eng: p.Orders, log: s.log, m: m}
		deps.Inventory = &invApplier{db: db, log: s.log, m: m, external: true}
		deps.Orders = &orderHandler{eng: p.Orders, log: s.log, now: time.Now}
		deps.OnStale, deps.OnFresh = p.Links.setStale, p.Links.setFresh
	}
	if s.node, err = cluster.New(s.opts, deps); err != nil {
		return nil, err
	}
	s.facts = newFactSink(s.node, db.Outbox(), s.opts.Role, holdFor(&s.opts), s.log, m)
	s.tasks = append(s.tasks, subsys.Task{Name: "cluster", Run: s.run})
	if s.opts.Role == cluster.Hub {
		s.inv = &invPublisher{node: s.node, db: db, log: s.log, m: m}
		if err := s.orderQueue(); err != nil {
			return nil, err
		}
	}
	db.Outbox().SetHooksFor(hookOwner, s.hooks())
	db.Outbox().SetNotifyFor(hookOwner, func(sink string) {
		if sink == SinkFacts {
			s.facts.notify()
		}
	})
	return s, nil
}

// hookOwner names the subsystem's hooks in the store.
const hookOwner = "cluster"

// holdFor is how long a published fact stays in the outbox: until
// JetStream has surely synced it to disk (its sync interval, the
// embedded server's or nats-server's default for an external one), so a
// power cut or a SIGKILL loses nothing the outbox released.
func holdFor(o *cluster.Options) time.Duration {
	if o.NATS.Embedded != nil && *o.NATS.Embedded {
		return cluster.SyncInterval + 5*time.Second
	}
	return 2*time.Minute + 5*time.Second
}

// Node is the running node (nil when standalone).
func (s *System) Node() *cluster.Node { return s.node }

// Parts hands the process the subsystem's tasks, admin handler, status
// and close.
func (s *System) Parts() subsys.Parts {
	return subsys.Parts{Name: "cluster", Tasks: s.tasks, Admin: s.admin, Status: s.status, Close: s.close, ReadyNotes: s.ReadyNotes}
}

// run runs the node and, once it is up, the fact sink and (hub) the
// inventory publisher; it is ready when the node is.
func (s *System) run(ctx context.Context, ready func()) error {
	up := make(chan struct{})
	errc := make(chan error, 3)
	go func() {
		errc <- s.node.Run(ctx, func() {
			close(up)
			ready()
		})
	}()
	select {
	case <-up:
	case err := <-errc:
		return err
	}
	go func() { errc <- s.facts.run(ctx) }()
	n := 2
	if s.inv != nil {
		go func() { errc <- s.inv.run(ctx) }()
		n++
	}
	var first error
	for range n {
		if err := <-errc; err != nil && first == nil {
			first = err
		}
	}
	return first
}

// close stops the store from calling into the subsystem.
func (s *System) close() error {
	if s.node == nil {
		return nil
	}
	s.db.Outbox().SetHooksFor(hookOwner, store.ChangeHooks{})
	s.db.Outbox().SetNotifyFor(hookOwner, nil)
	s.db.Inventory().SetFollowing("")
	return nil
}

// Ready notes are what /readyz adds to "ready": the stale sites of a hub.
func (s *System) ReadyNotes() []string {
	if s.node == nil || s.opts.Role != cluster.Hub {
		return nil
	}
	var out []string
	for _, st := range s.node.StaleSites() {
		out = append(out, fmt.Sprintf("site %s stale: no contact since %s", st.Site, st.Since.UTC().Format(time.RFC3339)))
	}
	return out
}
