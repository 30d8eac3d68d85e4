package feed

import (
	"errors"
	"net/http"

	"github.com/stadsnat/accessd/api/activation"
	"github.com/stadsnat/accessd/api/activation/rules"
	"github.com/stadsnat/accessd/api/internal/web"
	"github.com/stadsnat/accessd/store"
	"github.com/stadsnat/accessd/store/inventory"
)

// services.md's placeholders: "If you don't have a date when it was
// connected, you can specify the date as 1990-01-01T00:00:01Z. If you
// don't know when it will be connected, … 3030-12-12T00:00:01Z".
const (
	connectedLongAgo = "1990-01-01T00:00:01Z"
	connectedUnknown = "3030-12-12T00:00:01Z"
)

// accessServices is services/'s object of one access.
type accessServices struct {
	AccessID string        `json:"accessId"`
	Services []serviceItem `json:"services"`
}

// serviceItem is one service, fields in the order of services.md.
type serviceItem struct {
	Service                string   `json:"service"`
	ConnectionDateTime     string   `json:"connectionDateTime"`
	AvailableDateTime      string   `json:"availableDateTime"`
	DisconnectionDateTime  string   `json:"disconnectionDateTime"`
	ForcedTakeoverPossible bool     `json:"forcedTakeoverPossible"`
	Comments               []string `json:"comments,omitempty"`
}

// servicesOf serves GET /onapi/2.6/services/{accessId}.
func (a *API) servicesOf(w http.ResponseWriter, r *http.Request) error {
	id := web.PathValue(r, "accessId")
	u, _ := web.UserFrom(r.Context())
	rec, offers, err := a.d.Engine.Offers(id, u.Name)
	if errors.Is(err, store.ErrNotFound) {
		return web.Errorf(http.StatusNotFound, "Unknown accessId: '%s'", id)
	}
	if err != nil {
		return web.Internal(err)
	}
	return web.WriteJSON(w, http.StatusOK, a.view(&rec, offers))
}

// services serves GET /onapi/2.6/services/: every access's services, or
// with If-Modified-Since those of the accesses whose answer changed: the
// access itself, a date coming, a new catalogue, or an order or
// subscription on it (anyone's: another provider's claim changes what
// the caller may order).
func (a *API) services(w http.ResponseWriter, r *http.Request) error {
	snap, err := a.export(w, r, store.ExportOptions{Dates: &a.cal, Catalogue: true, Orders: true})
	if err != nil || snap == nil {
		return err
	}
	defer snap.Close()
	u, _ := web.UserFrom(r.Context())
	o := snap.OrderTx()
	return stream(w, func(put func(any) error) error {
		return snap.Each(func(rec *store.AccessRecord) error {
			offers, err := a.d.Engine.OffersIn(o, rec, u.Name)
			if err != nil {
				return err
			}
			return put(a.view(rec, offers))
		})
	})
}

// view is the services object of an access: the services it can carry,
// none when it is removed.
func (a *API) view(rec *store.AccessRecord, offers []activation.Offer) accessServices {
	out := accessServices{AccessID: rec.AccessID, Services: []serviceItem{}}
	if rec.Removed {
		return out
	}
	conn := a.connection(&rec.Access)
	for _, o := range offers {
		it := serviceItem{Service: o.Service.UID, ConnectionDateTime: conn, AvailableDateTime: a.available(&rec.Access, o.Verdict)}
		if !o.Verdict.OK() && o.Verdict.Message != "" {
			it.Comments = []string{o.Verdict.Message}
		}
		out.Services = append(out.Services, it)
	}
	return out
}

// connection is connectionDateTime: when the access is activatable (local
// midnight of its Activatable date), with services.md's placeholders for
// YES and NO.
func (a *API) connection(acc *inventory.Access) string {
	switch acc.Activatable {
	case inventory.Yes:
		return connectedLongAgo
	case inventory.No:
		return connectedUnknown
	}
	if d, ok := acc.Activatable.Date(); ok {
		return dateTime(a.cal.Midnight(d))
	}
	return connectedUnknown
}

// available is availableDateTime, "when the service can be ordered": as
// the rules answer the caller, from when an order is accepted (the
// access's ready date, or the placeholder for long ago); the date that
// stands in the way; "" when something other than a date does.
func (a *API) available(acc *inventory.Access, v activation.Verdict) string {
	switch {
	case v.OK():
		if d, ok := rules.Ready(acc); ok && !d.IsZero() {
			return dateTime(a.cal.Midnight(d))
		}
		return connectedLongAgo
	case !v.Until.IsZero():
		return dateTime(a.cal.Midnight(v.Until))
	}
	return ""
}
