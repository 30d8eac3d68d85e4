package upstream

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/stadsnat/accessd/api/activation"
	"github.com/stadsnat/accessd/cmd/accessd/internal/subsys"
	"github.com/stadsnat/accessd/cmd/accessd/internal/upstream/atlasportal"
	"github.com/stadsnat/accessd/cmd/accessd/internal/upstream/cubit"
	"github.com/stadsnat/accessd/cmd/accessd/internal/upstream/internal/remote"
	"github.com/stadsnat/accessd/cmd/accessd/internal/upstream/invpull"
	"github.com/stadsnat/accessd/cmd/accessd/internal/upstream/outbox"
	"github.com/stadsnat/accessd/cmd/internal/config"
	"github.com/stadsnat/accessd/store"
	"github.com/stadsnat/accessd/store/inventory"
)

// Config is what the subsystem reads of the configuration.
type Config struct {
	Upstream    config.Upstream
	Environment config.Environment
	// Users are the providers; those with a customer_api are asked.
	Users []config.User
}

// Section is the subsystem's part of cfg.
func Section(cfg *config.Config) Config {
	return Config{Upstream: cfg.Upstream, Environment: cfg.Environment, Users: cfg.Users}
}

// Peers are what the subsystem uses of the others.
type Peers struct {
	// Orders is the order engine: the portal's orders are placed with it,
	// and it gets the providers' customer check.
	Orders *activation.Engine
}

// Option changes how New builds the subsystem.
type Option func(*System)

// WithHTTPClient makes every upstream client use hc instead of its own
// (tests: a portal reached in-process inside a synctest bubble).
func WithHTTPClient(hc *http.Client) Option { return func(s *System) { s.hc = hc } }

// httpClient is the client of one upstream, with its time-out.
func (s *System) httpClient(o remote.ClientOptions) (*http.Client, error) {
	if s.hc != nil {
		return s.hc, nil
	}
	return remote.NewHTTPClient(o)
}

// System is the running upstream subsystem.
type System struct {
	cfg     Config
	db      *store.DB
	env     subsys.Env
	log     *slog.Logger
	storage *Storage
	peers   Peers
	runners map[string]*outbox.Runner // by sink
	tasks   []subsys.Task
	portal  *atlasportal.Portal
	cubit   *cubit.Client
	pull    *invpull.Puller
	sps     atomic.Pointer[spSet]
	hc      *http.Client // WithHTTPClient
}

// New builds the subsystem: a runner per configured sink, the portal's
// follower, the inventory puller, the providers' customer look-ups, and
// the store hooks that make the outbox entries.
func New(c Config, db *store.DB, env subsys.Env, p Peers, opts ...Option) (*System, error) {
	s := &System{cfg: c, db: db, env: env, log: env.Logger("upstream"), peers: p, runners: map[string]*outbox.Runner{}}
	for _, o := range opts {
		o(s)
	}
	s.storage = NewStorage(db.Outbox())
	db.Outbox().SetBudget(c.Upstream.Outbox.BudgetBytes)
	if reg := env.Registerer(); reg != nil {
		if err := outbox.RegisterUsage(reg, s.storage); err != nil {
			return nil, fmt.Errorf("upstream: %w", err)
		}
	}
	if c.Upstream.AtlasPortal.On() {
		if err := s.buildPortal(); err != nil {
			return nil, err
		}
	}
	if c.Upstream.Cubit.On() {
		if err := s.buildCubit(); err != nil {
			return nil, err
		}
	}
	if c.Upstream.InventoryPull.On() {
		if err := s.buildPull(); err != nil {
			return nil, err
		}
	}
	if err := s.setProviders(c.Users); err != nil {
		return nil, err
	}
	db.Outbox().SetNotify(func(sink string) {
		if r := s.runners[sink]; r != nil {
			r.Notify()
		}
	})
	if len(s.runners) > 0 {
		db.Outbox().SetHooks(store.ChangeHooks{Order: s.orderHook, Access: s.accessHook})
	}
	return s, nil
}

// Parts hands the process the subsystem's tasks, admin handlers, status
// and reload.
func (s *System) Parts() subsys.Parts {
	return subsys.Parts{
		Name:   "upstream",
		Tasks:  s.tasks,
		Admin:  s.admin,
		Status: s.status,
		Reload: s.reload,
		Close:  s.close,
	}
}

// runner makes the delivery of sink and its task.
func (s *System) runner(sink string, deliver outbox.Sink) (*outbox.Runner, error) {
	o := s.cfg.Upstream.Outbox
	r, err := outbox.NewRunner(outbox.Config{
		Sink:           sink,
		Backoff:        outbox.Backoff{Initial: o.BackoffInitial.D(), Max: o.BackoffMax.D()},
		AttemptTimeout: o.AttemptTimeout.D(),
		PollInterval:   o.PollInterval.D(),
		Concurrency:    o.Concurrency,
	}, s.storage, deliver, s.log, s.env.Registerer())
	if err != nil {
		return nil, fmt.Errorf("upstream: %w", err)
	}
	s.runners[sink] = r
	s.tasks = append(s.tasks, subsys.Task{Name: "upstream " + sink, Run: func(ctx context.Context, ready func()) error {
		ready()
		return r.Run(ctx)
	}})
	return r, nil
}

func (s *System) buildPortal() error {
	pc := s.cfg.Upstream.AtlasPortal
	cfg := atlasportal.Config{URL: pc.URL, LoginURL: pc.LoginURL, APIUser: pc.APIUser, APIKeyFile: pc.APIKeyFile,
		PollInterval: pc.PollInterval.D(), CustomerData: atlasportal.CustomerPolicy(pc.CustomerData), Timeout: pc.Timeout.D()}
	key, err := atlasportal.LoadKey(pc.APIKeyFile)
	if err != nil {
		return fmt.Errorf("upstream: %w", err)
	}
	hc, err := s.httpClient(remote.ClientOptions{Timeout: pc.Timeout.D()})
	if err != nil {
		return fmt.Errorf("upstream: atlas portal: %w", err)
	}
	if s.peers.Orders == nil {
		return fmt.Errorf("upstream: the atlas portal needs the order engine")
	}
	s.portal, err = atlasportal.New(cfg, key, atlasportal.Deps{
		HTTP: hc, Engine: &Engine{eng: s.peers.Orders, orders: s.db.Orders(), policy: cfg.CustomerData},
		State: &portalState{v: s.db.AtlasPortal()}, Outbox: s.storage, Location: s.env.Location, Log: s.log,
	})
	if err != nil {
		return fmt.Errorf("upstream: %w", err)
	}
	r, err := s.runner(atlasportal.SinkName, s.portal.Sink)
	if err != nil {
		return err
	}
	s.portal.Follower.SetNotify(r.Notify)
	s.tasks = append(s.tasks, subsys.Task{Name: "atlas portal follower", Run: func(ctx context.Context, ready func()) error {
		ready()
		return s.portal.Follower.Run(ctx)
	}})
	return nil
}

func (s *System) buildCubit() error {
	cc := s.cfg.Upstream.Cubit
	var err error
	s.cubit, err = cubit.New(cubit.Config{URL: cc.URL, APIKeyFile: cc.APIKeyFile, Environment: string(cc.Environment),
		Strict: cc.Strict, NumberFormat: cc.NumberFormat, Timeout: cc.Timeout.D(), CAFile: cc.CAFile},
		cubit.Options{Log: s.log.With("upstream", CubitSink), Registerer: s.env.Registerer(), HTTPClient: s.hc})
	if err != nil {
		return fmt.Errorf("upstream: %w", err)
	}
	if s.cubit.Environment() != string(s.cfg.Environment) {
		return fmt.Errorf("upstream: cubit environment %s is not the daemon's %s", s.cubit.Environment(), s.cfg.Environment)
	}
	_, err = s.runner(CubitSink, cubitSink{s.cubit})
	return err
}

func (s *System) buildPull() error {
	pc := s.cfg.Upstream.InventoryPull
	cal, err := inventory.Stockholm()
	if err != nil {
		return err
	}
	inv := s.db.Inventory()
	s.pull, err = invpull.New(invpull.Config{Name: pc.Name, URL: pc.URL, Format: invpull.Format(pc.Format),
		Username: pc.Username, PasswordFile: pc.PasswordFile, APIKeyFile: pc.APIKeyFile, APIKeyHeader: pc.APIKeyHeader,
		CAFile: pc.CAFile, Timeout: pc.Timeout.D(), Interval: pc.Interval.D(), FullInterval: pc.FullInterval.D(),
		MaxBytes: pc.MaxBytes},
		invpull.ApplierFunc(func(in []store.Incoming, replace bool) (store.ImportSummary, error) {
			// No pulled format carries plants: the stored ones stay.
			return inv.Import(in, store.ImportOptions{Replace: replace})
		}),
		invpull.Options{Log: s.log, Registerer: s.env.Registerer(), Lookup: inventoryLookup{inv}, Calendar: cal, HTTPClient: s.hc})
	if err != nil {
		return fmt.Errorf("upstream: %w", err)
	}
	s.tasks = append(s.tasks, subsys.Task{Name: "inventory pull", Run: func(ctx context.Context, ready func()) error {
		ready()
		return s.pull.Run(ctx)
	}})
	return nil
}

// reload applies what applies live: the outbox's budget and the
// providers' customer look-ups (users:).
func (s *System) reload(cfg *config.Config) error {
	c := Section(cfg)
	s.db.Outbox().SetBudget(c.Upstream.Outbox.BudgetBytes)
	return s.setProviders(c.Users)
}

// close stops the store from calling into the subsystem.
func (s *System) close() error {
	s.db.Outbox().SetHooks(store.ChangeHooks{})
	s.db.Outbox().SetNotify(nil)
	if s.peers.Orders != nil {
		s.peers.Orders.SetCustomerCheck(nil)
	}
	return nil
}

// sinkNames are the configured sinks and those with entries left, sorted.
func (s *System) sinkNames() []string {
	names := make([]string, 0, len(s.runners))
	for n := range s.runners {
		names = append(names, n)
	}
	if stored, err := s.db.Outbox().Sinks(); err == nil {
		for _, n := range stored {
			if !strings.HasPrefix(n, "cluster-") { // the cluster's own: accessctl cluster shows them
				names = append(names, n)
			}
		}
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// inventoryLookup is the store's inventory as invpull.Lookup.
type inventoryLookup struct{ inv store.Inventory }

func (l inventoryLookup) Access(id string) (inventory.Access, bool, error) {
	rec, err := l.inv.Access(id)
	if err != nil {
		if isNotFound(err) {
			return inventory.Access{}, false, nil
		}
		return inventory.Access{}, false, err
	}
	return rec.Access, true, nil
}
