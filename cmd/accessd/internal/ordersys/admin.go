package ordersys

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/stadsnat/accessd/cmd/internal/admin"
	"github.com/stadsnat/accessd/store"
)

// admin registers accessctl services, orders and order.
func (s *System) admin(m *admin.Mux) {
	m.Handle("GET "+admin.PathAccess+"{id}/services", s.adminServices)
	m.Handle("GET "+admin.PathOrders, s.adminOrders)
	m.Handle("GET "+admin.PathOrders+"/{id}", s.adminOrder)
}

func (s *System) adminServices(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	var out []store.Service
	err := s.db.Orders().View(func(o *store.OrderTx) error {
		if _, err := o.Access(id); err != nil {
			return err
		}
		var err error
		out, err = o.Services(id)
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return admin.Errorf(http.StatusNotFound, "no access %q", id)
	}
	if err != nil {
		return err
	}
	svcs := make([]admin.Service, len(out))
	for i, v := range out {
		svcs[i] = admin.Service{SubscriptionID: v.SubscriptionID, AccessID: v.AccessID, UID: v.UID, Name: v.Name, Type: v.Type,
			Owner: v.Owner, Origin: v.Origin, Activated: v.Activated, Commitment: v.Commitment, Release: v.Release,
			Message: v.Message, SPReference: v.SPReference, Equipment: fromEquipment(v.Equipment), CustomerRef: v.CustomerRef,
			OrderID: v.OrderID, Since: v.Since}
	}
	return admin.WriteJSON(w, svcs)
}

func (s *System) adminOrders(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := store.OrderFilter{State: store.OrderState(q.Get("state")), AccessID: q.Get("access"), Owner: q.Get("owner"),
		Newest: true, Limit: 100}
	if f.State != "" && !f.State.Valid() {
		return admin.Errorf(http.StatusBadRequest, "state %q: must be RECEIVED, IN_PROGRESS, DONE_SUCCESS or DONE_FAILED", f.State)
	}
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 0 {
			return admin.Errorf(http.StatusBadRequest, "limit %q: not a count", l)
		}
		f.Limit = n
	}
	var out []store.Order
	err := s.db.Orders().View(func(o *store.OrderTx) error {
		var err error
		out, err = o.Orders(f)
		return err
	})
	if err != nil {
		return err
	}
	list := make([]admin.Order, len(out))
	for i := range out {
		list[i] = fromOrder(&out[i])
		list[i].Customer = nil // personal data stays in the store: accessctl order ID shows it
	}
	return admin.WriteJSON(w, list)
}

func (s *System) adminOrder(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	var o store.Order
	var hist []store.OrderEvent
	err := s.db.Orders().View(func(tx *store.OrderTx) error {
		var err error
		if o, err = tx.Order(id); err != nil {
			return err
		}
		hist, err = tx.History(&o)
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return admin.Errorf(http.StatusNotFound, "no order %q", id)
	}
	if err != nil {
		return err
	}
	out := admin.OrderDetail{Order: fromOrder(&o), History: make([]admin.OrderEvent, len(hist))}
	for i, e := range hist {
		out.History[i] = admin.OrderEvent{ID: store.EventID(e.Seq), Seq: e.Seq, Time: e.Time, Kind: string(e.Kind), OrderID: e.OrderID,
			Owner: e.Owner, AccessID: e.AccessID, Service: e.Service, Operation: string(e.Operation), State: string(e.State),
			Message: e.Message, SubscriptionID: e.SubscriptionID}
	}
	return admin.WriteJSON(w, out)
}

func fromOrder(o *store.Order) admin.Order {
	out := admin.Order{ID: o.ID, Seq: o.Seq, Owner: o.Owner, Channel: o.Channel, AccessID: o.AccessID, Service: o.Service,
		Operation: string(o.Operation), State: string(o.State), Message: o.Message, SubscriptionID: o.SubscriptionID,
		ForcedTakeover: o.ForcedTakeover, Equipment: fromEquipment(o.Equipment), SPReference: o.SPReference,
		SPSubscriptionID: o.SPSubscriptionID, Due: o.Due, Requested: o.Requested, Date: o.Date, CustomerRef: o.CustomerRef,
		Attempts: o.Attempts, Created: o.Created, Updated: o.Updated}
	if a := o.Atlas; a != nil {
		out.Atlas = &admin.AtlasRef{Order: a.Order, Customer: a.Customer, XSPCID: a.XSPCID, Origin: a.Origin}
	}
	if c := o.Customer; c != nil {
		ac := admin.Customer(*c)
		out.Customer = &ac
	}
	return out
}

func fromEquipment(es []store.Equipment) []admin.Equipment {
	var out []admin.Equipment
	for _, e := range es {
		out = append(out, admin.Equipment{VendorID: e.VendorID, MACAddress: e.MACAddress})
	}
	return out
}

func (s *System) status() admin.Section {
	st, err := s.eng.Stats()
	if err != nil {
		return admin.Section{Title: "orders", Rows: [][2]string{{"error", err.Error()}}}
	}
	next := "none"
	if !st.NextDue.IsZero() {
		next = st.NextDue.Local().Format(time.DateTime)
	}
	return admin.Section{Title: "orders", Rows: [][2]string{
		{"received", strconv.Itoa(st.Orders[store.Received])},
		{"in progress", strconv.Itoa(st.Orders[store.InProgress])},
		{"done", strconv.Itoa(st.Orders[store.DoneSuccess])},
		{"failed", strconv.Itoa(st.Orders[store.DoneFailed])},
		{"next due", next},
	}}
}

type metrics struct {
	done *prometheus.CounterVec
	took *prometheus.HistogramVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		done: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "accessd_orders_done_total", Help: "Orders that reached DONE_SUCCESS or DONE_FAILED, by channel, operation and state.",
		}, []string{"channel", "operation", "state"}),
		took: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "accessd_order_run_seconds", Help: "Time to run an order (the activation hook and the store writes), by operation.",
			Buckets: prometheus.ExponentialBuckets(0.01, 3, 9),
		}, []string{"operation"}),
	}
	if reg != nil {
		reg.MustRegister(m.done, m.took)
	}
	// The series of every channel, operation and final state exist from
	// the start, at 0: rate() and the alert rules see the first failure,
	// and a dashboard shows 0, not nothing.
	for _, op := range []store.Operation{store.Activate, store.Deactivate} {
		m.took.WithLabelValues(string(op))
		for _, ch := range channels {
			for _, st := range []store.OrderState{store.DoneSuccess, store.DoneFailed} {
				m.done.WithLabelValues(ch, string(op), string(st))
			}
		}
	}
	return m
}

// channels are the channels orders come through (store.Order.Channel).
var channels = []string{"pi-api-2.2", "pi-api-2.3", "on-api-2.6", "atlas"}

func (m *metrics) observe(o store.Order, took time.Duration) {
	m.done.WithLabelValues(o.Channel, string(o.Operation), string(o.State)).Inc()
	m.took.WithLabelValues(string(o.Operation)).Observe(took.Seconds())
}
