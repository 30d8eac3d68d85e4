package activation

import (
	"errors"
	"fmt"
	"time"

	"github.com/stadsnat/accessd/store"
)

// Request is an order as a channel hands it in.
type Request struct {
	Owner     string // the service provider's user name, or "atlas"
	Channel   string // pi-api-2.3, on-api-2.6, atlas, …
	AccessID  string
	Service   string // catalogue UID
	Operation store.Operation
	// SubscriptionID names the service to DEACTIVATE (ON-API); else the
	// owner's active service Service on AccessID is meant.
	SubscriptionID string
	// AnyOwner lets a DEACTIVATE end a service whoever ordered it (Atlas,
	// the KO's own portal).
	AnyOwner         bool
	ForcedTakeover   bool
	Equipment        []store.Equipment
	SPReference      string
	SPSubscriptionID string
	// Due is when the order may run; zero = now. DueText is the
	// requestedDateTime as the caller wrote it (ON-API: echoed as given).
	// Date is the local date Atlas gave (kept on the order and, for a
	// DEACTIVATE, shown as the service's release date).
	Due     time.Time
	DueText string
	Date    string
	// Key makes the order idempotent: placing it again with the same key
	// gives the first order back.
	Key         string
	Atlas       *store.AtlasRef
	Customer    *store.Customer
	CustomerRef string
}

// Outcome says what Place did.
type Outcome int

// Outcomes of Place.
const (
	// Created: a new order was stored (201).
	Created Outcome = iota + 1
	// Existing: the same order (same key), or an open order for the same
	// service on the access, already exists; it is returned (200).
	Existing
	// AlreadyDone: the service already is in the requested state; no order
	// was made (200 DONE_SUCCESS).
	AlreadyDone
	// Refused: see Verdict.
	Refused
)

// Result is Place's answer.
type Result struct {
	Outcome Outcome
	Order   store.Order // Created, Existing
	Verdict Verdict     // Refused
}

// ErrBadRequest is returned (wrapped) for a request Place cannot take at
// all (missing fields, an unknown operation).
var ErrBadRequest = errors.New("bad request")

// Place checks an order and stores it, durably, before it returns.
func (e *Engine) Place(r Request) (Result, error) {
	switch {
	case r.Owner == "" || r.Channel == "":
		return Result{}, fmt.Errorf("place order: owner and channel are required: %w", ErrBadRequest)
	case r.Operation != store.Activate && r.Operation != store.Deactivate:
		return Result{}, fmt.Errorf("place order: operation %q: %w", r.Operation, ErrBadRequest)
	case r.AccessID == "" && r.SubscriptionID == "":
		return Result{}, fmt.Errorf("place order: accessId or subscriptionId is required: %w", ErrBadRequest)
	case r.Operation == store.Activate && r.Service == "":
		return Result{}, fmt.Errorf("place order: service is required: %w", ErrBadRequest)
	}
	// Ids are drawn outside the transaction: a retried transaction must
	// not draw new ones (the generator is not part of it).
	orderID, subID := e.newID(), e.newID()
	var res Result
	err := e.commit.do(func(o *store.OrderTx) error {
		var err error
		res, err = e.place(o, r, orderID, subID)
		return err
	})
	if err != nil {
		return Result{}, err
	}
	if res.Outcome == Created {
		e.log.Info("order received", "order_id", res.Order.ID, "access_id", res.Order.AccessID, "service", res.Order.Service,
			"operation", res.Order.Operation, "owner", res.Order.Owner, "channel", res.Order.Channel, "due", res.Order.Due)
		e.poke()
	}
	return res, nil
}

func (e *Engine) place(o *store.OrderTx, r Request, orderID, subID string) (Result, error) {
	if r.Key != "" {
		if ord, found, err := o.OrderByKey(r.Key); err != nil || found {
			return Result{Outcome: Existing, Order: ord}, err
		}
	}
	var target *store.Service // the service a DEACTIVATE ends
	if r.Operation == store.Deactivate {
		s, res, err := e.deactivationTarget(o, &r)
		if err != nil || res != nil {
			return deref(res), err
		}
		target = s
	} else {
		res, err := e.activationVerdict(o, r)
		if err != nil || res != nil {
			return deref(res), err
		}
	}
	now := o.Now()
	due := r.Due
	if due.IsZero() || due.Before(now) {
		due = now
	}
	ord := store.Order{
		ID: orderID, Owner: r.Owner, Channel: r.Channel, AccessID: r.AccessID, Service: r.Service, Operation: r.Operation,
		State: store.Received, SubscriptionID: subID, ForcedTakeover: r.ForcedTakeover, Equipment: r.Equipment,
		SPReference: r.SPReference, SPSubscriptionID: r.SPSubscriptionID, Due: due, Requested: r.Due, RequestedText: r.DueText,
		Date: r.Date, Atlas: r.Atlas, Customer: r.Customer, CustomerRef: r.CustomerRef,
	}
	if target != nil {
		ord.SubscriptionID = target.SubscriptionID
		if r.Date != "" && due.After(now) {
			target.Release = r.Date
			if err := o.PutService(target); err != nil {
				return Result{}, err
			}
		}
	}
	if err := o.CreateOrder(&ord, r.Key); err != nil {
		return Result{}, err
	}
	return Result{Outcome: Created, Order: ord}, nil
}

// activationVerdict asks the rules about an ACTIVATE. A result means the
// answer is decided without a new order: refused, already active
// (AlreadyDone), or an order for the service is open (Existing: an
// ACTIVATE being carried out, or a DEACTIVATE that must finish first —
// service_activation.md and responses.md, "the service already has an
// active order").
func (e *Engine) activationVerdict(o *store.OrderTx, r Request) (*Result, error) {
	v, err := e.check(o, r.AccessID, r.Service, r.Owner, "")
	if err != nil {
		return nil, err
	}
	switch {
	case v.PendingOrder != "":
		ord, err := o.Order(v.PendingOrder)
		if err != nil {
			return nil, err
		}
		return &Result{Outcome: Existing, Order: ord, Verdict: v}, nil
	case v.Active:
		return &Result{Outcome: AlreadyDone, Verdict: v}, nil
	case !v.OK():
		return &Result{Outcome: Refused, Verdict: v}, nil
	}
	return nil, nil
}

func deref(r *Result) Result {
	if r == nil {
		return Result{}
	}
	return *r
}

// deactivationTarget finds the active service a DEACTIVATE ends. A result
// instead of a service means the answer is decided: an order for the
// service is open (Existing: its ACTIVATE is still being carried out, or
// a DEACTIVATE is), or the caller has no such service (AlreadyDone: it is
// inactive, service_activation.md).
func (e *Engine) deactivationTarget(o *store.OrderTx, r *Request) (*store.Service, *Result, error) {
	if r.SubscriptionID == "" {
		if _, err := o.Access(r.AccessID); errors.Is(err, store.ErrNotFound) {
			return nil, &Result{Outcome: Refused, Verdict: notFound(r.AccessID)}, nil
		} else if err != nil {
			return nil, nil, err
		}
	}
	s, err := e.ownService(o, r)
	if err != nil || s == nil {
		if res, err2 := e.openFor(o, r, nil); err2 != nil || res != nil {
			return nil, res, err2
		}
		return nil, &Result{Outcome: AlreadyDone}, err
	}
	if r.AccessID != "" && r.AccessID != s.AccessID {
		return nil, &Result{Outcome: Refused, Verdict: Verdict{Code: CodeNotFound,
			Cause: fmt.Sprintf("Subscription '%s' is not on access '%s'", r.SubscriptionID, r.AccessID)}}, nil
	}
	r.AccessID, r.Service = s.AccessID, s.UID
	res, err := e.openFor(o, r, s)
	return s, res, err
}

// ownService is the caller's active service the request names (by
// subscription, or by access and service); nil when it has none.
func (e *Engine) ownService(o *store.OrderTx, r *Request) (*store.Service, error) {
	if r.SubscriptionID != "" {
		s, err := o.ServiceBySubscription(r.SubscriptionID)
		if errors.Is(err, store.ErrNotFound) || (err == nil && s.Owner != r.Owner && !r.AnyOwner) {
			return nil, nil
		}
		return &s, err
	}
	active, err := o.Services(r.AccessID)
	if err != nil {
		return nil, err
	}
	for _, s := range active {
		if s.UID == r.Service && (s.Owner == r.Owner || r.AnyOwner) {
			return &s, nil
		}
	}
	return nil, nil
}

// openFor finds the caller's open order for the service a DEACTIVATE
// names: for an active service s its pending DEACTIVATE, else the
// ACTIVATE that is to make it.
func (e *Engine) openFor(o *store.OrderTx, r *Request, s *store.Service) (*Result, error) {
	accessID := r.AccessID
	if s != nil {
		accessID = s.AccessID
	}
	var open []store.Order
	var err error
	if accessID != "" {
		open, err = o.OpenOrdersOfAccess(accessID)
	} else { // a subscription not (or no longer) active: its ACTIVATE may be open
		open, err = o.Orders(store.OrderFilter{Owner: r.Owner, Open: true})
	}
	if err != nil {
		return nil, err
	}
	for _, x := range open {
		if x.Owner != r.Owner && !r.AnyOwner {
			continue
		}
		mine := x.Service == r.Service
		if r.SubscriptionID != "" {
			mine = x.SubscriptionID == r.SubscriptionID
		}
		if mine && (s != nil) == (x.Operation == store.Deactivate) {
			return &Result{Outcome: Existing, Order: x}, nil
		}
	}
	return nil, nil
}

// LastOrder is the newest order of owner for service uid on the access
// with the operation.
func (e *Engine) LastOrder(accessID, uid, owner string, op store.Operation) (store.Order, bool, error) {
	var last store.Order
	var found bool
	err := e.orders.View(func(o *store.OrderTx) error {
		list, err := o.OrdersOfAccess(accessID)
		for _, x := range list {
			if x.Service == uid && x.Owner == owner && x.Operation == op {
				last, found = x, true
			}
		}
		return err
	})
	return last, found, err
}

// Order returns an order by id.
func (e *Engine) Order(id string) (store.Order, error) {
	var ord store.Order
	err := e.orders.View(func(o *store.OrderTx) error {
		var err error
		ord, err = o.Order(id)
		return err
	})
	return ord, err
}

// Cancel ends a RECEIVED order before it runs (ON-API DELETE): it becomes
// DONE_FAILED "cancelled". owner must be the order's. A release date it
// set is cleared.
func (e *Engine) Cancel(id, owner string) (store.Order, error) {
	var ord store.Order
	err := e.commit.do(func(o *store.OrderTx) error {
		var err error
		ord, err = o.Order(id)
		if err != nil {
			return err
		}
		if ord.Owner != owner {
			return fmt.Errorf("order %q: %w", id, store.ErrNotFound)
		}
		if ord.State != store.Received {
			return fmt.Errorf("order %q is %s, only a RECEIVED order can be cancelled: %w", id, ord.State, ErrBadRequest)
		}
		ord.State, ord.Message = store.DoneFailed, "cancelled"
		if err := o.UpdateOrder(&ord); err != nil {
			return err
		}
		if ord.Operation == store.Deactivate {
			if s, err := o.ServiceBySubscription(ord.SubscriptionID); err == nil && s.Release == ord.Date && s.Release != "" {
				s.Release = ""
				return o.PutService(&s)
			}
		}
		return nil
	})
	if err == nil {
		e.log.Info("order cancelled", "order_id", id, "access_id", ord.AccessID, "service", ord.Service, "owner", owner)
	}
	return ord, err
}

// Reschedule moves a RECEIVED DEACTIVATE order to a new date (Atlas's
// service_deactivate with another date for the same service); the service's
// release date follows.
func (e *Engine) reschedule(o *store.OrderTx, ord *store.Order, date string, due time.Time) error {
	if due.Before(o.Now()) {
		due = o.Now()
	}
	ord.Date, ord.Due = date, due
	if err := o.UpdateOrder(ord); err != nil {
		return err
	}
	if s, err := o.ServiceBySubscription(ord.SubscriptionID); err == nil {
		s.Release = ""
		if due.After(o.Now()) {
			s.Release = date
		}
		return o.PutService(&s)
	}
	return nil
}

// Deactivate is Atlas's service_deactivate: Atlas's service uid on the
// access ends on date (now when date is today or earlier). Asking again
// with the same date changes nothing; with another date, the pending
// deactivation moves to it. An activation Atlas ordered that has not
// started is called off; one being carried out is followed by the
// deactivation. A service that a service provider ordered through its own
// API is not Atlas's to end (Refused, CodeNotOwner).
func (e *Engine) Deactivate(accessID, uid, date string, due time.Time, channel string) (Result, error) {
	orderID := e.newID()
	var res Result
	err := e.commit.do(func(o *store.OrderTx) error {
		var err error
		res, err = e.deactivate(o, accessID, uid, date, due, channel, orderID)
		return err
	})
	if err == nil && res.Outcome != Refused {
		e.poke()
	}
	return res, err
}

func (e *Engine) deactivate(o *store.OrderTx, accessID, uid, date string, due time.Time, channel, orderID string) (Result, error) {
	open, err := o.OpenOrdersOfAccess(accessID)
	if err != nil {
		return Result{}, err
	}
	for _, x := range open {
		if x.Service != uid || x.Owner != OwnerAtlas {
			continue
		}
		switch {
		case x.Operation == store.Activate && x.State == store.Received:
			// Not started yet: the activation is called off.
			x.State, x.Message = store.DoneFailed, "cancelled by service_deactivate"
			return Result{Outcome: Existing, Order: x}, o.UpdateOrder(&x)
		case x.Operation == store.Activate:
			// Being carried out: the deactivation follows it (orders of
			// one access run one at a time, in due order).
			return e.followActivation(o, &x, date, due, channel, orderID)
		case x.State == store.Received && x.Date != date:
			return Result{Outcome: Existing, Order: x}, e.reschedule(o, &x, date, due)
		default:
			return Result{Outcome: Existing, Order: x}, nil
		}
	}
	active, err := o.Services(accessID)
	if err != nil {
		return Result{}, err
	}
	for _, s := range active {
		if s.UID == uid && s.Owner != OwnerAtlas {
			return Result{Outcome: Refused, Verdict: Verdict{Code: CodeNotOwner,
				Message: "Tjänsten är beställd av tjänsteleverantören och avbeställs hos den",
				Cause:   fmt.Sprintf("Service '%s' on access '%s' was ordered by a service provider, who alone may end it", uid, accessID)}}, nil
		}
	}
	return e.place(o, Request{Owner: OwnerAtlas, Channel: channel, AccessID: accessID, Service: uid,
		Operation: store.Deactivate, Due: due, Date: date}, orderID, "")
}

// followActivation places a DEACTIVATE of the service an ACTIVATE being
// carried out makes.
func (e *Engine) followActivation(o *store.OrderTx, act *store.Order, date string, due time.Time, channel, orderID string) (Result, error) {
	now := o.Now()
	if due.IsZero() || due.Before(now) {
		due = now
	}
	ord := store.Order{ID: orderID, Owner: OwnerAtlas, Channel: channel, AccessID: act.AccessID, Service: act.Service,
		Operation: store.Deactivate, State: store.Received, SubscriptionID: act.SubscriptionID, Due: due, Date: date}
	if err := o.CreateOrder(&ord, ""); err != nil {
		return Result{}, err
	}
	return Result{Outcome: Created, Order: ord}, nil
}

// OwnerAtlas owns what Atlas Tjänsteguiden orders.
const OwnerAtlas = "atlas"
