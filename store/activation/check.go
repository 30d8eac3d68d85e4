package activation

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/stadsnat/accessd/store"
	"github.com/stadsnat/accessd/store/catalog"
	"github.com/stadsnat/accessd/store/inventory"
)

// Atlas service_deliverable codes.
const (
	CodeOK             = 200
	CodeConflict       = 400
	CodeMedia          = 401
	CodeCapacity       = 402
	CodeHardware       = 403
	CodeNotFound       = 404
	CodeUnknownService = 500
)

// Verdict is whether a service can be delivered on an access, as Atlas's
// service_deliverable says it, with the English cause the service-provider
// APIs give.
type Verdict struct {
	Code int
	// Service is the conflicting active service (400).
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
}

// OK reports code 200.
func (v Verdict) OK() bool { return v.Code == CodeOK }

// Rule conditions.
const (
	WhenNotSellable       = "not_sellable"      // the access is not sales-started (PI V1's table)
	WhenNotDeliverable    = "not_deliverable"   // the access is not deliverable yet
	WhenLinkDown          = "link_down"         // SNMP says the port's link is down
	WhenPopulationIn      = "population_in"     // the access's population is one of Values
	WhenPopulationNotIn   = "population_not_in" // … is none of Values
	WhenPremisesTypeIn    = "premises_type_in"  // the premises type is one of Values
	WhenPremisesTypeNotIn = "premises_type_not_in"
)

// RuleConditions lists the valid Rule.When values.
func RuleConditions() []string {
	return []string{WhenNotSellable, WhenNotDeliverable, WhenLinkDown, WhenPopulationIn, WhenPopulationNotIn,
		WhenPremisesTypeIn, WhenPremisesTypeNotIn}
}

// Rule is a KO's own refusal: code 500 and up with a message, when its
// condition holds for the access (and, with Services, only for those).
type Rule struct {
	Code     int
	When     string
	Values   []string
	Services []string // catalogue UIDs; empty = every service
	Message  string
}

// Deliverable answers service_deliverable for the access and service.
// owner is who asks (its own active services of the type count toward
// max_per_access; others' are a conflict).
func (e *Engine) Deliverable(accessID, uid, owner string) (Verdict, error) {
	var v Verdict
	err := e.db.OrderView(func(o *store.OrderTx) error {
		var err error
		v, err = e.check(o, accessID, uid, owner, "")
		return err
	})
	return v, err
}

// check decides deliverability inside a transaction. ignoreOrder is an
// order not to count as a claim (the one being run).
func (e *Engine) check(o *store.OrderTx, accessID, uid, owner, ignoreOrder string) (Verdict, error) {
	st := e.settings.Load()
	rec, err := o.Access(accessID)
	if errors.Is(err, store.ErrNotFound) {
		return Verdict{Code: CodeNotFound, Cause: fmt.Sprintf("Unknown accessId: '%s'", accessID)}, nil
	}
	if err != nil {
		return Verdict{}, err
	}
	svc, ok := st.Catalog.Get(uid)
	if !ok {
		return Verdict{Code: CodeUnknownService, Message: fmt.Sprintf("Tjänsten %s finns inte i stadsnätets tjänstekatalog", uid),
			Cause: fmt.Sprintf("Unknown service: '%s'", uid)}, nil
	}
	if v, err := e.conflict(o, st, accessID, svc, owner, ignoreOrder); err != nil || v.Code != CodeOK {
		return v, err
	}
	a := &rec.Access
	if !svc.MediaFits(a) {
		req := ""
		if len(svc.Media) > 0 {
			req = svc.Media[0]
		}
		return Verdict{Code: CodeMedia, CurrentMedia: st.Media.Code(a.Media), RequiredMedia: st.Media.Code(req),
			Cause: fmt.Sprintf("Service '%s' needs %s; access '%s' is %s", uid, strings.Join(svc.Media, " or "), accessID, a.Media)}, nil
	}
	speed, linkUp, known := e.port(accessID)
	if !known {
		speed = a.PortSpeedMbps
	}
	if !svc.CapacityFits(speed) {
		return Verdict{Code: CodeCapacity, CurrentKbit: speed * 1000, RequiredKbit: svc.CapacityKbit,
			Cause: fmt.Sprintf("Service '%s' needs %d kbit/s; the port of access '%s' gives %d kbit/s", uid, svc.CapacityKbit, accessID, speed*1000)}, nil
	}
	if !svc.HardwareFits(a) {
		hw := catalog.NormalHardware(svc.Hardware)
		return Verdict{Code: CodeHardware, Hardware: hw,
			Cause: fmt.Sprintf("Service '%s' needs customer equipment (%s) that access '%s' lacks", uid, hw, accessID)}, nil
	}
	state := rec.State(e.cal, e.now())
	for _, r := range st.Rules {
		if len(r.Services) > 0 && !slices.Contains(r.Services, uid) {
			continue
		}
		hit := ruleHolds(r, a, state, linkUp, known)
		if hit {
			return Verdict{Code: r.Code, Message: r.Message, Cause: r.Message}, nil
		}
	}
	return Verdict{Code: CodeOK}, nil
}

// ruleHolds reports whether a rule's condition holds for an access.
func ruleHolds(r Rule, a *inventory.Access, state inventory.State, linkUp, known bool) bool {
	switch r.When {
	case WhenNotSellable:
		return !state.Sellable()
	case WhenNotDeliverable:
		return !state.Deliverable()
	case WhenLinkDown:
		return known && !linkUp
	case WhenPopulationIn:
		return containsFold(r.Values, a.Population)
	case WhenPopulationNotIn:
		return !containsFold(r.Values, a.Population)
	case WhenPremisesTypeIn:
		return containsFold(r.Values, string(a.PremisesType))
	case WhenPremisesTypeNotIn:
		return !containsFold(r.Values, string(a.PremisesType))
	}
	return false
}

func containsFold(list []string, s string) bool {
	return slices.ContainsFunc(list, func(x string) bool { return strings.EqualFold(x, s) })
}

// conflict checks the type rule: another service provider's active (or
// ordered) service of the type is a conflict; the caller's own count up to
// the catalogue's max_per_access.
func (e *Engine) conflict(o *store.OrderTx, st *Settings, accessID string, svc catalog.Service, owner, ignoreOrder string) (Verdict, error) {
	type claim struct{ uid, owner string }
	var claims []claim
	active, err := o.Services(accessID)
	if err != nil {
		return Verdict{}, err
	}
	for _, s := range active {
		if s.Type == svc.Type || typeOf(st, s.UID) == svc.Type {
			claims = append(claims, claim{s.UID, s.Owner})
		}
	}
	open, err := o.OpenOrdersOfAccess(accessID)
	if err != nil {
		return Verdict{}, err
	}
	for _, x := range open {
		if x.ID == ignoreOrder || x.Operation != store.Activate {
			continue
		}
		if typeOf(st, x.Service) == svc.Type {
			claims = append(claims, claim{x.Service, x.Owner})
		}
	}
	mine := 0
	for _, c := range claims {
		if c.owner != owner {
			return Verdict{Code: CodeConflict, Service: c.uid, OtherOwner: true, Type: svc.Type,
				Cause: "ServiceType is already claimed by other Service Provider."}, nil
		}
		mine++
	}
	if mine >= svc.Max() {
		return Verdict{Code: CodeConflict, Service: claims[0].uid, Type: svc.Type,
			Cause: fmt.Sprintf("Another Service of ServiceType '%s' is already active.", svc.Type)}, nil
	}
	return Verdict{Code: CodeOK}, nil
}

func typeOf(st *Settings, uid string) string {
	if s, ok := st.Catalog.Get(uid); ok {
		return s.Type
	}
	return ""
}

func (e *Engine) port(accessID string) (speedMbps int, linkUp, known bool) {
	if e.ports == nil {
		return 0, false, false
	}
	return e.ports.Port(accessID)
}
