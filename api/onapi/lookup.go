package onapi

import (
	"net/http"
	"strings"

	"github.com/stadsnat/accessd/api/internal/web"
	"github.com/stadsnat/accessd/api/piapi"
)

// DHCPLookupEndpoint is the endpoint-list entry of the DHCP look-up: it
// names the DHCPv6 parameters of dhcplookup.md, which accessd does not
// serve (it learns DHCPv4 only), as endpoints.md's unsupportedFields says
// to.
func DHCPLookupEndpoint() Endpoint {
	e := NewEndpoint("dhcplookup", "dhcplookup/", "dhcplookup.md")
	e.Note = "DHCPv4 only: ipv4CircuitId and/or ipv4RemoteId, and/or ipv4option82 (all given must name the same access). " +
		"The DHCPv6 parameters are answered 400."
	e.UnsupportedFields = []string{"ipv6InterfaceId", "ipv6RemoteId"}
	return e
}

// Lookup is the group of the look-ups: option82/{hex} and dhcplookup/.
type Lookup struct{ res piapi.Resolver }

// NewLookup makes the look-ups on res.
func NewLookup(res piapi.Resolver) *Lookup { return &Lookup{res: res} }

// Routes lists the look-ups.
func (l *Lookup) Routes() []web.Route {
	o82, dl := NewEndpoint("option82", "option82/", "option82_lookup.md"), DHCPLookupEndpoint()
	rs := []web.Route{Route(&o82, "option82/{hex}", Option82(l.res)), Route(&dl, "dhcplookup/", DHCPLookup(l.res))}
	for i := range rs {
		rs[i].NoUser = true // the look-ups read no user
	}
	return rs
}

// Option82 serves GET /onapi/2.6/option82/{hex}.
func Option82(res piapi.Resolver) web.HandlerFunc { return piapi.Option82(res) }

// DHCPLookup serves GET /onapi/2.6/dhcplookup/?ipv4circuitid=&ipv4remoteid=&ipv4option82=
// (parameter names in any case, each at most once: a repeated one is a
// 400, not "the first wins"). dhcplookup.md "returns a single accessId
// if a unique access can be found": when ipv4option82 and the text
// sub-options are both given, each is looked up and they must name the
// same access, else 404 says which points where. DHCPv6 parameters are
// not supported (400).
func DHCPLookup(res piapi.Resolver) web.HandlerFunc {
	hr := piapi.NewHexResolver(res)
	return func(w http.ResponseWriter, r *http.Request) error {
		q, err := lookupQuery(r)
		if err != nil {
			return err
		}
		// What each parameter names, for the errors only.
		byOption82 := func() string { return "ipv4option82 " + quote(q.opt82) }
		byText := func() string { return "ipv4CircuitId " + quote(q.circuit) + " ipv4RemoteId " + quote(q.remote) }
		id := ""
		if q.opt82 != "" {
			if id, err = hr.Resolve(q.opt82, byOption82); err != nil {
				return err
			}
		}
		if q.circuit != "" || q.remote != "" {
			other, err := res.Resolve(nil, q.circuit, q.remote)
			if err != nil {
				return piapi.LookupError(byText(), err)
			}
			if id != "" && other != id {
				return web.Errorf(http.StatusNotFound, "No single access: %s is access '%s', %s is access '%s'", byOption82(), id, byText(), other)
			}
			id = other
		}
		return web.WriteJSONField(w, http.StatusOK, "accessId", id) // piapi.AccessIDBody
	}
}

type dhcpQuery struct{ circuit, remote, opt82 string }

// lookupQuery reads dhcplookup's parameters (web.Params: a malformed or
// repeated one is a 400).
func lookupQuery(r *http.Request) (dhcpQuery, error) {
	var q dhcpQuery
	err := web.EachParam(r, true, func(k, v string) error {
		switch {
		case strings.EqualFold(k, "ipv4circuitid"):
			q.circuit = v
		case strings.EqualFold(k, "ipv4remoteid"):
			q.remote = v
		case strings.EqualFold(k, "ipv4option82"):
			q.opt82 = v
		case strings.EqualFold(k, "ipv6interfaceid"), strings.EqualFold(k, "ipv6remoteid"):
			return web.Errorf(http.StatusBadRequest, "%s: DHCPv6 look-ups are not supported", strings.ToLower(k))
		default:
			return web.Errorf(http.StatusBadRequest, "unknown parameter %q: use ipv4CircuitId, ipv4RemoteId or ipv4option82", strings.ToLower(k))
		}
		return nil
	})
	if err != nil {
		return q, err
	}
	if q == (dhcpQuery{}) {
		return q, web.Errorf(http.StatusBadRequest, "give ipv4CircuitId, ipv4RemoteId or ipv4option82")
	}
	return q, nil
}

func quote(s string) string { return "'" + s + "'" }
