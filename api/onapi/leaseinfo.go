package onapi

import (
	"errors"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/stadsnat/accessd/api/internal/web"
	"github.com/stadsnat/accessd/store"
)

// LeaseInfoPath is where the lease info is served, under Base.
const LeaseInfoPath = "tech/access/{accessId}/link/leaseinfo"

// LeaseInfoEndpoint is the endpoint-list entry of the lease info.
func LeaseInfoEndpoint() Endpoint {
	e := NewEndpoint("tech/access/link/leaseinfo", LeaseInfoPath, "technical_info.md")
	e.Note = "DHCPv4 bindings learnt from relayed DHCP, snooping and Kea's lease file: tentative (requested, not yet " +
		"acknowledged) and bound. start is when the client began to hold the address on this access, end when the " +
		"lease ends, lastRenew the client's last request. serviceType per decoder profile (configured)."
	return e
}

// Lease is one current lease of an access, as the DHCP subsystem knows it.
type Lease struct {
	IP          netip.Addr
	MAC         string // "00:11:22:aa:bb:cc" (any case: the answer upper-cases it)
	ServiceType string
	// Start, End, LastRenew: zero when unknown.
	Start, End, LastRenew time.Time
}

// LeaseSource gives the current leases of an access.
type LeaseSource func(accessID string) []Lease

// LeaseInfoGroup serves the lease info of the accesses of db from leases.
type LeaseInfoGroup struct {
	d      Deps
	leases LeaseSource
}

// NewLeaseInfo makes the lease info group.
func NewLeaseInfo(db *store.DB, leases LeaseSource) *LeaseInfoGroup {
	return &LeaseInfoGroup{d: Deps{DB: db}, leases: leases}
}

// Routes lists the lease info.
func (g *LeaseInfoGroup) Routes() []web.Route {
	e := LeaseInfoEndpoint()
	return []web.Route{Route(&e, LeaseInfoPath, g.d.LeaseInfo(g.leases))}
}

// leaseInfo is one element of the answer, fields in the order of the
// specification's example.
type leaseInfo struct {
	Lease       string `json:"lease"`
	MAC         string `json:"mac"`
	ServiceType string `json:"serviceType"`
	Start       string `json:"start,omitempty"`
	End         string `json:"end,omitempty"`
	LastRenew   string `json:"lastRenew,omitempty"`
}

const timeFormat = "2006-01-02T15:04:05Z"

func isoUTC(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(timeFormat)
}

// LeaseInfo serves GET /onapi/2.6/tech/access/{accessId}/link/leaseinfo:
// the access's current leases, an empty array when it has none (as
// technical_info.md requires); an unknown access is 404.
func (d Deps) LeaseInfo(leases LeaseSource) web.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id := web.PathValue(r, "accessId")
		if _, err := d.DB.Inventory().Access(id); errors.Is(err, store.ErrNotFound) {
			return web.Errorf(http.StatusNotFound, "Unknown accessId: '%s'", id)
		} else if err != nil {
			return web.Internal(err)
		}
		ls := leases(id)
		out := make([]leaseInfo, 0, len(ls))
		for _, l := range ls {
			// dataformats.md, macAddress: "Digits A to F should use
			// capital letters".
			out = append(out, leaseInfo{Lease: l.IP.String(), MAC: strings.ToUpper(l.MAC), ServiceType: l.ServiceType,
				Start: isoUTC(l.Start), End: isoUTC(l.End), LastRenew: isoUTC(l.LastRenew)})
		}
		return web.WriteJSON(w, http.StatusOK, out)
	}
}
