package daemon

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/stadsnat/accessd/api"
	"github.com/stadsnat/accessd/api/atlas"
	"github.com/stadsnat/accessd/api/orders"
	"github.com/stadsnat/accessd/cmd/internal/admin"
	"github.com/stadsnat/accessd/cmd/internal/config"
	"github.com/stadsnat/accessd/dhcp/hwaddr"
	"github.com/stadsnat/accessd/dhcp/ingest"
	"github.com/stadsnat/accessd/dhcp/neigh"
	"github.com/stadsnat/accessd/store"
	"github.com/stadsnat/accessd/store/activation"
	"github.com/stadsnat/accessd/store/catalog"
)

// ordersPeers are what the DHCP and SNMP subsystems know that the order
// engine, port_status and the bounce URL use.
type ordersPeers struct {
	bindings   atlas.Bindings      // IP/MAC → access: the DHCP bindings
	neighbours atlas.Neighbours    // IP → MAC: the kernel's neighbour table
	ports      activation.Ports    // port speed and link: SNMP
	dhcp       activation.DHCPSeen // last Option 82 of an access
	closers    []func() error
}

// ordersPeers reads DHCP bindings and the last Option 82 from the DHCP
// service's working set (from the store, where its writer commits them,
// when there is no service), the port speed and link from the SNMP link
// state when polling is on, and opens the neighbour table.
func (d *Daemon) ordersPeers() ordersPeers {
	p := ordersPeers{bindings: storeBindings{d.db}, dhcp: storeOption82{d.db}}
	if d.dhcp != nil {
		p.bindings, p.dhcp = liveBindings{d.dhcp}, d.dhcp
	}
	if d.links != nil {
		p.ports = linkPorts{d.links}
	}
	if t, err := neigh.Open(neigh.Options{}); err != nil {
		d.log.Warn("neighbour table unavailable: the bounce URL finds visitors by their DHCP address only", "err", err)
	} else {
		p.neighbours = neighbours{t}
		p.closers = append(p.closers, t.Close)
	}
	return p
}

// ordersTasks wires the activation engine, the Atlas URLs and the
// PI-API/ON-API order endpoints.
func (d *Daemon) ordersTasks() []task {
	cfg := d.cfg.Load()
	log := d.log.With("subsystem", "orders")
	peers := d.ordersPeers()
	m := newOrderMetrics(d.reg)
	eng := activation.New(activation.Options{
		DB: d.db, Location: d.loc, Log: log, Ports: peers.ports, DHCP: peers.dhcp,
		Concurrency: cfg.Activation.Concurrency, Settings: engineSettings(cfg), Observe: m.observe,
	})
	d.reloaders = append(d.reloaders, func(c *config.Config) error {
		eng.SetSettings(engineSettings(c))
		return checkHook(c)
	})
	d.routes = append(d.routes, func(r *api.Router) {
		orders.Deps{Engine: eng, DB: d.db, Log: log}.Routes()(r)
		c := d.cfg.Load()
		if !c.Atlas.On() {
			return
		}
		h, err := atlas.New(atlas.Config{
			APIUser: c.Atlas.APIUser, APIKey: c.Atlas.APIKey, ReturnURLs: c.Atlas.ReturnURLs,
			AllowedIPs: config.ParsePrefixes(c.Atlas.AllowedIPs), TrustedProxies: config.ParsePrefixes(c.HTTP.TrustedProxies),
			NetType: c.Atlas.NetType,
		}, eng, peers.bindings, peers.neighbours, log.With("api", "atlas"))
		if err != nil {
			log.Error("Atlas URLs not served", "err", err)
			return
		}
		h.Routes(c.Atlas.BouncePath, c.Atlas.APIPath)(r)
	})
	d.adminRoutes = append(d.adminRoutes, ordersAdmin(d.db, eng))
	d.statusSections = append(d.statusSections, func() admin.Section { return ordersStatus(eng) })
	return []task{{name: "orders", run: func(ctx context.Context, ready func()) error {
		defer func() {
			for _, c := range peers.closers {
				c()
			}
		}()
		if err := checkHook(cfg); err != nil {
			log.Warn("activation hook cannot run: orders will fail until it can", "err", err)
		}
		return eng.Run(ctx, ready)
	}}}
}

func checkHook(c *config.Config) error {
	if c.Activation.Hook == "" {
		return nil
	}
	return activation.CheckHook(activation.ExecHook{Path: c.Activation.Hook})
}

// engineSettings turns the configuration into the engine's settings.
func engineSettings(c *config.Config) activation.Settings {
	svcs := make([]catalog.Service, len(c.Services))
	for i, s := range c.Services {
		svcs[i] = catalog.Service{UID: s.UID, Name: s.Name, Type: s.Type, Media: s.Media, CapacityKbit: s.CapacityKbit,
			Hardware: s.Hardware, DirectActivation: s.DirectActivation, MaxPerAccess: s.MaxPerAccess,
			CommitmentMonths: s.CommitmentMonths}
	}
	media := map[string]int{}
	for _, m := range c.Media {
		media[m.Name] = m.Code
	}
	rules := make([]activation.Rule, len(c.Activation.Rules))
	for i, r := range c.Activation.Rules {
		rules[i] = activation.Rule{Code: r.Code, When: r.When, Values: r.Values, Services: r.Services, Message: r.Message}
	}
	s := activation.Settings{Catalog: catalog.New(svcs), Media: catalog.NewMediaCodes(media), Rules: rules}
	if c.Activation.Hook != "" {
		s.Hook = activation.ExecHook{Path: c.Activation.Hook, Timeout: c.Activation.Timeout.D()}
	}
	return s
}

// ordersAdmin: accessctl services, orders and order.
func ordersAdmin(db *store.DB, eng *activation.Engine) adminRoute {
	return func(handle func(string, adminHandler)) {
		handle("GET /v1/accesses/{id}/services", func(w http.ResponseWriter, r *http.Request) error {
			id := r.PathValue("id")
			var out []store.Service
			err := db.OrderView(func(o *store.OrderTx) error {
				if _, err := o.Access(id); err != nil {
					return err
				}
				var err error
				out, err = o.Services(id)
				return err
			})
			if errors.Is(err, store.ErrNotFound) {
				return adminErrorf(http.StatusNotFound, "no access %q", id)
			}
			if err != nil {
				return err
			}
			return writeJSON(w, nonNil(out))
		})
		handle("GET /v1/orders", func(w http.ResponseWriter, r *http.Request) error {
			q := r.URL.Query()
			f := store.OrderFilter{State: store.OrderState(q.Get("state")), AccessID: q.Get("access"), Owner: q.Get("owner"),
				Newest: true, Limit: 100}
			if f.State != "" && !f.State.Valid() {
				return adminErrorf(http.StatusBadRequest, "state %q: must be RECEIVED, IN_PROGRESS, DONE_SUCCESS or DONE_FAILED", f.State)
			}
			if l := q.Get("limit"); l != "" {
				n, err := strconv.Atoi(l)
				if err != nil || n < 0 {
					return adminErrorf(http.StatusBadRequest, "limit %q: not a count", l)
				}
				f.Limit = n
			}
			var out []store.Order
			err := db.OrderView(func(o *store.OrderTx) error {
				var err error
				out, err = o.Orders(f)
				return err
			})
			if err != nil {
				return err
			}
			for i := range out {
				out[i].Customer = nil // personal data stays in the store: accessctl order ID shows it
			}
			return writeJSON(w, nonNil(out))
		})
		handle("GET /v1/orders/{id}", func(w http.ResponseWriter, r *http.Request) error {
			id := r.PathValue("id")
			var out OrderDetail
			err := db.OrderView(func(o *store.OrderTx) error {
				var err error
				if out.Order, err = o.Order(id); err != nil {
					return err
				}
				out.History, err = o.History(&out.Order)
				return err
			})
			if errors.Is(err, store.ErrNotFound) {
				return adminErrorf(http.StatusNotFound, "no order %q", id)
			}
			if err != nil {
				return err
			}
			return writeJSON(w, out)
		})
	}
}

// OrderDetail is GET /v1/orders/{id}: the order and its change log.
type OrderDetail struct {
	Order   store.Order        `json:"order"`
	History []store.OrderEvent `json:"history"`
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func ordersStatus(eng *activation.Engine) admin.Section {
	st, err := eng.Stats()
	if err != nil {
		return admin.Section{Title: "orders", Rows: [][2]string{{"error", err.Error()}}}
	}
	next := "none"
	if !st.NextDue.IsZero() {
		next = st.NextDue.Local().Format(time.DateTime)
	}
	return admin.Section{Title: "orders", Rows: [][2]string{
		{"received", strconv.Itoa(st.Orders[store.Received])},
		{"in progress", strconv.Itoa(st.Orders[store.InProgress])},
		{"done", strconv.Itoa(st.Orders[store.DoneSuccess])},
		{"failed", strconv.Itoa(st.Orders[store.DoneFailed])},
		{"next due", next},
	}}
}

type orderMetrics struct {
	done *prometheus.CounterVec
	took *prometheus.HistogramVec
}

func newOrderMetrics(reg prometheus.Registerer) *orderMetrics {
	m := &orderMetrics{
		done: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "accessd_orders_done_total", Help: "Orders that reached DONE_SUCCESS or DONE_FAILED, by channel, operation and state.",
		}, []string{"channel", "operation", "state"}),
		took: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "accessd_order_run_seconds", Help: "Time to run an order (the activation hook and the store writes), by operation.",
			Buckets: prometheus.ExponentialBuckets(0.01, 3, 9),
		}, []string{"operation"}),
	}
	if reg != nil {
		reg.MustRegister(m.done, m.took)
	}
	return m
}

func (m *orderMetrics) observe(o store.Order, took time.Duration) {
	m.done.WithLabelValues(o.Channel, string(o.Operation), string(o.State)).Inc()
	m.took.WithLabelValues(string(o.Operation)).Observe(took.Seconds())
}

// storeBindings finds visitors in the DHCP bindings the store holds.
type storeBindings struct{ db *store.DB }

func (s storeBindings) AccessByIP(ip netip.Addr) (string, bool) {
	b, err := s.db.BindingByIP(ip)
	return live(b, err)
}

func (s storeBindings) AccessByMAC(mac [6]byte) (string, bool) {
	b, err := s.db.BindingByMAC(hwaddr.MAC(mac))
	return live(b, err)
}

// liveBindings finds visitors in the DHCP service's working set.
type liveBindings struct{ svc *ingest.Service }

func (l liveBindings) AccessByIP(ip netip.Addr) (string, bool) {
	b, ok := l.svc.BindingOfIP(ip)
	return live(b, found(ok))
}

func (l liveBindings) AccessByMAC(mac [6]byte) (string, bool) {
	b, ok := l.svc.Binding(hwaddr.MAC(mac))
	return live(b, found(ok))
}

func found(ok bool) error {
	if !ok {
		return store.ErrNotFound
	}
	return nil
}

func live(b store.BindingRecord, err error) (string, bool) {
	if err != nil || !b.State.Active() || b.Access == "" || (!b.Expires.IsZero() && b.Expires.Before(time.Now())) {
		return "", false
	}
	return b.Access, true
}

// storeOption82 is the Option 82 of the access's most recently seen
// binding that carried one.
type storeOption82 struct{ db *store.DB }

func (s storeOption82) LastOption82(accessID string) (string, bool) {
	bs, err := s.db.BindingsOfAccess(accessID)
	if err != nil {
		return "", false
	}
	var best store.BindingRecord
	for _, b := range bs {
		if len(b.Option82) > 0 && b.LastSeen.After(best.LastSeen) {
			best = b
		}
	}
	if len(best.Option82) == 0 {
		return "", false
	}
	return fmt.Sprintf("%X", best.Option82), true
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

// linkPorts adapts the SNMP link state (snmp/linkstate.Links) to the
// engine's port speed and link: known only when the link is UP or DOWN.
type linkPorts struct {
	links interface {
		Link(accessID string) (store.LinkState, error)
	}
}

func (l linkPorts) Port(accessID string) (int, bool, bool) {
	ls, err := l.links.Link(accessID)
	if err != nil || (ls.Link != store.LinkUp && ls.Link != store.LinkDown) {
		return 0, false, false
	}
	return int(ls.SpeedMbps), ls.Link == store.LinkUp, true
}

var _ activation.Ports = linkPorts{}
