package nocsys

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/stadsnat/accessd/api"
	"github.com/stadsnat/accessd/api/noc"
	"github.com/stadsnat/accessd/cmd/accessd/internal/subsys"
	"github.com/stadsnat/accessd/store"
)

// DHCP is the DHCP subsystem's part of the pages (dhcpsys.NOC).
type DHCP interface {
	Bindings(ctx context.Context, id string) ([]noc.Binding, error)
	History(ctx context.Context, id string, limit int) ([]noc.Interval, bool, error)
	UnknownCircuits(ctx context.Context, offset, limit int) ([]noc.UnknownCircuit, int, error)
	// LastOption82 is the last Option 82 hex seen on an access and when
	// ("" none).
	LastOption82(id string) (string, time.Time)
	// Search answers KindIP, KindMAC, KindCircuit and KindOption82, with
	// the AccessIds it leads to in Result.Accesses (IDs only).
	Search(ctx context.Context, q noc.Query) (noc.Result, error)
}

// Links is the SNMP subsystem's part of the pages (snmpsys.NOC).
type Links interface {
	Link(ctx context.Context, id string, limit int) (noc.Link, error)
	Switches(ctx context.Context, q noc.SwitchQuery) (noc.SwitchPage, error)
}

// Peers are the other subsystems' parts; a nil one is not served on this
// system.
type Peers struct {
	DHCP  DHCP
	Links Links
}

// indexCheck is how often the task looks at the inventory's generation.
const indexCheck = time.Second

// System is the running NOC subsystem.
type System struct {
	src *Source
	h   *noc.Handler
}

// New builds the Source over db and the peers, and the pages over it.
func New(db *store.DB, env subsys.Env, p Peers) (*System, error) {
	log := env.Logger("noc")
	src := NewSource(db, p, log)
	h, err := noc.New(noc.Options{Source: src, Log: log, Location: env.Location})
	if err != nil {
		return nil, fmt.Errorf("noc pages: %w", err)
	}
	return &System{src: src, h: h}, nil
}

// Source is the subsystem's noc.Source.
func (s *System) Source() *Source { return s.src }

// Parts hands the process the pages (an API group) and the task that
// keeps the address index current.
func (s *System) Parts() subsys.Parts {
	return subsys.Parts{
		Name:   "noc",
		Tasks:  []subsys.Task{{Name: "noc-index", Run: s.src.runIndex}},
		Groups: func() []api.Group { return []api.Group{s.h} },
	}
}

// runIndex builds the address index, then rebuilds it whenever the
// inventory changes.
func (src *Source) runIndex(ctx context.Context, ready func()) error {
	if err := src.idx.refresh(src.db); err != nil {
		src.log.Error("building the NOC's address index failed; will retry", "err", err)
	}
	ready()
	tick := time.NewTicker(indexCheck)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
			if err := src.idx.refresh(src.db); err != nil {
				src.log.Error("rebuilding the NOC's address index failed; will retry", "err", err)
			}
		}
	}
}

// logger is a discarding logger for a nil one.
func logger(l *slog.Logger) *slog.Logger {
	if l == nil {
		return slog.New(slog.DiscardHandler)
	}
	return l
}
