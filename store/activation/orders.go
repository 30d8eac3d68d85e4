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
	// Due is when the order may run; zero = now. Date is the local date
	// Atlas gave (kept on the order and, for a DEACTIVATE, shown as the
	// service's release date).
	Due  time.Time
	Date string
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
		e.log.Info("order received", "order", res.Order.ID, "access_id", res.Order.AccessID, "service", res.Order.Service,
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
	}
	if _, err := o.Access(r.AccessID); errors.Is(err, store.ErrNotFound) {
		return Result{Outcome: Refused, Verdict: Verdict{Code: CodeNotFound, Cause: fmt.Sprintf("Unknown accessId: '%s'", r.AccessID)}}, nil
	} else if err != nil {
		return Result{}, err
	}
	open, err := o.OpenOrdersOfAccess(r.AccessID)
	if err != nil {
		return Result{}, err
	}
	for _, x := range open {
		if x.Service == r.Service && (x.Owner == r.Owner || r.AnyOwner) {
			return Result{Outcome: Existing, Order: x}, nil
		}
	}
	if r.Operation == store.Activate {
		active, err := o.Services(r.AccessID)
		if err != nil {
			return Result{}, err
		}
		for _, s := range active {
			if s.UID == r.Service && s.Owner == r.Owner {
				return Result{Outcome: AlreadyDone}, nil
			}
		}
		v, err := e.check(o, r.AccessID, r.Service, r.Owner, "")
		if err != nil || !v.OK() {
			return Result{Outcome: Refused, Verdict: v}, err
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
		SPReference: r.SPReference, SPSubscriptionID: r.SPSubscriptionID, Due: due, Requested: r.Due, Date: r.Date,
		Atlas: r.Atlas, Customer: r.Customer, CustomerRef: r.CustomerRef,
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

func deref(r *Result) Result {
	if r == nil {
		return Result{}
	}
	return *r
}

// deactivationTarget finds the active service a DEACTIVATE ends. A result
// instead of a service means the answer is decided: the service is not
// active (AlreadyDone), or an open order for it exists (Existing).
func (e *Engine) deactivationTarget(o *store.OrderTx, r *Request) (*store.Service, *Result, error) {
	if r.SubscriptionID != "" {
		s, err := o.ServiceBySubscription(r.SubscriptionID)
		if errors.Is(err, store.ErrNotFound) || (err == nil && s.Owner != r.Owner && !r.AnyOwner) {
			return nil, &Result{Outcome: AlreadyDone}, nil
		}
		if err != nil {
			return nil, nil, err
		}
		if r.AccessID != "" && r.AccessID != s.AccessID {
			return nil, &Result{Outcome: Refused, Verdict: Verdict{Code: CodeNotFound,
				Cause: fmt.Sprintf("Subscription '%s' is not on access '%s'", r.SubscriptionID, r.AccessID)}}, nil
		}
		r.AccessID, r.Service = s.AccessID, s.UID
		return &s, nil, nil
	}
	if _, err := o.Access(r.AccessID); errors.Is(err, store.ErrNotFound) {
		return nil, &Result{Outcome: Refused, Verdict: Verdict{Code: CodeNotFound, Cause: fmt.Sprintf("Unknown accessId: '%s'", r.AccessID)}}, nil
	}
	active, err := o.Services(r.AccessID)
	if err != nil {
		return nil, nil, err
	}
	for _, s := range active {
		if s.UID == r.Service && (s.Owner == r.Owner || r.AnyOwner) {
			return &s, nil, nil
		}
	}
	return nil, &Result{Outcome: AlreadyDone}, nil
}

// Order returns an order by id.
func (e *Engine) Order(id string) (store.Order, error) {
	var ord store.Order
	err := e.db.OrderView(func(o *store.OrderTx) error {
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
		e.log.Info("order cancelled", "order", id, "access_id", ord.AccessID, "service", ord.Service, "owner", owner)
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

// Deactivate is Atlas's service_deactivate: the service uid on the access
// ends on date (now when date is today or earlier). Asking again with the
// same date changes nothing; with another date, the pending deactivation
// moves to it.
func (e *Engine) Deactivate(accessID, uid, date string, due time.Time, channel string) (Result, error) {
	orderID := e.newID()
	var res Result
	err := e.commit.do(func(o *store.OrderTx) error {
		res = Result{}
		open, err := o.OpenOrdersOfAccess(accessID)
		if err != nil {
			return err
		}
		for _, x := range open {
			if x.Service == uid && x.Operation == store.Activate && x.State == store.Received {
				// Not active yet: the scheduled activation is called off.
				x.State, x.Message = store.DoneFailed, "cancelled by service_deactivate"
				if err := o.UpdateOrder(&x); err != nil {
					return err
				}
				res = Result{Outcome: Existing, Order: x}
				return nil
			}
			if x.Service == uid && x.Operation == store.Deactivate {
				if x.State == store.Received && x.Date != date {
					if err := e.reschedule(o, &x, date, due); err != nil {
						return err
					}
				}
				res = Result{Outcome: Existing, Order: x}
				return nil
			}
		}
		res, err = e.place(o, Request{Owner: OwnerAtlas, Channel: channel, AccessID: accessID, Service: uid,
			Operation: store.Deactivate, AnyOwner: true, Due: due, Date: date}, orderID, "")
		return err
	})
	if err == nil && res.Outcome != Refused {
		e.poke()
	}
	return res, err
}

// OwnerAtlas owns what Atlas Tjänsteguiden orders.
const OwnerAtlas = "atlas"
