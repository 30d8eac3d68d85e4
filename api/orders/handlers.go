// Package orders serves orders on the service-provider APIs, on the one
// activation engine: PI-API 2.2/2.3 POST /api/2.3/orders/, GET
// /api/2.3/orders/{id}, GET /api/2.3/orderevents/?since=, GET
// /api/2.3/services/ and availability's active[]; ON-API 2.6 GET/POST
// /onapi/2.6/orders/, GET/DELETE /onapi/2.6/orders/{orderId} and GET
// /onapi/2.6/orderevents/.
//
// Each service provider (HTTP Basic user) sees only its own orders,
// events and services. The URL decides what a PI-API order carries
// (misc.md: the version is part of the root URL): /api/2.3/ sends
// spReference and never customer data; /api/2.2/ must send customer and
// deliveryAddress with ACTIVATE, of which the KO keeps what the user's
// customer_data says: store (kept with the order and handed to the
// activation hook), anonymous (an anonymous customer reference, the same
// for one provider on one access) or none. A user's pi_versions only
// limits which versions it may call. Customer data is never logged and
// never answered.
//
// Conflicts answer 400 in PI-API and 409 in ON-API (common/responses.md).
// Only ACTIVATE and DEACTIVATE are supported; ON-API's DEACTIVATE takes
// subscriptionId (or accessId and service), and requestedDateTime
// schedules an order.
package orders

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"github.com/stadsnat/accessd/api/activation"
	"github.com/stadsnat/accessd/api/internal/web"
	"github.com/stadsnat/accessd/api/onapi"
	"github.com/stadsnat/accessd/api/piapi"
	"github.com/stadsnat/accessd/store"
)

// Deps is what the handlers use.
type Deps struct {
	Engine *activation.Engine
	DB     *store.DB
	Log    *slog.Logger
}

// API is the order endpoints of PI-API and ON-API.
type API struct{ d Deps }

// New makes the group. Its Active is what PI-API's availability shows of
// the caller's services on an access: give it to piapi.New.
func New(d Deps) *API {
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	return &API{d: d}
}

// Active lists the services active on an access for the calling user.
func (a *API) Active(accessID string, u web.User) ([]piapi.Active, error) {
	return a.d.active(accessID, u)
}

// Routes lists the order endpoints of PI-API (every version) and ON-API.
func (a *API) Routes() []web.Route {
	d := a.d
	var rs []web.Route
	for _, v := range piapi.Versions() {
		base := "/api/" + v + "/"
		rs = append(rs,
			piapi.Route(v, "POST "+base+"orders/", d.postPI(v, base)),
			piapi.Route(v, "GET "+base+"orders/{id}", d.getOrder(base, false)),
			piapi.Route(v, "GET "+base+"orderevents/", d.events(base, false)),
			piapi.Route(v, "GET "+base+"services/", d.services))
	}
	ob := onapi.Base
	ep := onapi.NewEndpoint("orders", "orders/", "orders.md")
	ep.Note = "operations ACTIVATE and DEACTIVATE; GET lists unfinished orders, ?accessId= all orders of an access, ?state= those in a state"
	ep.UnsupportedFields = []string{"characteristics", "externalNote"}
	// orderevents.md: an event for every change of state.
	ev := onapi.NewEndpoint("orderevents", "orderevents/", "orderevents.md")
	return append(rs,
		onapi.Route(&ep, "orders/", d.listON),
		web.SP(web.GroupONAPI, "POST "+ob+"orders/", d.postON),
		web.SP(web.GroupONAPI, "GET "+ob+"orders/{id}", d.getOrder(ob, true)),
		web.SP(web.GroupONAPI, "DELETE "+ob+"orders/{id}", d.cancelON),
		onapi.Route(&ev, "orderevents/", d.events(ob, true)),
	)
}

// piOrder is PI-API's order answer, fields in the specification's order.
type piOrder struct {
	Path      string `json:"path,omitempty"`
	AccessID  string `json:"accessId"`
	Service   string `json:"service"`
	Operation string `json:"operation"`
	State     string `json:"state"`
	Message   string `json:"message"`
}

// onOrder is ON-API 2.6's order object. Every stored order has accessId
// and service; the answer to a DEACTIVATE of a subscription that has
// already ended knows neither and leaves them out, as orders.md's
// DEACTIVATE example does, rather than send an empty ID.
type onOrder struct {
	Path                   string            `json:"path,omitempty"`
	OrderID                string            `json:"orderId,omitempty"`
	AccessID               string            `json:"accessId,omitempty"`
	SubscriptionID         string            `json:"subscriptionId,omitempty"`
	Service                string            `json:"service,omitempty"`
	Operation              string            `json:"operation"`
	State                  string            `json:"state"`
	ForcedTakeover         bool              `json:"forcedTakeover"`
	Equipment              []store.Equipment `json:"equipment"`
	SPReference            string            `json:"spReference,omitempty"`
	SPSubscriptionID       string            `json:"spSubscriptionId,omitempty"`
	RequestedDateTime      string            `json:"requestedDateTime,omitempty"`
	ExpectedCompletionDate string            `json:"expectedCompletionDate,omitempty"`
	Message                string            `json:"message"`
}

func piView(base string, o store.Order) piOrder {
	return piOrder{Path: base + "orders/" + o.ID, AccessID: o.AccessID, Service: o.Service, Operation: string(o.Operation),
		State: piState(o.State), Message: o.Message}
}

// piState is an order state as PI-API spells it. PI-API knows only
// RECEIVED, DONE_SUCCESS and DONE_FAILED, and an order "is RECEIVED until
// the service is activated or has failed" (service_activation.md), so an
// order the hook is running (IN_PROGRESS, an ON-API state) is RECEIVED.
func piState(s store.OrderState) string {
	if s == store.InProgress {
		return string(store.Received)
	}
	return string(s)
}

func onView(o store.Order) onOrder {
	v := onOrder{Path: onapi.Base + "orders/" + o.ID, OrderID: o.ID, AccessID: o.AccessID, SubscriptionID: o.SubscriptionID,
		Service: o.Service, Operation: string(o.Operation), State: string(o.State), ForcedTakeover: o.ForcedTakeover,
		Equipment: o.Equipment, SPReference: o.SPReference, SPSubscriptionID: o.SPSubscriptionID, Message: o.Message}
	if v.Equipment == nil {
		v.Equipment = []store.Equipment{}
	}
	// "Required in response, if set" (orders.md): the time the order
	// asked for, past or not, as it was sent (up to four decimals, a
	// leap second); never one it did not send.
	switch {
	case o.RequestedText != "":
		v.RequestedDateTime = o.RequestedText
	case !o.Requested.IsZero():
		v.RequestedDateTime = o.Requested.UTC().Format("2006-01-02T15:04:05Z")
	}
	return v
}

func readBody(r *http.Request) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return nil, web.Errorf(http.StatusBadRequest, "Invalid JSON: the body could not be read")
	}
	return b, nil
}

func (d Deps) postPI(version, base string) web.HandlerFunc {
	dialect := PI23
	if version == "2.2" {
		dialect = PI22
	}
	return func(w http.ResponseWriter, r *http.Request) error {
		u, _ := web.UserFrom(r.Context())
		body, err := readBody(r)
		if err != nil {
			return err
		}
		req, err := Parse(body, dialect)
		if err != nil {
			return web.Errorf(http.StatusBadRequest, "%v", err)
		}
		areq := d.request(u, "pi-api-"+version, req)
		res, err := d.Engine.Place(areq)
		if err != nil {
			return web.Internal(err)
		}
		switch res.Outcome {
		case activation.Created:
			w.Header().Set("Location", base+"orders/"+res.Order.ID)
			return web.WriteJSON(w, http.StatusCreated, piView(base, res.Order))
		case activation.Existing:
			return web.WriteJSON(w, http.StatusOK, piView(base, res.Order))
		case activation.AlreadyDone:
			return web.WriteJSON(w, http.StatusOK, piOrder{AccessID: req.AccessID, Service: req.Service,
				Operation: string(req.Operation), State: string(store.DoneSuccess)})
		}
		return web.Errorf(http.StatusBadRequest, "%s", res.Verdict.Cause)
	}
}

// request turns a parsed order into the engine's, applying the user's
// customer_data policy to 2.2 customer data.
func (d Deps) request(u web.User, channel string, req Request) activation.Request {
	out := activation.Request{
		Owner: u.Name, Channel: channel, AccessID: req.AccessID, Service: req.Service, Operation: req.Operation,
		SubscriptionID: req.SubscriptionID, ForcedTakeover: req.ForcedTakeover, Equipment: req.Equipment,
		SPReference: req.SPReference, SPSubscriptionID: req.SPSubscriptionID, Due: req.RequestedAt, DueText: req.RequestedText,
	}
	if req.Customer != nil {
		switch u.CustomerData {
		case "store":
			out.Customer = req.Customer
		case "anonymous":
			sum := sha256.Sum256([]byte(u.Name + "\x00" + req.AccessID))
			out.CustomerRef = "anon-" + hex.EncodeToString(sum[:8])
		}
	}
	return out
}

func (d Deps) postON(w http.ResponseWriter, r *http.Request) error {
	u, _ := web.UserFrom(r.Context())
	body, err := readBody(r)
	if err != nil {
		return err
	}
	req, err := Parse(body, ON26)
	if err != nil {
		return web.Errorf(http.StatusBadRequest, "%v", err)
	}
	res, err := d.Engine.Place(d.request(u, "on-api-2.6", req))
	if err != nil {
		return web.Internal(err)
	}
	switch res.Outcome {
	case activation.Created:
		w.Header().Set("Location", onapi.Base+"orders/"+res.Order.ID)
		return web.WriteJSON(w, http.StatusCreated, onView(res.Order))
	case activation.Existing:
		return web.WriteJSON(w, http.StatusOK, onView(res.Order))
	case activation.AlreadyDone:
		v := onOrder{AccessID: req.AccessID, SubscriptionID: req.SubscriptionID, Service: req.Service,
			Operation: string(req.Operation), State: string(store.DoneSuccess), Equipment: []store.Equipment{}}
		return web.WriteJSON(w, http.StatusOK, v)
	}
	status := http.StatusBadRequest
	if res.Verdict.Code == activation.CodeConflict {
		status = http.StatusConflict
	}
	return web.Errorf(status, "%s", res.Verdict.Cause)
}

// ownOrder finds an order of the calling provider; others' are 404.
func (d Deps) ownOrder(r *http.Request) (store.Order, error) {
	u, _ := web.UserFrom(r.Context())
	id := web.PathValue(r, "id")
	ord, err := d.Engine.Order(id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && ord.Owner != u.Name) {
		return ord, web.Errorf(http.StatusNotFound, "Unknown order: '%s'", clip(id))
	}
	if err != nil {
		return ord, web.Internal(err)
	}
	return ord, nil
}

func (d Deps) getOrder(base string, on bool) web.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		ord, err := d.ownOrder(r)
		if err != nil {
			return err
		}
		if on {
			return web.WriteJSON(w, http.StatusOK, onView(ord))
		}
		return web.WriteJSON(w, http.StatusOK, piView(base, ord))
	}
}

func (d Deps) cancelON(w http.ResponseWriter, r *http.Request) error {
	ord, err := d.ownOrder(r)
	if err != nil {
		return err
	}
	if _, err := d.Engine.Cancel(ord.ID, ord.Owner); err != nil {
		if errors.Is(err, activation.ErrBadRequest) {
			return web.Errorf(http.StatusConflict, "Order '%s' is %s: only a RECEIVED order can be cancelled", ord.ID, ord.State)
		}
		return web.Internal(err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// maxList bounds ON-API's order list.
const maxList = 10000

func (d Deps) listON(w http.ResponseWriter, r *http.Request) error {
	u, _ := web.UserFrom(r.Context())
	f := store.OrderFilter{Owner: u.Name, Open: true, Limit: maxList}
	params, err := web.Params(r, true)
	if err != nil {
		return err
	}
	for k, v := range params {
		v = strings.Trim(v, `"`)
		switch k {
		case "accessid":
			// "Get all orders pertaining a specific accessId"
			// (orders.md): finished ones too.
			f.AccessID, f.Open = v, false
		case "state":
			st := store.OrderState(v)
			if !st.Valid() {
				return web.Errorf(http.StatusBadRequest, "Invalid state: '%s'", clip(v))
			}
			f.State, f.Open = st, false
		default:
			return web.Errorf(http.StatusBadRequest, "Unknown parameter: '%s'", clip(k))
		}
	}
	var list []store.Order
	err = d.DB.Orders().View(func(o *store.OrderTx) error {
		var err error
		list, err = o.Orders(f)
		return err
	})
	if err != nil {
		return web.Internal(err)
	}
	out := make([]onOrder, 0, len(list))
	for _, o := range list {
		out = append(out, onView(o))
	}
	return web.WriteJSON(w, http.StatusOK, out)
}

func (d Deps) active(accessID string, u web.User) ([]piapi.Active, error) {
	var out []piapi.Active
	err := d.DB.Orders().View(func(o *store.OrderTx) error {
		rec, err := o.Access(accessID)
		if err != nil {
			return err
		}
		ss, err := o.Services(accessID)
		if err != nil {
			return err
		}
		for _, s := range ss {
			if s.Owner != u.Name {
				continue
			}
			eq := make([]piapi.Equipment, 0, len(s.Equipment))
			for _, e := range s.Equipment {
				eq = append(eq, piapi.Equipment{VendorID: e.VendorID, MACAddress: e.MACAddress})
			}
			ref := s.SPReference
			out = append(out, piapi.Active{Service: s.UID, Option82: rec.Option82Hex(), Equipment: eq, SPReference: &ref})
		}
		return nil
	})
	return out, err
}
