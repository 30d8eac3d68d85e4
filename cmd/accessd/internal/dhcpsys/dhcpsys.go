// Package dhcpsys is accessd's DHCP subsystem: the binding service
// (dhcp/ingest) fed by its sources (relay copies, AF_PACKET snooping,
// Kea's lease file), the kernel's neighbour table, the option82 and
// dhcplookup look-ups of PI-API and ON-API, ON-API's lease info, the
// accessctl look-ups (lookup, bindings, history, circuits, events) and
// the dhcp section of accessctl status. New profiles apply on SIGHUP.
//
// What other subsystems need of it (the live bindings, the devices on an
// access, the last Option 82 of an access, the neighbour table) they get
// from its methods at construction.
package dhcpsys

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/stadsnat/accessd/api"
	"github.com/stadsnat/accessd/api/onapi"
	"github.com/stadsnat/accessd/api/piapi"
	"github.com/stadsnat/accessd/cmd/accessd/internal/subsys"
	"github.com/stadsnat/accessd/cmd/internal/admin"
	"github.com/stadsnat/accessd/cmd/internal/config"
	"github.com/stadsnat/accessd/dhcp/ingest"
	"github.com/stadsnat/accessd/dhcp/neigh"
	"github.com/stadsnat/accessd/dhcp/source"
	"github.com/stadsnat/accessd/store"
)

// Option changes how New builds the subsystem.
type Option func(*options)

type options struct{ follow bool }

// Follow makes the service follow bindings other boxes learn (a hub's
// sites, handed over with Adopter): it does not end them itself.
func Follow(on bool) Option { return func(o *options) { o.follow = on } }

// Adopter takes bindings other boxes learned into the service's working
// set (ingest.Service.Adopt).
func (s *System) Adopter() *ingest.Service { return s.svc }

// System is the running DHCP subsystem.
type System struct {
	db    *store.DB
	svc   *ingest.Service
	log   *slog.Logger
	neigh *neigh.Table // nil when the neighbour table cannot be opened
	tasks []subsys.Task
	// sources names the configured sources, for status.
	sources []string

	// relays are the addresses the relay task listens on: written by it
	// once its sockets are open, read by the status; relay is its reader
	// and allowed the trusted relays (a reload replaces them).
	mu      sync.Mutex
	relays  []string
	relay   *source.Relay
	allowed []netip.Prefix
}

// New builds the subsystem from the dhcp section: it opens the neighbour
// table and the socket-activated "dhcp4" sockets, and makes the binding
// service (which loads the stored bindings when it runs).
func New(c config.DHCP, db *store.DB, env subsys.Env, opts ...Option) (*System, error) {
	var o options
	for _, f := range opts {
		f(&o)
	}
	s := &System{db: db, log: env.Logger("dhcp")}
	if t, err := neigh.Open(neigh.Options{}); err != nil {
		s.log.Warn("neighbour table unavailable: addresses without a binding are not found, and the bounce URL finds visitors by their DHCP address only", "err", err)
	} else {
		s.neigh = t
	}
	profiles, types := c.DecoderProfiles()
	cfg := ingest.Config{
		Bindings: db.Bindings(), Inventory: db.Inventory(), Log: s.log, Profiles: profiles, ServiceTypes: types, QueueSize: c.QueueSize,
		CommitInterval: c.CommitInterval.D(), LazyInterval: c.LazyInterval.D(), TentativeLifetime: c.TentativeLifetime.D(),
		UnknownCircuitsMax: c.UnknownCircuitsMax, HistoryRetention: c.HistoryRetention.D(), Registerer: env.Registerer(),
		Follow: o.follow,
	}
	if s.neigh != nil {
		cfg.Neighbours = s.neigh
	}
	var err error
	if s.svc, err = ingest.New(cfg); err != nil {
		s.Close()
		return nil, err
	}
	conns, err := env.Sockets.PacketConns("dhcp4")
	if err != nil {
		s.Close()
		return nil, err
	}
	s.tasks = []subsys.Task{{Name: "dhcp", Run: s.svc.Run}}
	s.addSources(c, conns)
	return s, nil
}

// addSources makes a task of each configured source.
func (s *System) addSources(c config.DHCP, conns []net.PacketConn) {
	s.allowed = c.Relay.AllowedSources
	if len(conns) > 0 || c.Relay.Listen != "" {
		s.tasks = append(s.tasks, subsys.Task{Name: "dhcp-relay", Run: func(ctx context.Context, ready func()) error {
			return s.runRelay(ctx, ready, conns, c.Relay)
		}})
		s.sources = append(s.sources, "relay copy")
	}
	for _, ifc := range c.Snoop.Interfaces {
		s.tasks = append(s.tasks, subsys.Task{Name: "dhcp-snoop-" + ifc, Run: func(ctx context.Context, ready func()) error {
			sn, err := source.OpenSnoop(ifc, s.svc, s.log)
			if err != nil {
				return err
			}
			ready()
			return sn.Run(ctx)
		}})
		s.sources = append(s.sources, "snoop "+ifc)
	}
	if c.KeaLeaseFile != "" {
		k := source.NewKeaFile(c.KeaLeaseFile, time.Second, s.svc, s.log)
		s.tasks = append(s.tasks, subsys.Task{Name: "dhcp-kea", Run: k.Run})
		s.sources = append(s.sources, "Kea lease file "+c.KeaLeaseFile)
	}
	if len(s.sources) == 0 {
		s.log.Info("no DHCP source configured (dhcp.relay.listen, dhcp.snoop.interfaces, dhcp.kea_lease_file): serving stored bindings only")
	}
}

// Parts hands the process the subsystem's tasks, routes, admin handlers,
// status and reload.
func (s *System) Parts() subsys.Parts {
	return subsys.Parts{
		Name:  "dhcp",
		Tasks: s.tasks,
		Groups: func() []api.Group {
			res := s.Resolver()
			return []api.Group{piapi.NewLookup(res), onapi.NewLookup(res), onapi.NewLeaseInfo(s.db, s.leases)}
		},
		Admin:  s.admin,
		Status: s.status,
		Reload: s.reload,
		Close:  s.Close,
	}
}

// Close closes the neighbour table.
func (s *System) Close() error {
	if s.neigh == nil {
		return nil
	}
	return s.neigh.Close()
}

// reload applies new decoder profiles and trusted relays; the rest of the
// section applies on restart.
func (s *System) reload(cfg *config.Config) error {
	s.mu.Lock()
	s.allowed = cfg.DHCP.Relay.AllowedSources
	if s.relay != nil {
		s.relay.SetAllowed(s.allowed)
	}
	s.mu.Unlock()
	ps, types := cfg.DHCP.DecoderProfiles()
	if err := s.svc.SetProfiles(ps, types); err != nil {
		return fmt.Errorf("dhcp profiles not reloaded: %w", err)
	}
	s.log.Info("DHCP decoder profiles reloaded", "profiles", len(ps))
	return nil
}

// runRelay reads relay copies from the socket-activated "dhcp4" sockets,
// else from dhcp.relay.listen.
func (s *System) runRelay(ctx context.Context, ready func(), pcs []net.PacketConn, c config.DHCPRelay) error {
	var conns []*net.UDPConn
	for _, pc := range pcs {
		uc, ok := pc.(*net.UDPConn)
		if !ok {
			return fmt.Errorf("socket-activated dhcp4 socket is %T, not UDP", pc)
		}
		conns = append(conns, uc)
	}
	if len(conns) == 0 {
		uc, err := source.ListenRelay(c.Listen)
		if err != nil {
			return fmt.Errorf("dhcp.relay.listen: %w", err)
		}
		conns = append(conns, uc)
	}
	addrs := make([]string, len(conns))
	for i, c := range conns {
		addrs[i] = c.LocalAddr().String()
	}
	s.mu.Lock()
	s.relays = addrs
	s.mu.Unlock()
	s.mu.Lock()
	r := source.NewRelay(conns, s.allowed, s.svc, s.log)
	s.relay = r
	s.mu.Unlock()
	ready()
	return r.Run(ctx)
}

// relayAddrs are the addresses the relay task listens on (none before it
// opened them).
func (s *System) relayAddrs() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.relays
}

func (s *System) leases(accessID string) []onapi.Lease {
	ls := s.svc.Leases(accessID)
	out := make([]onapi.Lease, len(ls))
	for i, l := range ls {
		out[i] = onapi.Lease{IP: l.IP, MAC: l.MAC.String(), ServiceType: l.ServiceType, Start: l.Start, End: l.End, LastRenew: l.LastRenew}
	}
	return out
}

func (s *System) status() admin.Section {
	st := s.svc.Stats()
	states := make([]string, 0, len(st.ByState))
	for _, state := range []string{"tentative", "bound", "released", "expired", "declined"} {
		states = append(states, fmt.Sprintf("%s %d", state, st.ByState[state]))
	}
	commit := "none yet"
	if st.CommitSeq > 0 {
		commit = fmt.Sprintf("#%d", st.CommitSeq)
		if !st.LastCommit.IsZero() {
			commit += fmt.Sprintf(" at %s", st.LastCommit.Local().Format(time.DateTime))
		}
	}
	sources := strings.Join(s.sources, ", ")
	if sources == "" {
		sources = "none configured"
	}
	rows := [][2]string{
		{"sources", sources},
		{"bindings", fmt.Sprintf("%d (%s)", st.Bindings, strings.Join(states, ", "))},
		{"unknown circuits", fmt.Sprint(st.UnknownCircuit)},
		{"packets", fmt.Sprintf("%d received, %d dropped (queue full)", st.Received, st.Dropped)},
		{"queue", fmt.Sprintf("%d of %d", st.QueueDepth, st.QueueSize)},
		{"last commit", commit},
	}
	if relays := s.relayAddrs(); len(relays) > 0 {
		rows = append(rows, [2]string{"relay listener", strings.Join(relays, ", ")})
		trusted := "none: every relay copy is refused (dhcp.relay.allowed_sources)"
		s.mu.Lock()
		if len(s.allowed) > 0 {
			ps := make([]string, len(s.allowed))
			for i, p := range s.allowed {
				ps[i] = p.String()
			}
			trusted = strings.Join(ps, ", ")
		}
		s.mu.Unlock()
		rows = append(rows, [2]string{"trusted relays", trusted},
			[2]string{"untrusted packets", fmt.Sprintf("%d dropped", st.Untrusted)})
	}
	return admin.Section{Title: "dhcp", Rows: rows}
}

// Resolver answers the option82 and dhcplookup look-ups.
func (s *System) Resolver() piapi.Resolver { return s.svc.Resolver() }

// Option82 is the last Option 82 seen on an access, for port_status.
func (s *System) Option82() interface {
	LastOption82(accessID string) (string, bool)
} {
	return s.svc
}

// Clients lists the devices on an access for the PI-API link.
func (s *System) Clients() piapi.ClientSource {
	return BindingClients{func(id string) ([]store.BindingRecord, error) { return s.svc.BindingsOnAccess(id), nil }}
}

// Bindings finds the access of a visitor by its live binding (the bounce
// URL, port_status).
func (s *System) Bindings() Bindings { return liveBindings{s.svc} }

// Neighbours is the kernel's neighbour table (IP → MAC), nil when it is
// unavailable.
func (s *System) Neighbours() Neighbours {
	if s.neigh == nil {
		return nil
	}
	return neighbours{s.neigh}
}

// neighbours adapts the rtnetlink neighbour table.
type neighbours struct{ t *neigh.Table }

func (n neighbours) MAC(ctx context.Context, ip netip.Addr) ([6]byte, bool, error) {
	e, err := n.t.Lookup(ctx, ip)
	if errors.Is(err, neigh.ErrNotFound) {
		return [6]byte{}, false, nil
	}
	if err != nil {
		return [6]byte{}, false, err
	}
	return e.MAC, true, nil
}
