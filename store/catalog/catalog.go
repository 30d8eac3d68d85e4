// Package catalog is the KO's service catalogue: the technical services
// (broadband 100/100, IPTV, …) it can deliver, and which of them an access
// can technically carry given its media and port speed.
package catalog

import (
	"slices"
	"strings"

	"github.com/stadsnat/accessd/store/inventory"
)

// Service is one technical service.
type Service struct {
	UID              string
	Name             string
	Type             string   // broadband | tv | voip | …
	Media            []string // FTTH, FTTB, …; empty = any
	CapacityKbit     int      // 0 = no capacity requirement
	Hardware         string   // CPE | DRG | "" (none)
	DirectActivation bool
	MaxPerAccess     int // active services of this Type per access; 0 means 1
	// CommitmentMonths is the binding period: an activated service's
	// commitment date (earliest deactivation) is its activation date plus
	// this many months; 0 = none.
	CommitmentMonths int
	// IPTV: the service is IP-TV, deliverable only where the inventory's
	// iptv flag is YES (CSV Access Upload API 1.1).
	IPTV bool
}

// Max is how many services of s's type an access may have active at once.
func (s Service) Max() int {
	if s.MaxPerAccess <= 0 {
		return 1
	}
	return s.MaxPerAccess
}

// Catalog is an immutable set of services in configuration order.
type Catalog struct {
	services []Service
	byUID    map[string]int
}

// New makes a catalogue.
func New(services []Service) *Catalog {
	c := &Catalog{services: slices.Clone(services), byUID: make(map[string]int, len(services))}
	for i, s := range c.services {
		c.byUID[s.UID] = i
	}
	return c
}

// All returns every service.
func (c *Catalog) All() []Service { return c.services }

// Get finds a service by UID.
func (c *Catalog) Get(uid string) (Service, bool) {
	i, ok := c.byUID[uid]
	if !ok {
		return Service{}, false
	}
	return c.services[i], true
}

// MediumRFoF is the medium of RF over fibre (broadcast TV): an access has
// it, besides its own medium, when the inventory's rfof flag is YES (CSV
// Access Upload API 1.1: "whether RF over fibre can be delivered").
const MediumRFoF = "RFOF"

// MediaFits reports whether the access's medium is one the service can use
// (a service without media information fits any access; an access without
// one fits any service, except that RFOF needs the rfof flag).
func (s Service) MediaFits(a *inventory.Access) bool {
	if len(s.Media) == 0 {
		return true
	}
	return slices.ContainsFunc(s.Media, func(m string) bool {
		switch {
		case strings.EqualFold(m, MediumRFoF):
			return a.RFoF || strings.EqualFold(a.Media, MediumRFoF)
		case a.Media == "":
			return true
		}
		return strings.EqualFold(m, a.Media)
	})
}

// CapacityFits reports whether a port of portMbps (0 = unknown) can carry
// the service.
func (s Service) CapacityFits(portMbps int) bool {
	return s.CapacityKbit == 0 || portMbps == 0 || portMbps*1000 >= s.CapacityKbit
}

// Offered lists the services the access can technically carry, judged by
// its inventory data alone (medium and rfof, portSpeed, iptv): what PI-API
// feasibility and availability and ON-API services list. A service not
// offered is never deliverable there.
func (c *Catalog) Offered(a *inventory.Access) []Service {
	var out []Service
	for _, s := range c.services {
		if s.MediaFits(a) && s.CapacityFits(a.PortSpeedMbps) && (!s.IPTV || a.IPTV) {
			out = append(out, s)
		}
	}
	return out
}
