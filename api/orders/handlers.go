// Package orders serves orders on the service-provider APIs, on the one
// activation engine: PI-API 2.2/2.3 POST /api/2.3/orders/, GET
// /api/2.3/orders/{id}, GET /api/2.3/orderevents/?since=, GET
// /api/2.3/services/ and availability's active[]; ON-API 2.6 GET/POST
// /onapi/2.6/orders/, GET/DELETE /onapi/2.6/orders/{orderId} and GET
// /onapi/2.6/orderevents/.
//
// Each service provider (HTTP Basic user) sees only its own orders,
// events and services. A user's pi_version decides what its PI-API orders
// carry: 2.3 sends spReference and never customer data; 2.2 must send
// customer and deliveryAddress with ACTIVATE, of which the KO keeps what
// the user's customer_data says: store (kept with the order and handed to
// the activation hook), anonymous (an anonymous customer reference, the
// same for one provider on one access) or none. Customer data is never
// logged and never answered.
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

	"github.com/stadsnat/accessd/api"
	"github.com/stadsnat/accessd/api/internal/web"
	"github.com/stadsnat/accessd/api/onapi"
	"github.com/stadsnat/accessd/api/piapi"
	"github.com/stadsnat/accessd/store"
	"github.com/stadsnat/accessd/store/activation"
)

// Deps is what the handlers use.
type Deps struct {
	Engine *activation.Engine
	DB     *store.DB
	Log    *slog.Logger
}

// Routes registers the order endpoints of PI-API and ON-API, and fills
// in PI-API availability's active services and taken types.
func (d Deps) Routes() api.Routes {
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	return func(rt *api.Router) {
		rt.PIAPI.Active = d.active
		rt.PIAPI.Taken = d.taken
		sp := func(group string, h web.HandlerFunc) http.Handler { return rt.SP(group, rt.JSON.Handle(h)) }
		for _, v := range piapi.Versions() {
			base := "/api/" + v + "/"
			rt.Handle("POST "+base+"orders/", api.GroupPIAPI, sp(api.GroupPIAPI, d.postPI(base)))
			rt.Handle("GET "+base+"orders/{id}", api.GroupPIAPI, sp(api.GroupPIAPI, d.getOrder(base, false)))
			rt.Handle("GET "+base+"orderevents/", api.GroupPIAPI, sp(api.GroupPIAPI, d.events(base, false)))
			rt.Handle("GET "+base+"services/", api.GroupPIAPI, sp(api.GroupPIAPI, d.services))
		}
		ob := onapi.Base
		ep := onapi.NewEndpoint("orders", "orders/", "orders.md")
		ep.Note = "operations ACTIVATE and DEACTIVATE; GET lists unfinished orders, ?accessId= all orders of an access, ?state= those in a state"
		ep.UnsupportedFields = []string{"characteristics", "externalNote"}
		rt.ONAPI(ep, "orders/", d.listON)
		rt.Handle("POST "+ob+"orders/", api.GroupONAPI, sp(api.GroupONAPI, d.postON))
		rt.Handle("GET "+ob+"orders/{id}", api.GroupONAPI, sp(api.GroupONAPI, d.getOrder(ob, true)))
		rt.Handle("DELETE "+ob+"orders/{id}", api.GroupONAPI, sp(api.GroupONAPI, d.cancelON))
		// orderevents.md: an event for every change of state.
		rt.ONAPI(onapi.NewEndpoint("orderevents", "orderevents/", "orderevents.md"), "orderevents/", d.events(ob, true))
	}
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
	// asked for, past or not; never one it did not send.
	if !o.Requested.IsZero() {
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

func (d Deps) postPI(base string) web.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		u, _ := web.UserFrom(r.Context())
		dialect := PI23
		if u.PIVersion == "2.2" {
			dialect = PI22
		}
		body, err := readBody(r)
		if err != nil {
			return err
		}
		req, err := Parse(body, dialect)
		if err != nil {
			return web.Errorf(http.StatusBadRequest, "%v", err)
		}
		areq := d.request(u, "pi-api-"+u.PIVersion, req)
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
		SPReference: req.SPReference, SPSubscriptionID: req.SPSubscriptionID, Due: req.RequestedAt,
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
	id := r.PathValue("id")
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
	for k, vs := range r.URL.Query() {
		v := strings.Trim(vs[0], `"`)
		switch strings.ToLower(k) {
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
	err := d.DB.OrderView(func(o *store.OrderTx) error {
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
	err := d.DB.OrderView(func(o *store.OrderTx) error {
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
			out = append(out, piapi.Active{Service: s.UID, Option82: option82Hex(&rec), Equipment: eq, SPReference: &ref})
		}
		return nil
	})
	return out, err
}

func (d Deps) taken(accessID string, u web.User) (map[string]bool, error) {
	out := map[string]bool{}
	cat := d.Engine.Catalog()
	err := d.DB.OrderView(func(o *store.OrderTx) error {
		ss, err := o.Services(accessID)
		if err != nil {
			return err
		}
		for _, s := range ss {
			if s.Owner != u.Name {
				out[s.Type] = true
			}
		}
		open, err := o.OpenOrdersOfAccess(accessID)
		if err != nil {
			return err
		}
		for _, x := range open {
			if svc, ok := cat.Get(x.Service); ok && x.Owner != u.Name && x.Operation == store.Activate {
				out[svc.Type] = true
			}
		}
		return nil
	})
	return out, err
}

// option82Hex is availability's active[].option82 for an access: the
// whole option 82 TLV of its circuit (sub-option 1 circuit-id, 2
// remote-id), upper-case hex, as PI-API's option82.md defines it.
func option82Hex(rec *store.AccessRecord) string {
	c, rid := rec.DHCPIdentifier.IPv4CircuitID, rec.DHCPIdentifier.IPv4RemoteID
	if c == "" && rid == "" {
		text := strings.TrimSpace(rec.Option82)
		if a, b, ok := strings.Cut(text, " "); ok {
			rid, c = a, strings.TrimSpace(b)
		} else {
			c = text
		}
	}
	var v []byte
	if c != "" && len(c) < 256 {
		v = append(append(v, 1, byte(len(c))), c...)
	}
	if rid != "" && len(rid) < 256 {
		v = append(append(v, 2, byte(len(rid))), rid...)
	}
	if len(v) == 0 || len(v) > 255 {
		return ""
	}
	return strings.ToUpper(hex.EncodeToString(append([]byte{82, byte(len(v))}, v...)))
}
