package onapi

import (
	"net/http"

	"github.com/stadsnat/accessd/api/internal/web"
	"github.com/stadsnat/accessd/api/piapi"
	"github.com/stadsnat/accessd/store"
)

// LinkStatusPath is where the link status is served, under Base.
const LinkStatusPath = "tech/access/{accessId}/link/status"

// LinkStatusEndpoint is the endpoint-list entry of the link status: it
// names the fields of technical_info.md accessd does not poll.
func LinkStatusEndpoint() Endpoint {
	e := NewEndpoint("tech/access/link/status", LinkStatusPath, "technical_info.md")
	e.Note = "From SNMP polling on change and linkUp/linkDown traps. linkSpeed (Mbit/s) only while the link is up. " +
		"503 with Retry-After while the link state is unknown (switch not answering, port not found, not yet polled)."
	e.UnsupportedFields = []string{"fullDuplex", "speed", "configuredSpeed", "statistics", "transceiver"}
	return e
}

// LinkStatusGroup serves the link status from the SNMP link state.
type LinkStatusGroup struct{ src piapi.LinkSource }

// NewLinkStatus makes the link status group.
func NewLinkStatus(src piapi.LinkSource) *LinkStatusGroup { return &LinkStatusGroup{src: src} }

// Routes lists the link status.
func (g *LinkStatusGroup) Routes() []web.Route {
	e := LinkStatusEndpoint()
	return []web.Route{Route(&e, LinkStatusPath, LinkStatus(g.src))}
}

// linkStatus is GET tech/access/{accessId}/link/status, fields in the
// order of the specification's example.
type linkStatus struct {
	Link      bool   `json:"link"`
	LinkSince string `json:"linkSince,omitempty"`
	LinkSpeed uint64 `json:"linkSpeed,omitempty"`
	AdminDown bool   `json:"adminDown"`
}

// LinkStatus serves GET /onapi/2.6/tech/access/{accessId}/link/status:
// link (physical link up), linkSince (when it took its state), linkSpeed
// (Mbit/s, while up), adminDown (ifAdminStatus down). The fields accessd
// does not poll (duplex, configured speed and shaping, counters,
// transceiver) are left out, as the specification allows ("all parameters
// are optional") and the endpoint list says. An unknown link is 503 with
// a cause and Retry-After, as in PI-API; an unknown access or one without
// a switch port 404.
func LinkStatus(src piapi.LinkSource) web.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id := web.PathValue(r, "accessId")
		ls, err := src.Link(id)
		if err != nil {
			return piapi.LinkError(id, err)
		}
		if ls.Link != store.LinkUp && ls.Link != store.LinkDown {
			return piapi.LinkUnknown(w, id, &ls)
		}
		st := linkStatus{Link: ls.Link == store.LinkUp, AdminDown: ls.AdminDown()}
		if !ls.Since.IsZero() {
			st.LinkSince = ls.Since.UTC().Format(piapi.TimeFormat)
		}
		if st.Link {
			st.LinkSpeed = ls.SpeedMbps
		}
		return web.WriteJSON(w, http.StatusOK, st)
	}
}
