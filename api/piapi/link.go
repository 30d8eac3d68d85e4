package piapi

import (
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"

	"github.com/stadsnat/accessd/api/internal/web"
	"github.com/stadsnat/accessd/store"
)

// LinkSource answers the link state of an access (snmp/linkstate.Links):
// store.ErrNotFound for an unknown access, store.ErrNoPort for one that
// names no switch port; an UNKNOWN link is an answer, not an error.
type LinkSource interface {
	Link(accessID string) (store.LinkState, error)
}

// Client is a device on an access, as the DHCP bindings know it.
type Client struct {
	MAC net.HardwareAddr
	IP  netip.Addr // the zero Addr when not known
}

// ClientSource lists the devices on an access (the DHCP bindings).
type ClientSource interface {
	ClientsOf(accessID string) ([]Client, error)
}

// linkBody is the answer of GET /api/2.3/accesses/{accessId}/link, as
// fm_linkstatus.md: {"link":"DOWN"} or {"link":"UP","up":{…}}.
type linkBody struct {
	Link string  `json:"link"`
	Up   *linkUp `json:"up,omitempty"`
}

type linkUp struct {
	Since   string       `json:"since"`
	Mbps    uint64       `json:"mbps,omitempty"`
	Clients []linkClient `json:"clients"`
}

type linkClient struct {
	MAC string `json:"mac"`
	IP  string `json:"ip,omitempty"`
}

// TimeFormat is the "YYYY-MM-DDThh:mm:ssZ" of the link answers, in UTC.
const TimeFormat = "2006-01-02T15:04:05Z"

// Link serves GET /api/2.3/accesses/{accessId}/link (and 2.2): the link
// state of the access's switch port from the SNMP poller, with the devices
// the DHCP bindings know on it (clients nil: none known).
//
//   - UP: {"link":"UP","up":{"since":…,"mbps":…,"clients":[…]}}. mbps is
//     the port's real speed (ifHighSpeed): 10, 100, 1000 as the
//     specification lists, and 10000 for a 10 Gbit/s port rather than a
//     made-up 1000; it is left out when the switch reports none. A
//     client's MAC is upper case with colons, its ip only when known.
//   - DOWN: {"link":"DOWN"} (also an administratively closed port).
//   - UNKNOWN, which the specification has no value for (the switch does
//     not answer, the port is not found, not polled yet, or not confirmed
//     recently): 503 Service Unavailable with a cause and Retry-After (the
//     next poll), never a stale UP or a guessed DOWN.
//   - an unknown access, or one whose inventory entry names no switch
//     port: 404.
func Link(src LinkSource, clients ClientSource) web.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id := web.PathValue(r, "accessId")
		ls, err := src.Link(id)
		if err != nil {
			return LinkError(id, err)
		}
		switch ls.Link {
		case store.LinkDown:
			return web.WriteJSON(w, http.StatusOK, linkBody{Link: "DOWN"})
		case store.LinkUp:
		default:
			return LinkUnknown(w, id, &ls)
		}
		up := &linkUp{Since: ls.Since.UTC().Format(TimeFormat), Mbps: ls.SpeedMbps, Clients: []linkClient{}}
		if clients != nil {
			cs, err := clients.ClientsOf(id)
			if err != nil {
				return web.Internal(err)
			}
			for _, c := range cs {
				if len(c.MAC) != 6 {
					continue
				}
				lc := linkClient{MAC: strings.ToUpper(c.MAC.String())}
				if ip := c.IP.Unmap(); ip.Is4() {
					lc.IP = ip.String()
				}
				up.Clients = append(up.Clients, lc)
			}
		}
		return web.WriteJSON(w, http.StatusOK, linkBody{Link: "UP", Up: up})
	}
}

// LinkError turns a LinkSource error into the response error.
func LinkError(id string, err error) error {
	switch {
	case errors.Is(err, store.ErrNotFound):
		return web.Errorf(http.StatusNotFound, "Unknown accessId: '%s'", id)
	case errors.Is(err, store.ErrNoPort):
		return web.Errorf(http.StatusNotFound, "No switch port is known for accessId '%s'", id)
	}
	return web.Internal(err)
}

// LinkUnknown answers an UNKNOWN link: 503 with a cause a service
// provider may see (no switch address) and Retry-After, in the
// {"cause": …} form of the standards' errors.
func LinkUnknown(w http.ResponseWriter, id string, ls *store.LinkState) error {
	secs := int64(math.Ceil(ls.RetryAfter.Seconds()))
	if secs < 1 {
		secs = 1
	}
	w.Header().Set("Retry-After", strconv.FormatInt(secs, 10))
	at := ""
	if !ls.Since.IsZero() {
		at = ls.Since.UTC().Format(TimeFormat)
	}
	var why string
	switch {
	case ls.Reason == store.Unreachable && at != "":
		why = "the access switch does not answer since " + at
	case ls.Reason == store.Unreachable:
		why = "the access switch does not answer"
	case ls.Reason == store.PortNotFound:
		why = "the access switch has no such port"
	case ls.Reason == store.NoLinkInfo:
		why = "the access switch reports no link state for the port (ifOperStatus " + ls.Oper + ")"
	case ls.Reason == store.Stale && at != "":
		why = "the access switch last confirmed it at " + at + ", too long ago"
	case at != "":
		why = "the port has not been polled since " + at
	default:
		why = "the port has not been polled yet"
	}
	// Written here, not returned: an unknown link is an answer, not a
	// failure of accessd to log.
	return web.WriteJSON(w, http.StatusServiceUnavailable, struct {
		Cause string `json:"cause"`
	}{fmt.Sprintf("Link status of accessId '%s' is unknown: %s", id, why)})
}

// LinkNotServed answers the link with 501 and why (SNMP polling is off).
func LinkNotServed(why string) web.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		return web.Errorf(http.StatusNotImplemented, "Link status is not available: %s", why)
	}
}
