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
	e.Note = "DHCPv4 only: ipv4CircuitId and/or ipv4RemoteId, or ipv4option82. The DHCPv6 parameters are answered 400."
	e.UnsupportedFields = []string{"ipv6InterfaceId", "ipv6RemoteId"}
	return e
}

// Option82 serves GET /onapi/2.6/option82/{hex}.
func Option82(res piapi.Resolver) web.HandlerFunc { return piapi.Option82(res) }

// DHCPLookup serves GET /onapi/2.6/dhcplookup/?ipv4circuitid=&ipv4remoteid=&ipv4option82=
// (parameter names in any case). ipv4option82 wins when given; DHCPv6
// parameters are not supported (400).
func DHCPLookup(res piapi.Resolver) web.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		var circuit, remote, opt82 string
		for k, vs := range r.URL.Query() {
			v := ""
			if len(vs) > 0 {
				v = vs[0]
			}
			switch strings.ToLower(k) {
			case "ipv4circuitid":
				circuit = v
			case "ipv4remoteid":
				remote = v
			case "ipv4option82":
				opt82 = v
			case "ipv6interfaceid", "ipv6remoteid":
				return web.Errorf(http.StatusBadRequest, "%s: DHCPv6 look-ups are not supported", k)
			default:
				return web.Errorf(http.StatusBadRequest, "unknown parameter %q: use ipv4CircuitId, ipv4RemoteId or ipv4option82", k)
			}
		}
		var id, what string
		var err error
		switch {
		case opt82 != "":
			what = "ipv4option82 " + opt82
			opts, perr := piapi.ParseOption82Hex(opt82)
			if perr != nil {
				return perr
			}
			id, err = res.Resolve(opts, "", "")
		case circuit != "" || remote != "":
			what = "ipv4CircuitId " + quote(circuit) + " ipv4RemoteId " + quote(remote)
			id, err = res.Resolve(nil, circuit, remote)
		default:
			return web.Errorf(http.StatusBadRequest, "give ipv4CircuitId, ipv4RemoteId or ipv4option82")
		}
		if err != nil {
			return piapi.LookupError(what, err)
		}
		return web.WriteJSON(w, http.StatusOK, piapi.AccessIDBody{AccessID: id})
	}
}

func quote(s string) string { return "'" + s + "'" }
