package rules

import (
	"slices"
	"strings"

	"github.com/stadsnat/accessd/store/inventory"
)

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

// Conditions lists the valid Rule.When values.
func Conditions() []string {
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

// holds reports whether the rule's condition holds for the access.
func (r Rule) holds(f *Facts, state inventory.State) bool {
	a := f.Access
	switch r.When {
	case WhenNotSellable:
		return !state.Sellable()
	case WhenNotDeliverable:
		return !state.Deliverable()
	case WhenLinkDown:
		return f.Port.Known && !f.Port.Up
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

// Message is the end-customer message of the first rule without a
// service list that holds for the access (port_status's message).
func Message(rs []Rule, f *Facts) string {
	state := inventory.StateOn(f.Access.Sellable, f.Access.Activatable, f.Today)
	for _, r := range rs {
		if len(r.Services) == 0 && r.holds(f, state) {
			return r.Message
		}
	}
	return ""
}

// NeedsToday reports whether Message's answer for the access may depend
// on Facts.Today. Message asks only the rules without a service list, and
// they read the date only through the access's state, which depends on it
// only when Sellable or Activatable is a date: when NeedsToday is false,
// the caller need not read the clock (port_status, thousands a second).
func NeedsToday(rs []Rule, a *inventory.Access) bool {
	if !slices.ContainsFunc(rs, func(r Rule) bool { return len(r.Services) == 0 }) {
		return false
	}
	_, sold := a.Sellable.Date()
	_, active := a.Activatable.Date()
	return sold || active
}

func containsFold(list []string, s string) bool {
	return slices.ContainsFunc(list, func(x string) bool { return strings.EqualFold(x, s) })
}
