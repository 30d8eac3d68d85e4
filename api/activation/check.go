package activation

import (
	"errors"
	"fmt"

	"github.com/stadsnat/accessd/api/activation/rules"
	"github.com/stadsnat/accessd/store"
)

// Atlas service_deliverable codes (see package rules).
const (
	CodeOK             = rules.CodeOK
	CodeConflict       = rules.CodeConflict
	CodeMedia          = rules.CodeMedia
	CodeCapacity       = rules.CodeCapacity
	CodeHardware       = rules.CodeHardware
	CodeNotFound       = rules.CodeNotFound
	CodeUnknownService = rules.CodeUnknownService
	CodeNotSellable    = rules.CodeNotSellable
	CodeNotActivatable = rules.CodeNotActivatable
	CodeAccessState    = rules.CodeAccessState
	CodeNoIPTV         = rules.CodeNoIPTV
	// CodeNotOwner: Atlas asked to end a service that a service provider
	// ordered through its own API (only it may end it).
	CodeNotOwner = 520
)

// Verdict is whether a service can be delivered on an access (see
// rules.Verdict).
type Verdict = rules.Verdict

// Rule is a KO's own refusal (see rules.Rule).
type Rule = rules.Rule

// Rule conditions.
const (
	WhenNotSellable       = rules.WhenNotSellable
	WhenNotDeliverable    = rules.WhenNotDeliverable
	WhenLinkDown          = rules.WhenLinkDown
	WhenPopulationIn      = rules.WhenPopulationIn
	WhenPopulationNotIn   = rules.WhenPopulationNotIn
	WhenPremisesTypeIn    = rules.WhenPremisesTypeIn
	WhenPremisesTypeNotIn = rules.WhenPremisesTypeNotIn
)

// RuleConditions lists the valid Rule.When values.
func RuleConditions() []string { return rules.Conditions() }

// Deliverable answers service_deliverable for the access and service.
// owner is who asks (its own active services of the type count toward
// max_per_access; others' are a conflict).
func (e *Engine) Deliverable(accessID, uid, owner string) (Verdict, error) {
	var v Verdict
	err := e.orders.View(func(o *store.OrderTx) error {
		var err error
		v, err = e.check(o, accessID, uid, owner, "")
		return err
	})
	return v, err
}

func notFound(accessID string) Verdict {
	return Verdict{Code: CodeNotFound, Cause: fmt.Sprintf("Unknown accessId: '%s'", accessID)}
}

// check decides deliverability inside a transaction. ignoreOrder is an
// order not to count as a claim (the one being run).
func (e *Engine) check(o *store.OrderTx, accessID, uid, owner, ignoreOrder string) (Verdict, error) {
	rec, err := o.Access(accessID)
	if errors.Is(err, store.ErrNotFound) {
		return notFound(accessID), nil
	}
	if err != nil {
		return Verdict{}, err
	}
	f, err := e.facts(o, &rec, ignoreOrder)
	if err != nil {
		return Verdict{}, err
	}
	return rules.Decide(e.ruleSettings(), &f, uid, owner), nil
}

func (e *Engine) ruleSettings() *rules.Settings {
	st := e.settings.Load()
	return &rules.Settings{Catalog: st.Catalog, Media: st.Media, Rules: st.Rules}
}

// facts gathers what the rules need of an access inside a transaction:
// its inventory record, its port, the services on it and the orders open
// on it (but ignoreOrder).
func (e *Engine) facts(o *store.OrderTx, rec *store.AccessRecord, ignoreOrder string) (rules.Facts, error) {
	f := rules.Facts{Access: &rec.Access, Today: e.cal.Today(o.Now()), Port: e.port(rec.AccessID)}
	active, err := o.Services(rec.AccessID)
	if err != nil {
		return f, err
	}
	open, err := o.OpenOrdersOfAccess(rec.AccessID)
	if err != nil {
		return f, err
	}
	for _, s := range active {
		c := rules.Claim{UID: s.UID, Type: s.Type, Owner: s.Owner, Active: true}
		for _, x := range open {
			if x.ID != ignoreOrder && x.Operation == store.Deactivate && x.SubscriptionID == s.SubscriptionID {
				c.Leaving, c.Order = true, x.ID
			}
		}
		f.Claims = append(f.Claims, c)
	}
	for _, x := range open {
		if x.ID != ignoreOrder && x.Operation == store.Activate {
			f.Claims = append(f.Claims, rules.Claim{UID: x.Service, Owner: x.Owner, Order: x.ID})
		}
	}
	return f, nil
}

func (e *Engine) port(accessID string) rules.Port {
	if e.ports == nil {
		return rules.Port{}
	}
	speed, up, known := e.ports.Port(accessID)
	return rules.Port{SpeedMbps: speed, Up: up, Known: known}
}
