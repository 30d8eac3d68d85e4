package piapi

import (
	"net/http"

	"github.com/stadsnat/accessd/api/internal/web"
)

// routes is a PI-API route in every version: "GET /api/VERSION/"+path.
func routes(method, path string, h web.HandlerFunc) []web.Route {
	var rs []web.Route
	for _, v := range Versions() {
		rs = append(rs, Route(v, method+" /api/"+v+"/"+path, h))
	}
	return rs
}

// Route is a PI-API route of version v: HTTP Basic for pi-api, and a user
// whose pi_versions leave v out is refused (403). The URL chooses the
// version (misc.md); a user's configuration only limits which it may use.
func Route(v, pattern string, h web.HandlerFunc) web.Route {
	permit := func(u web.User) error {
		if !u.MayUsePI(v) {
			return web.Errorf(http.StatusForbidden, "user %q may not use PI-API %s", u.Name, v)
		}
		return nil
	}
	rt := web.SP(web.GroupPIAPI, pattern, func(w http.ResponseWriter, r *http.Request) error {
		if u, ok := web.UserFrom(r.Context()); ok { // (the router asked Permit already)
			if err := permit(u); err != nil {
				return err
			}
		}
		return h(w, r)
	})
	rt.Permit = permit
	return rt
}

// API is PI-API's feasibility and availability.
type API struct{ d Deps }

// New makes the group; d holds everything it reads, given once.
func New(d Deps) *API { return &API{d: d} }

// Routes lists GET accesses/ and accesses/{accessId} of every version.
func (a *API) Routes() []web.Route {
	return append(routes("GET", "accesses/", a.d.Accesses), routes("GET", "accesses/{accessId}", a.d.Access)...)
}

// Lookup is the option82 look-up.
type Lookup struct{ res Resolver }

// NewLookup makes the look-up on res.
func NewLookup(res Resolver) *Lookup { return &Lookup{res: res} }

// Routes lists GET option82/{hex} of every version. The look-up reads no
// user (the router checks the version with Permit).
func (l *Lookup) Routes() []web.Route {
	rs := routes("GET", "option82/{hex}", Option82(l.res))
	for i := range rs {
		rs[i].NoUser = true
	}
	return rs
}

// LinkGroup is the link of an access: its switch port's state and the
// devices on it.
type LinkGroup struct{ h web.HandlerFunc }

// NewLink makes the link from the SNMP link state and the DHCP bindings
// (clients nil: none known).
func NewLink(src LinkSource, clients ClientSource) *LinkGroup {
	return &LinkGroup{h: Link(src, clients)}
}

// NewLinkNotServed answers the link with 501 and why (SNMP polling is off).
func NewLinkNotServed(why string) *LinkGroup { return &LinkGroup{h: LinkNotServed(why)} }

// Routes lists GET accesses/{accessId}/link of every version.
func (g *LinkGroup) Routes() []web.Route { return routes("GET", "accesses/{accessId}/link", g.h) }
