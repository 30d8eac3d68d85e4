package daemon

import (
	"log/slog"
	"net/http"

	"github.com/stadsnat/accessd/api"
	"github.com/stadsnat/accessd/cmd/accessd/internal/clustersys"
	"github.com/stadsnat/accessd/cmd/accessd/internal/dhcpsys"
	"github.com/stadsnat/accessd/cmd/accessd/internal/invsys"
	"github.com/stadsnat/accessd/cmd/accessd/internal/memsys"
	"github.com/stadsnat/accessd/cmd/accessd/internal/nocsys"
	"github.com/stadsnat/accessd/cmd/accessd/internal/ordersys"
	"github.com/stadsnat/accessd/cmd/accessd/internal/snmpsys"
	"github.com/stadsnat/accessd/cmd/accessd/internal/subsys"
	"github.com/stadsnat/accessd/cmd/accessd/internal/upstream"
	"github.com/stadsnat/accessd/cmd/internal/config"
	"github.com/stadsnat/accessd/store"
)

// subsystems builds every subsystem from its configuration section, in
// dependency order: what one needs of another is an argument of its
// constructor. A new subsystem is one constructor call here and its Parts
// in the list; the order of the list is the order of the API routes
// (ON-API's endpoint list) and of accessctl status.
func subsystems(cfg *config.Config, db *store.DB, env subsys.Env, ready func() <-chan struct{}) ([]subsys.Parts, error) {
	tuner := memsys.NewTuner() // the collector's target, which imports tighten
	parts := []subsys.Parts{memsys.Parts(memsys.Options{Store: db, Ready: ready, Log: env.Logger("memory"), Tuner: tuner})}
	fail := func(err error) ([]subsys.Parts, error) {
		closeParts(parts, env.Log)
		return nil, err
	}
	inv, err := invsys.New(invsys.Section(cfg), db, env, invsys.WithCollector(tuner))
	if err != nil {
		return fail(err)
	}
	parts = append(parts, inv.Parts())
	hub := cfg.Cluster.Role == config.RoleHub
	dhcp, err := dhcpsys.New(cfg.DHCP, db, env, dhcpsys.Follow(hub))
	if err != nil {
		return fail(err)
	}
	parts = append(parts, dhcp.Parts())
	var links *clustersys.Links // a hub's links of its sites
	var remote snmpsys.Links
	if hub {
		links = clustersys.NewLinks(db)
		remote = links
	}
	snmp, err := snmpsys.New(cfg.SNMP, db, env, dhcp.Clients(), remote)
	if err != nil {
		return fail(err)
	}
	links.SetLocal(snmp.Local())
	parts = append(parts, snmp.Parts())
	orders := ordersys.New(ordersys.Section(cfg), db, env, ordersys.Peers{
		Bindings: dhcp.Bindings(), Neighbours: dhcp.Neighbours(), DHCP: dhcp.Option82(), Links: snmp.Links()})
	parts = append(parts, orders.Parts())
	peers := nocsys.Peers{DHCP: dhcp.NOC()}
	if n := snmp.NOC(); n != nil {
		peers.Links = n
	}
	noc, err := nocsys.New(db, env, peers)
	if err != nil {
		return fail(err)
	}
	parts = append(parts, noc.Parts())
	up, err := upstream.New(upstream.Section(cfg), db, env, upstream.Peers{Orders: orders.Engine()})
	if err != nil {
		return fail(err)
	}
	parts = append(parts, up.Parts())
	cl, err := clustersys.New(cfg, db, env, clustersys.Peers{DHCP: dhcp.Adopter(), Orders: orders.Engine(), Links: links})
	if err != nil {
		return fail(err)
	}
	parts = append(parts, cl.Parts())
	return parts, nil
}

// closeParts closes what the subsystems opened.
func closeParts(parts []subsys.Parts, log *slog.Logger) {
	for _, p := range parts {
		if p.Close == nil {
			continue
		}
		if err := p.Close(); err != nil {
			log.Warn("closing a subsystem failed", "subsystem", p.Name, "err", err)
		}
	}
}

// rebuildHandler builds the HTTP router for cfg from the subsystems' API
// groups; the server swaps to it atomically, so a reload never drops a
// request.
func (d *Daemon) rebuildHandler(cfg *config.Config) {
	users := make([]api.User, len(cfg.Users))
	for i, u := range cfg.Users {
		users[i] = api.User{Name: u.Name, Password: u.Password, CustomerData: string(u.CustomerData)}
		for _, v := range u.PIVersions {
			users[i].PIVersions = append(users[i].PIVersions, string(v))
		}
		for _, a := range u.APIs {
			users[i].APIs = append(users[i].APIs, string(a))
		}
	}
	var groups []api.Group
	for _, p := range d.parts {
		if p.Groups != nil {
			groups = append(groups, p.Groups()...)
		}
	}
	h := api.New(api.Options{Users: users, Log: d.log, Metrics: d.httpMetrics, Gatherer: d.reg, Ready: d.ready,
		ReadyNotes: func() []string { return subsys.ReadyNotes(d.parts) }, MetricsAuth: !*cfg.HTTP.MetricsPublic, Guard: d.authGuard, TrustedProxies: cfg.HTTP.TrustedProxies}, groups...)
	var hh http.Handler = limitBody(h, cfg.HTTP.MaxBodyBytes)
	d.handler.Store(&hh)
}

// limitBody bounds request bodies like http.MaxBytesHandler, but leaves
// requests without a body (the look-ups, every GET) as they are instead of
// copying each one.
func limitBody(h http.Handler, n int64) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body != nil && r.Body != http.NoBody {
			r.Body = http.MaxBytesReader(w, r.Body, n)
		}
		h.ServeHTTP(w, r)
	})
}
