package rules

import (
	"fmt"
	"slices"
	"strings"

	"github.com/stadsnat/accessd/store/catalog"
	"github.com/stadsnat/accessd/store/inventory"
)

// Atlas service_deliverable codes: seed 004's own (200–404) and accessd's
// (500 and up, each with a message).
const (
	CodeOK             = 200
	CodeConflict       = 400
	CodeMedia          = 401
	CodeCapacity       = 402
	CodeHardware       = 403
	CodeNotFound       = 404
	CodeUnknownService = 500
	CodeNotSellable    = 510
	CodeNotActivatable = 511
	CodeAccessState    = 512
	CodeNoIPTV         = 513
)

// Verdict is whether a service can be delivered on an access, as Atlas's
// service_deliverable says it, with the English cause the service-provider
// APIs give.
type Verdict struct {
	Code int
	// Service is the conflicting service (400).
	Service string
	// OtherOwner: the conflict is with another service provider's service.
	OtherOwner bool
	// Type is the service type in conflict (400).
	Type                        string
	CurrentMedia, RequiredMedia int // 401
	CurrentKbit, RequiredKbit   int // 402
	Hardware                    string
	Message                     string // 5xx: the message for the end customer
	Cause                       string // for PI-API / ON-API
	// Until is, for a refusal only because a date has not come (510,
	// 511, or a rule on sellability), the local date from which the
	// service would be accepted; zero when unknown (NO).
	Until inventory.Date
	// Active: the caller already has the service (200, nothing to do).
	Active bool
	// PendingOrder is the caller's open order for the same service: an
	// ACTIVATE (200) or a DEACTIVATE (400).
	PendingOrder string
}

// OK reports code 200.
func (v Verdict) OK() bool { return v.Code == CodeOK }

// Port is what SNMP knows of the access's switch port.
type Port struct {
	SpeedMbps int
	Up        bool
	Known     bool // false: not polled, or its switch unreachable
}

// Claim is a service on the access, active or ordered.
type Claim struct {
	UID   string
	Type  string // the type it had when it was ordered ("": look it up)
	Owner string
	// Active: the service is active; otherwise an ACTIVATE of it is open.
	Active bool
	// Order is the open order of the claim (ACTIVATE pending, or for an
	// active service a DEACTIVATE pending).
	Order string
	// Leaving: a DEACTIVATE of the active service is open.
	Leaving bool
}

// Facts are what is known of one access when the question is asked.
type Facts struct {
	Access *inventory.Access
	Today  inventory.Date // the local date now (Europe/Stockholm)
	Port   Port
	Claims []Claim
}

// Settings are the KO's configuration the answer depends on.
type Settings struct {
	Catalog *catalog.Catalog
	Media   catalog.MediaCodes
	Rules   []Rule
}

// Decide answers whether service uid can be delivered on the access for
// owner (the service provider asking, or "atlas").
func Decide(s *Settings, f *Facts, uid, owner string) Verdict {
	svc, ok := s.Catalog.Get(uid)
	if !ok {
		return Verdict{Code: CodeUnknownService, Message: fmt.Sprintf("Tjänsten %s finns inte i stadsnätets tjänstekatalog", uid),
			Cause: fmt.Sprintf("Unknown service: '%s'", uid)}
	}
	if v, done := own(f, uid, owner); done {
		return v
	}
	if v := conflict(s, f, svc, owner); !v.OK() {
		return v
	}
	if v := technical(s, f, svc); !v.OK() {
		return v
	}
	state := inventory.StateOn(f.Access.Sellable, f.Access.Activatable, f.Today)
	for _, r := range s.Rules {
		if len(r.Services) > 0 && !slices.Contains(r.Services, uid) {
			continue
		}
		if r.holds(f, state) {
			v := Verdict{Code: r.Code, Message: r.Message, Cause: r.Message}
			if r.When == WhenNotSellable || r.When == WhenNotDeliverable {
				v.Until = until(f.Access)
			}
			return v
		}
	}
	return readiness(f.Access, f.Today)
}

// own looks at the caller's claims on the very service asked for.
func own(f *Facts, uid, owner string) (Verdict, bool) {
	for _, c := range f.Claims {
		if c.UID != uid || c.Owner != owner {
			continue
		}
		switch {
		case c.Active && c.Leaving:
			return Verdict{Code: CodeConflict, Service: uid, Type: c.Type, PendingOrder: c.Order,
				Cause: fmt.Sprintf("Service '%s' is being deactivated on access '%s' (order '%s')", uid, f.Access.AccessID, c.Order)}, true
		case c.Active:
			return Verdict{Code: CodeOK, Active: true}, true
		default:
			return Verdict{Code: CodeOK, PendingOrder: c.Order}, true
		}
	}
	return Verdict{}, false
}

// conflict checks the type rule: another service provider's active or
// ordered service of the type is a conflict; the caller's own count up to
// the catalogue's max_per_access.
func conflict(s *Settings, f *Facts, svc catalog.Service, owner string) Verdict {
	var mine []string
	for _, c := range f.Claims {
		if typeOf(s, c) != svc.Type && c.Type != svc.Type {
			continue
		}
		if c.Owner != owner {
			return Verdict{Code: CodeConflict, Service: c.UID, OtherOwner: true, Type: svc.Type,
				Cause: "ServiceType is already claimed by other Service Provider."}
		}
		mine = append(mine, c.UID)
	}
	if len(mine) >= svc.Max() {
		return Verdict{Code: CodeConflict, Service: mine[0], Type: svc.Type,
			Cause: fmt.Sprintf("Another Service of ServiceType '%s' is already active.", svc.Type)}
	}
	return Verdict{Code: CodeOK}
}

func typeOf(s *Settings, c Claim) string {
	if svc, ok := s.Catalog.Get(c.UID); ok {
		return svc.Type
	}
	return c.Type
}

// technical checks what the access and its port can carry: medium,
// capacity, equipment, IPTV.
func technical(s *Settings, f *Facts, svc catalog.Service) Verdict {
	a := f.Access
	if !svc.MediaFits(a) {
		req := ""
		if len(svc.Media) > 0 {
			req = svc.Media[0]
		}
		return Verdict{Code: CodeMedia, CurrentMedia: s.Media.Code(a.Media), RequiredMedia: s.Media.Code(req),
			Cause: fmt.Sprintf("Service '%s' needs %s; access '%s' is %s", svc.UID, strings.Join(svc.Media, " or "), a.AccessID, mediumOf(a))}
	}
	speed := Capacity(a, f.Port)
	if !svc.CapacityFits(speed) {
		return Verdict{Code: CodeCapacity, CurrentKbit: speed * 1000, RequiredKbit: svc.CapacityKbit,
			Cause: fmt.Sprintf("Service '%s' needs %d kbit/s; the port of access '%s' gives %d kbit/s", svc.UID, svc.CapacityKbit, a.AccessID, speed*1000)}
	}
	if !svc.HardwareFits(a) {
		hw := catalog.NormalHardware(svc.Hardware)
		return Verdict{Code: CodeHardware, Hardware: hw,
			Cause: fmt.Sprintf("Service '%s' needs customer equipment (%s) that access '%s' lacks", svc.UID, hw, a.AccessID)}
	}
	if svc.IPTV && !a.IPTV {
		return Verdict{Code: CodeNoIPTV, Message: "IP-TV kan inte levereras till adressen",
			Cause: fmt.Sprintf("Service '%s' is IPTV, which cannot be delivered to access '%s' (its iptv is not YES)", svc.UID, a.AccessID)}
	}
	return Verdict{Code: CodeOK}
}

func mediumOf(a *inventory.Access) string {
	if a.RFoF {
		return a.Media + " (RFOF)"
	}
	return a.Media
}

// Capacity is the speed the access can deliver, in Mbit/s (0: unknown):
// the lower of the inventory's portSpeed and the speed SNMP reports.
func Capacity(a *inventory.Access, p Port) int {
	speed := a.PortSpeedMbps
	if p.Known && p.SpeedMbps > 0 && (speed == 0 || p.SpeedMbps < speed) {
		speed = p.SpeedMbps
	}
	return speed
}

// readiness applies the dates and the access state: 510, 511, 512 or 200.
func readiness(a *inventory.Access, today inventory.Date) Verdict {
	sold, soldOK := reached(a.Sellable, today)
	act, actOK := reached(a.Activatable, today)
	switch {
	case !soldOK || !sold:
		return Verdict{Code: CodeNotSellable, Until: until(a), Message: dated("Adressen är inte säljstartad", "Adressen säljstartar", a.Sellable),
			Cause: dated(fmt.Sprintf("Access '%s' is not sellable", a.AccessID), fmt.Sprintf("Access '%s' is sellable from", a.AccessID), a.Sellable)}
	case !actOK || !act:
		return Verdict{Code: CodeNotActivatable, Until: until(a),
			Message: dated("Tjänster kan inte levereras till adressen ännu", "Tjänster kan levereras till adressen från", a.Activatable),
			Cause: dated(fmt.Sprintf("Services cannot be delivered to access '%s' yet", a.AccessID),
				fmt.Sprintf("Services can be delivered to access '%s' from", a.AccessID), a.Activatable)}
	case a.AccessState == inventory.AccessStateOutMigration || a.AccessState == inventory.AccessStateDisconnected:
		return Verdict{Code: CodeAccessState, Message: "Adressen tar inte emot beställningar",
			Cause: fmt.Sprintf("Access '%s' is %s and takes no orders", a.AccessID, a.AccessState)}
	}
	return Verdict{Code: CodeOK}
}

// dated is the message for a value that is NO (plain) or a date (with it).
func dated(plain, from string, v inventory.Availability) string {
	if d, ok := v.Date(); ok {
		return from + " " + d.String()
	}
	return plain
}

func reached(v inventory.Availability, today inventory.Date) (reached, valid bool) {
	switch v {
	case inventory.Yes:
		return true, true
	case inventory.No:
		return false, true
	}
	d, ok := v.Date()
	if !ok {
		return false, false
	}
	return !today.Before(d), true
}

// until is Ready's date, zero when not known.
func until(a *inventory.Access) inventory.Date {
	d, _ := Ready(a)
	return d
}

// Ready is the local date from which an access is both sellable and
// activatable: the later of its Sellable and Activatable dates, YES
// counting as any date. ok is false when either is NO or invalid; YES and
// YES give the zero date and true.
func Ready(a *inventory.Access) (d inventory.Date, ok bool) {
	for _, v := range []inventory.Availability{a.Sellable, a.Activatable} {
		if v == inventory.Yes {
			continue
		}
		x, valid := v.Date()
		if !valid {
			return inventory.Date{}, false
		}
		if d.Before(x) {
			d = x
		}
	}
	return d, true
}
