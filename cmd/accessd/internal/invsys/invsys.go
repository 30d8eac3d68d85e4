// Package invsys is accessd's inventory subsystem: the accesses and their
// import. It serves the exports and look-ups of the accesses (Com Hem PI
// V1, ON-API's accesses with its endpoint list), the KO's import API in
// Cubit's conventions, accessctl import, access and remove, and forgets
// removed accesses and change-log entries past their retention. The import keys and the
// retention apply on SIGHUP.
package invsys

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/stadsnat/accessd/api"
	"github.com/stadsnat/accessd/api/cubit"
	"github.com/stadsnat/accessd/api/onapi"
	"github.com/stadsnat/accessd/api/piv1"
	"github.com/stadsnat/accessd/cmd/accessd/internal/subsys"
	"github.com/stadsnat/accessd/cmd/internal/config"
	"github.com/stadsnat/accessd/store"
	"github.com/stadsnat/accessd/store/inventory"
)

// Config is what the subsystem reads of the configuration.
type Config struct {
	Environment        config.Environment // the import API refuses the other one
	ImportKeys         map[string]string  // environment ⇒ api-key
	TombstoneRetention time.Duration      // how long removed accesses are remembered
	// CacheDir keeps the newest full PI V1 export (read at start); empty:
	// every export is rendered.
	CacheDir string
}

// Section is the subsystem's part of cfg.
func Section(cfg *config.Config) Config {
	return Config{Environment: cfg.Environment, ImportKeys: cfg.Import.APIKeys, TombstoneRetention: cfg.Store.TombstoneRetention.D(),
		CacheDir: filepath.Join(cfg.StateDir, "cache")}
}

// System is the running inventory subsystem.
type System struct {
	db   *store.DB
	env  subsys.Env
	log  *slog.Logger
	cfg  atomic.Pointer[Config]
	cal  inventory.Calendar
	piv1 *piv1.API
	gc   Collector
}

// Collector is the garbage collector's target (memsys.Tuner): an import
// holds it tight from the parse to the commit, so that the collector
// keeps up with the import's short-lived doubling of the live heap
// instead of letting the resident set grow half as much again.
type Collector interface {
	Tighten() (restore func())
}

// Option changes how New builds the subsystem.
type Option func(*System)

// WithCollector makes imports tighten c (by default they leave the
// collector alone).
func WithCollector(c Collector) Option { return func(s *System) { s.gc = c } }

// New builds the subsystem.
func New(c Config, db *store.DB, env subsys.Env, opts ...Option) (*System, error) {
	s := &System{db: db, env: env, log: env.Logger("inventory"), piv1: piv1.New(db)}
	for _, o := range opts {
		o(s)
	}
	s.cfg.Store(&c)
	var err error
	if s.cal, err = inventory.Stockholm(); err != nil {
		return nil, err
	}
	if c.CacheDir != "" {
		if err := s.piv1.KeepIn(c.CacheDir, s.log); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Parts hands the process the subsystem's task, routes, admin handlers
// and reload.
func (s *System) Parts() subsys.Parts {
	return subsys.Parts{
		Name:   "inventory",
		Tasks:  []subsys.Task{{Name: "tombstones", Run: s.purge}},
		Groups: s.groups,
		Admin:  s.admin,
		Reload: func(cfg *config.Config) error {
			c := Section(cfg)
			s.cfg.Store(&c)
			return nil
		},
	}
}

// groups are PI V1, ON-API's accesses and endpoint list, and the import
// API.
func (s *System) groups() []api.Group {
	c := s.cfg.Load()
	return []api.Group{
		s.piv1,
		onapi.New(onapi.Deps{DB: s.db, Loc: s.env.Location}),
		cubit.New(cubit.Deps{DB: s.db, Environment: string(c.Environment), Keys: c.ImportKeys, Log: s.log, Tighten: s.tighten}),
	}
}

// purge forgets removed accesses past their retention, once an hour.
func (s *System) purge(ctx context.Context, ready func()) error {
	ready()
	tick := time.NewTicker(time.Hour)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
			keep := s.cfg.Load().TombstoneRetention
			n, err := s.db.Inventory().PurgeTombstones(time.Now().Add(-keep))
			if err != nil {
				s.log.Error("purging removed accesses failed; will retry in an hour", "err", err)
			} else if n > 0 {
				s.log.Info("forgot removed accesses past their retention", "purged", n, "retention", keep)
			}
			n, err = s.db.Changes().Purge(time.Now().Add(-store.ChangeRetention))
			if err != nil {
				s.log.Error("purging the change log failed; will retry in an hour", "err", err)
			} else if n > 0 {
				s.log.Info("forgot change-log entries past their retention", "purged", n, "retention", store.ChangeRetention)
			}
		}
	}
}

// tighten holds the collector tight (see Collector) until restore.
func (s *System) tighten() (restore func()) {
	if s.gc == nil {
		return func() {}
	}
	return s.gc.Tighten()
}

// ImportCSV imports an inventory in CSV into db (the demo's), all or
// nothing, and returns how many accesses it created.
func ImportCSV(db *store.DB, r io.Reader) (int, error) {
	in, err := store.ReadIncoming(inventory.CSV, r)
	if err != nil {
		return 0, fmt.Errorf("read the inventory: %w", err)
	}
	sum, err := db.Inventory().Import(in, store.ImportOptions{})
	if err != nil {
		return 0, fmt.Errorf("import the inventory: %w", err)
	}
	return sum.Created, nil
}
