package feed

import (
	"errors"
	"net/http"

	"github.com/stadsnat/accessd/api/internal/web"
	"github.com/stadsnat/accessd/store"
	"github.com/stadsnat/accessd/store/inventory"
)

// accessSubscriptions is subscriptions/'s object of one access.
type accessSubscriptions struct {
	AccessID      string         `json:"accessId"`
	Subscriptions []subscription `json:"subscriptions"`
}

// subscription is one subscription, fields in the order of
// subscriptions.md. Optional and unknown fields are left out
// (dataformats.md); spReference and spSubscriptionId too when the order
// carried none.
type subscription struct {
	SubscriptionID    string                    `json:"subscriptionId"`
	Service           string                    `json:"service"`
	OperationalState  string                    `json:"operationalState"`
	ConnectionDate    string                    `json:"connectionDate"`
	DisconnectionDate string                    `json:"disconnectionDate,omitempty"`
	SPReference       string                    `json:"spReference,omitempty"`
	SPSubscriptionID  string                    `json:"spSubscriptionId,omitempty"`
	Option82          string                    `json:"option82,omitempty"`
	DHCPIdentifier    *inventory.DHCPIdentifier `json:"dhcpIdentifier,omitempty"`
	Equipment         []store.Equipment         `json:"equipment,omitempty"`
}

// operationalState: accessd's services are active; SUSPEND is not
// supported (orders.md's other operations are refused).
const activated = "ACTIVATED"

func subscriptionOf(s *store.Service, a *inventory.Access) subscription {
	out := subscription{SubscriptionID: s.SubscriptionID, Service: s.UID, OperationalState: activated, ConnectionDate: s.Activated,
		DisconnectionDate: s.Release, SPReference: s.SPReference, SPSubscriptionID: s.SPSubscriptionID, Option82: a.Option82Hex(),
		Equipment: s.Equipment}
	if c, r := a.Circuit(); c != "" || r != "" {
		out.DHCPIdentifier = &inventory.DHCPIdentifier{IPv4CircuitID: c, IPv4RemoteID: r}
	}
	return out
}

// ownSubscriptions is the caller's subscriptions on an access, in the
// transaction o.
func ownSubscriptions(o *store.OrderTx, rec *store.AccessRecord, owner string) (accessSubscriptions, error) {
	out := accessSubscriptions{AccessID: rec.AccessID, Subscriptions: []subscription{}}
	ss, err := o.Services(rec.AccessID)
	for i := range ss {
		if ss[i].Owner == owner {
			out.Subscriptions = append(out.Subscriptions, subscriptionOf(&ss[i], &rec.Access))
		}
	}
	return out, err
}

// subscriptions serves GET /onapi/2.6/subscriptions/: the caller's
// subscriptions by access, or with If-Modified-Since those of the
// accesses where they, or the access, changed (an access whose last one
// ended comes with an empty list).
func (a *API) subscriptions(w http.ResponseWriter, r *http.Request) error {
	u, _ := web.UserFrom(r.Context())
	snap, err := a.export(w, r, store.ExportOptions{Owner: u.Name})
	if err != nil || snap == nil {
		return err
	}
	defer snap.Close()
	o := snap.OrderTx()
	return stream(w, func(put func(any) error) error {
		return snap.Each(func(rec *store.AccessRecord) error {
			v, err := ownSubscriptions(o, rec, u.Name)
			if err != nil {
				return err
			}
			return put(v)
		})
	})
}

// subscription serves GET /onapi/2.6/subscriptions/{id}: subscriptions.md
// names the path of one access's subscriptions subscriptions/{accessId},
// and dataformats.md's subscriptionId refers to subscriptions/
// {subscriptionId}; an id that names an access is the first, else one of
// the caller's subscriptions the second. Others' are not found.
func (a *API) subscription(w http.ResponseWriter, r *http.Request) error {
	id := web.PathValue(r, "id")
	u, _ := web.UserFrom(r.Context())
	var out any
	err := a.d.DB.Orders().View(func(o *store.OrderTx) error {
		rec, err := o.Access(id)
		if err == nil {
			out, err = ownSubscriptions(o, &rec, u.Name)
			return err
		}
		if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		s, err := o.ServiceBySubscription(id)
		if err != nil || s.Owner != u.Name {
			return store.ErrNotFound
		}
		if rec, err = o.Access(s.AccessID); err != nil {
			return err
		}
		out = subscriptionOf(&s, &rec.Access)
		return nil
	})
	if errors.Is(err, store.ErrNotFound) {
		return web.Errorf(http.StatusNotFound, "Unknown accessId or subscriptionId: '%s'", id)
	}
	if err != nil {
		return web.Internal(err)
	}
	return web.WriteJSON(w, http.StatusOK, out)
}
