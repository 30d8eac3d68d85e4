package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/stadsnat/accessd/api"
	"github.com/stadsnat/accessd/api/onapi"
	"github.com/stadsnat/accessd/cmd/internal/admin"
	"github.com/stadsnat/accessd/cmd/internal/config"
	"github.com/stadsnat/accessd/dhcp/circuit"
	"github.com/stadsnat/accessd/dhcp/hwaddr"
	"github.com/stadsnat/accessd/dhcp/ingest"
	"github.com/stadsnat/accessd/dhcp/neigh"
	"github.com/stadsnat/accessd/dhcp/option82"
	"github.com/stadsnat/accessd/dhcp/source"
	"github.com/stadsnat/accessd/dhcp/view"
	"github.com/stadsnat/accessd/store"
)

// dhcpTasks wires the DHCP binding service: the option82/dhcplookup
// resolver, ON-API leaseinfo, accessctl lookup/bindings/history/circuits,
// a status section, SIGHUP (new profiles apply live), and the tasks: the
// service itself and one per configured source.
//
// The service's working set in memory (never behind the writer) answers
// the Atlas bounce URL, port_status's dhcpoption and the PI-API link's
// clients: d.dhcp, read by the SNMP and order wiring that run after this.
func (d *Daemon) dhcpTasks() []task {
	cfg := d.cfg.Load()
	log := d.log.With("subsystem", "dhcp")
	fail := func(err error) []task {
		return []task{{name: "dhcp", run: func(context.Context, func()) error { return err }}}
	}
	profiles, types, err := dhcpProfiles(&cfg.DHCP)
	if err != nil {
		return fail(err)
	}
	var nt neigh.Lookuper
	var closeNeigh func() error
	if t, err := neigh.Open(neigh.Options{}); err != nil {
		log.Warn("neighbour table unavailable: addresses without a binding are not found", "err", err)
	} else {
		nt, closeNeigh = t, t.Close
	}
	c := &cfg.DHCP
	svc, err := ingest.New(ingest.Config{
		DB: d.db, Log: log, Profiles: profiles, ServiceTypes: types, QueueSize: c.QueueSize,
		CommitInterval: c.CommitInterval.D(), LazyInterval: c.LazyInterval.D(), TentativeLifetime: c.TentativeLifetime.D(),
		UnknownCircuitsMax: c.UnknownCircuitsMax, HistoryRetention: c.HistoryRetention.D(),
		Neighbours: nt, Registerer: d.reg,
	})
	if err != nil {
		return fail(err)
	}
	x := &dhcpSub{d: d, svc: svc, log: log}
	d.dhcp = svc
	d.resolver.Store(&resolverHolder{r: svc.Resolver()})
	d.routes = append(d.routes, func(rt *api.Router) {
		od := onapi.Deps{DB: d.db}
		rt.ONAPI(onapi.LeaseInfoEndpoint(), onapi.LeaseInfoPath, od.LeaseInfo(x.leases))
	})
	d.adminRoutes = append(d.adminRoutes, x.adminRoutes)
	d.statusSections = append(d.statusSections, x.status)
	d.reloaders = append(d.reloaders, func(nc *config.Config) error {
		ps, ts, err := dhcpProfiles(&nc.DHCP)
		if err == nil {
			err = svc.SetProfiles(ps, ts)
		}
		if err != nil {
			return fmt.Errorf("dhcp profiles not reloaded: %w", err)
		}
		log.Info("DHCP decoder profiles reloaded", "profiles", len(ps))
		return nil
	})
	tasks := []task{{name: "dhcp", run: func(ctx context.Context, ready func()) error {
		if closeNeigh != nil {
			defer closeNeigh()
		}
		return svc.Run(ctx, ready)
	}}}
	conns, err := d.packetConns("dhcp4")
	if err != nil {
		return fail(err)
	}
	if len(conns) > 0 || c.Relay.Listen != "" {
		tasks = append(tasks, task{name: "dhcp-relay", run: func(ctx context.Context, ready func()) error {
			return x.runRelay(ctx, ready, conns, c.Relay.Listen)
		}})
		x.sources = append(x.sources, "relay copy")
	}
	for _, ifc := range c.Snoop.Interfaces {
		tasks = append(tasks, task{name: "dhcp-snoop-" + ifc, run: func(ctx context.Context, ready func()) error {
			s, err := source.OpenSnoop(ifc, svc, log)
			if err != nil {
				return err
			}
			ready()
			return s.Run(ctx)
		}})
		x.sources = append(x.sources, "snoop "+ifc)
	}
	if c.KeaLeaseFile != "" {
		k := source.NewKeaFile(c.KeaLeaseFile, time.Second, svc, log)
		tasks = append(tasks, task{name: "dhcp-kea", run: k.Run})
		x.sources = append(x.sources, "Kea lease file "+c.KeaLeaseFile)
	}
	if len(x.sources) == 0 {
		log.Info("no DHCP source configured (dhcp.relay.listen, dhcp.snoop.interfaces, dhcp.kea_lease_file): serving stored bindings only")
	}
	return tasks
}

// dhcpSub is the running DHCP subsystem.
type dhcpSub struct {
	d       *Daemon
	svc     *ingest.Service
	log     *slog.Logger
	sources []string
	relays  []string // addresses listened on
}

// dhcpProfiles turns the configured profiles into decoder profiles and
// their ON-API service types.
func dhcpProfiles(c *config.DHCP) ([]circuit.Profile, map[string]string, error) {
	var ps []circuit.Profile
	types := map[string]string{}
	for i, p := range c.Profiles {
		cp := circuit.Profile{Name: p.Name, Format: circuit.Format(p.Format), PortOffset: p.PortOffset, Key: p.Key}
		for _, g := range p.Match.Giaddr {
			pr, err := netip.ParsePrefix(g)
			if err != nil {
				a, aerr := netip.ParseAddr(g)
				if aerr != nil {
					return nil, nil, fmt.Errorf("dhcp.profiles[%d].match.giaddr %q: %w", i, g, err)
				}
				pr = netip.PrefixFrom(a, a.BitLen())
			}
			cp.GIAddr = append(cp.GIAddr, pr)
		}
		if p.Match.RemoteID != "" {
			re, err := regexp.Compile(p.Match.RemoteID)
			if err != nil {
				return nil, nil, fmt.Errorf("dhcp.profiles[%d].match.remote_id: %w", i, err)
			}
			cp.RemoteID = re
		}
		ps = append(ps, cp)
		types[p.Name] = p.ServiceType
	}
	if _, err := circuit.NewDecoder(ps); err != nil {
		return nil, nil, err
	}
	return ps, types, nil
}

// runRelay reads relay copies from the socket-activated "dhcp4" sockets,
// else from dhcp.relay.listen.
func (x *dhcpSub) runRelay(ctx context.Context, ready func(), pcs []net.PacketConn, listen string) error {
	var conns []*net.UDPConn
	for _, pc := range pcs {
		uc, ok := pc.(*net.UDPConn)
		if !ok {
			return fmt.Errorf("socket-activated dhcp4 socket is %T, not UDP", pc)
		}
		conns = append(conns, uc)
	}
	if len(conns) == 0 {
		c, err := source.ListenRelay(listen)
		if err != nil {
			return fmt.Errorf("dhcp.relay.listen: %w", err)
		}
		conns = append(conns, c)
	}
	for _, c := range conns {
		x.relays = append(x.relays, c.LocalAddr().String())
	}
	r := source.NewRelay(conns, x.svc, x.log)
	ready()
	return r.Run(ctx)
}

func (x *dhcpSub) leases(accessID string) []onapi.Lease {
	ls := x.svc.Leases(accessID)
	out := make([]onapi.Lease, len(ls))
	for i, l := range ls {
		out[i] = onapi.Lease{IP: l.IP, MAC: l.MAC.String(), ServiceType: l.ServiceType, Start: l.Start, End: l.End, LastRenew: l.LastRenew}
	}
	return out
}

func (x *dhcpSub) status() admin.Section {
	st := x.svc.Stats()
	states := make([]string, 0, len(st.ByState))
	for _, s := range []string{"tentative", "bound", "released", "expired", "declined"} {
		states = append(states, fmt.Sprintf("%s %d", s, st.ByState[s]))
	}
	commit := "none yet"
	if st.CommitSeq > 0 {
		commit = fmt.Sprintf("#%d", st.CommitSeq)
		if !st.LastCommit.IsZero() {
			commit += fmt.Sprintf(" at %s", st.LastCommit.Local().Format(time.DateTime))
		}
	}
	sources := strings.Join(x.sources, ", ")
	if sources == "" {
		sources = "none configured"
	}
	rows := [][2]string{
		{"sources", sources},
		{"bindings", fmt.Sprintf("%d (%s)", st.Bindings, strings.Join(states, ", "))},
		{"unknown circuits", strconv.Itoa(st.UnknownCircuit)},
		{"packets", fmt.Sprintf("%d received, %d dropped (queue full)", st.Received, st.Dropped)},
		{"queue", fmt.Sprintf("%d of %d", st.QueueDepth, st.QueueSize)},
		{"last commit", commit},
	}
	if len(x.relays) > 0 {
		rows = append(rows, [2]string{"relay listener", strings.Join(x.relays, ", ")})
	}
	return admin.Section{Title: "dhcp", Rows: rows}
}

// adminRoutes: accessctl lookup, bindings, history, circuits --unknown,
// and what the store holds (for the crash test).
func (x *dhcpSub) adminRoutes(handle func(pattern string, h adminHandler)) {
	handle("GET /v1/dhcp/lookup", x.adminLookup)
	handle("GET /v1/dhcp/bindings/{access}", x.adminBindings)
	handle("GET /v1/dhcp/history", x.adminHistory)
	handle("GET /v1/dhcp/circuits", x.adminCircuits)
	handle("GET /v1/dhcp/events", x.adminEvents)
	handle("GET /v1/dhcp/committed", x.adminCommitted)
}

// adminLookup answers accessctl lookup. Its errors are logged by the admin
// mux, so they never repeat an IP or MAC (personal data).
func (x *dhcpSub) adminLookup(w http.ResponseWriter, r *http.Request) error {
	kind, value := r.URL.Query().Get("kind"), strings.TrimSpace(r.URL.Query().Get("value"))
	if value == "" {
		return adminErrorf(http.StatusBadRequest, "no value to look up")
	}
	res := view.Lookup{Kind: kind, Value: value, Bindings: []view.Binding{}}
	svc := x.svc
	switch kind {
	case "ip":
		ip, err := netip.ParseAddr(value)
		if err != nil {
			return adminErrorf(http.StatusBadRequest, "not an IP address")
		}
		if b, ok := svc.BindingOfIP(ip); ok {
			res.Bindings = append(res.Bindings, view.FromRecord(&b))
			res.Access, res.AccessNote = b.Access, "the access of the active binding holding the IP"
			if b.Access == "" {
				res.AccessNote = "the binding's circuit matches no access"
			}
			break
		}
		a, err := svc.AccessOfIP(ip)
		if err != nil {
			return adminErrorf(http.StatusNotFound, "%v", err)
		}
		res.Access, res.AccessNote = a, "no binding holds the IP: the neighbour table's MAC for it, and that MAC's binding"
	case "mac":
		m, err := hwaddr.Parse(value)
		if err != nil {
			return adminErrorf(http.StatusBadRequest, "not a MAC address (want 00:1a:2b:3c:4d:5e)")
		}
		b, ok := svc.Binding(m)
		if !ok {
			return adminErrorf(http.StatusNotFound, "no binding of this MAC")
		}
		res.Bindings = append(res.Bindings, view.FromRecord(&b))
		res.Access = b.Access
	case "circuit":
		x.lookupCircuit(&res, value)
		if res.Access == "" && len(res.Bindings) == 0 && len(res.Unknown) == 0 {
			return adminErrorf(http.StatusNotFound, "circuit %q: %s", value, res.AccessNote)
		}
	case "option82":
		opts, err := option82.ParseHex(value)
		if err != nil {
			return adminErrorf(http.StatusBadRequest, "option82 %q: %v", value, err)
		}
		for _, dc := range svc.DecodeAll(opts) {
			res.Decoded = append(res.Decoded, view.FromCircuit(dc.Profile, &dc.Circuit, dc.Err))
			if dc.Err == nil {
				if u, ok := svc.UnknownCircuit(dc.Circuit.Key); ok && !containsKey(res.Unknown, u.Key) {
					res.Unknown = append(res.Unknown, u)
				}
			}
		}
		a, err := svc.Resolver().Resolve(opts, "", "")
		if err != nil {
			res.AccessNote = err.Error()
		} else {
			res.Access, res.AccessNote = a, "as the option82 and dhcplookup APIs answer"
			res.Bindings = view.FromRecords(svc.BindingsOnAccess(a))
		}
	default:
		return adminErrorf(http.StatusBadRequest, "kind %q: want ip, mac, circuit or option82", kind)
	}
	return writeJSON(w, res)
}

func containsKey(us []store.UnknownCircuit, key string) bool {
	for _, u := range us {
		if u.Key == key {
			return true
		}
	}
	return false
}

// lookupCircuit answers for a circuit key as the inventory spells it
// ("192.168.248.85 ge-0/0/10", "rl-down").
func (x *dhcpSub) lookupCircuit(res *view.Lookup, key string) {
	remote, circ, ok := strings.Cut(key, " ")
	if !ok {
		remote, circ = "", key
	}
	m, err := x.d.db.ResolveCircuit(key, strings.TrimSpace(circ), remote)
	switch {
	case err != nil:
		res.AccessNote = err.Error()
	case m.ByKey != "":
		res.Access, res.AccessNote = m.ByKey, "the access whose Option82 text is the key"
		if m.ByPair != "" && m.ByPair != m.ByKey {
			res.AccessNote += fmt.Sprintf("; access %s claims it too by circuit-id/remote-id", m.ByPair)
		}
	case m.ByPair != "":
		res.Access, res.AccessNote = m.ByPair, "the access with this circuit-id and remote-id"
	case m.PairAmbiguous:
		res.AccessNote = "several accesses have this circuit-id or remote-id"
	default:
		res.AccessNote = "no access has this circuit"
	}
	res.Bindings = view.FromRecords(x.svc.BindingsOnCircuit(key))
	if u, ok := x.svc.UnknownCircuit(key); ok {
		res.Unknown = append(res.Unknown, u)
	}
}

func (x *dhcpSub) adminBindings(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("access")
	if _, err := x.d.db.Access(id); errors.Is(err, store.ErrNotFound) {
		return adminErrorf(http.StatusNotFound, "no access %q", id)
	} else if err != nil {
		return err
	}
	res := view.AccessBindings{Access: id, Bindings: view.FromRecords(x.svc.BindingsOnAccess(id))}
	if l, err := x.d.db.LastOption82Of(id); err == nil {
		res.LastOption82, res.LastOption82Seen = l.Hex, &l.Seen
	}
	if hex, ok := x.svc.LastOption82(id); ok {
		res.LastOption82 = hex
	}
	return writeJSON(w, res)
}

// historyLimit bounds an answer of accessctl history: the newest
// intervals of the IP.
const historyLimit = 1000

func (x *dhcpSub) adminHistory(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	ip, err := netip.ParseAddr(q.Get("ip"))
	if err != nil {
		return adminErrorf(http.StatusBadRequest, "ip: not an IP address")
	}
	res := view.History{IP: ip.String(), Intervals: []view.Interval{}}
	var at time.Time
	if s := q.Get("at"); s != "" {
		if at, err = time.Parse(time.RFC3339Nano, s); err != nil {
			return adminErrorf(http.StatusBadRequest, "at %q: want RFC 3339 time", s)
		}
		res.At = &at
	}
	ivs, older, err := x.svc.History(ip, at, historyLimit)
	if err != nil {
		return adminErrorf(http.StatusBadRequest, "%v", err)
	}
	res.Older = older
	for i := range ivs {
		res.Intervals = append(res.Intervals, view.FromInterval(&ivs[i]))
	}
	return writeJSON(w, res)
}

func (x *dhcpSub) adminCircuits(w http.ResponseWriter, r *http.Request) error {
	if r.URL.Query().Get("unknown") != "1" {
		return adminErrorf(http.StatusBadRequest, "only the unknown circuits are listed: add unknown=1")
	}
	us := x.svc.UnknownCircuits()
	if us == nil {
		us = []store.UnknownCircuit{}
	}
	return writeJSON(w, us)
}

func (x *dhcpSub) adminEvents(w http.ResponseWriter, r *http.Request) error {
	limit := 100
	if s := r.URL.Query().Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 100000 {
			return adminErrorf(http.StatusBadRequest, "limit %q: want 1 to 100000", s)
		}
		limit = n
	}
	evs, err := x.d.db.LastBindingEvents(limit)
	if err != nil {
		return err
	}
	if evs == nil {
		evs = []store.BindingEvent{}
	}
	return writeJSON(w, evs)
}

// adminCommitted lists what the store holds, from one read transaction:
// every binding in it was committed (fsynced) by commit commitSeq, so a
// test that kills the daemon can check that all of it survives.
func (x *dhcpSub) adminCommitted(w http.ResponseWriter, r *http.Request) error {
	res := view.Committed{Bindings: []view.CommittedBinding{}}
	seq, err := x.d.db.LoadBindings(func(b *store.BindingRecord) error {
		res.Bindings = append(res.Bindings, view.CommittedBinding{MAC: b.MAC.String(), IP: addrString(b.IP), State: b.State.String(), Access: b.Access})
		return nil
	})
	if err != nil {
		return err
	}
	res.CommitSeq = seq
	return writeJSON(w, res)
}

func addrString(a netip.Addr) string {
	if !a.IsValid() {
		return ""
	}
	return a.String()
}
