package activation

import (
	"slices"

	"github.com/stadsnat/accessd/api/activation/rules"
	"github.com/stadsnat/accessd/store"
	"github.com/stadsnat/accessd/store/catalog"
)

// Offer is one service an access can technically carry (the catalogue's
// Offered list), or one the caller has on it (active or ordered: PI-API
// availability.md, "active / service … shall be in the services list"),
// and whether the caller could order it now: the verdict of the rules,
// the same that service_deliverable gives and an ACTIVATE meets.
type Offer struct {
	Service catalog.Service
	Verdict Verdict
}

// Offers answers availability for one access and one caller (PI-API
// availability, ON-API services/{accessId}), from one read transaction. A
// missing or removed access is store.ErrNotFound.
func (e *Engine) Offers(accessID, owner string) (store.AccessRecord, []Offer, error) {
	var rec store.AccessRecord
	var out []Offer
	err := e.orders.View(func(o *store.OrderTx) error {
		var err error
		if rec, err = o.Access(accessID); err != nil {
			return err
		}
		out, err = e.OffersIn(o, &rec, owner)
		return err
	})
	return rec, out, err
}

// OffersIn is Offers for a record read in the transaction o (an export
// streaming many accesses).
func (e *Engine) OffersIn(o *store.OrderTx, rec *store.AccessRecord, owner string) ([]Offer, error) {
	st := e.ruleSettings()
	if rec.Removed {
		var out []Offer
		for _, s := range st.Catalog.Offered(&rec.Access) {
			out = append(out, Offer{Service: s, Verdict: notFound(rec.AccessID)})
		}
		return out, nil
	}
	f, err := e.facts(o, rec, "")
	if err != nil {
		return nil, err
	}
	offered := st.Catalog.Offered(&rec.Access)
	var out []Offer
	for _, s := range st.Catalog.All() {
		if !slices.ContainsFunc(offered, func(x catalog.Service) bool { return x.UID == s.UID }) && !claimed(&f, s.UID, owner) {
			continue
		}
		out = append(out, Offer{Service: s, Verdict: rules.Decide(st, &f, s.UID, owner)})
	}
	return out, nil
}

// claimed reports whether owner has the service on the access, active or
// ordered.
func claimed(f *rules.Facts, uid, owner string) bool {
	return slices.ContainsFunc(f.Claims, func(c rules.Claim) bool { return c.UID == uid && c.Owner == owner })
}
