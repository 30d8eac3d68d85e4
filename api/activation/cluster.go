package activation

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/stadsnat/accessd/store"
)

// Orders across several accessd instances (a hub's, see the daemon's
// cluster subsystem). With Options.Queue the scheduler runs nothing: the
// orders placed with any instance go on a shared queue, and the instance
// that takes one records it (TakeOrder) and carries it out (RunOrder); the
// others learn its outcome (ApplyOutcome). Both mark their writes Remote,
// so that the change hooks do not queue or report them again.

// TakeOrder records an order taken from the queue, unless this instance
// has it already (it placed it, or took it before): orders are idempotent
// by id. It returns the stored order.
func (e *Engine) TakeOrder(ord store.Order) (store.Order, error) {
	var out store.Order
	err := e.commit.do(func(o *store.OrderTx) error {
		cur, err := o.Order(ord.ID)
		if err == nil {
			out = cur
			return nil
		}
		if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		out = ord
		out.State, out.Message, out.Attempts = store.Received, "", 0
		return o.Remotely(func() error { return o.CreateOrder(&out, "") })
	})
	return out, err
}

// ErrNotFinished is returned by RunOrder when the order did not reach a
// final state (it could not start, or the run was stopped): run it again.
var ErrNotFinished = errors.New("order not finished")

// RunOrder carries out the stored order id now, as the scheduler would:
// an order left IN_PROGRESS by a run that died is run again (the hook is
// idempotent). It returns the order as it ended; a final order is
// returned as it is.
func (e *Engine) RunOrder(ctx context.Context, id string) (store.Order, error) {
	var ord store.Order
	err := e.commit.do(func(o *store.OrderTx) error {
		var err error
		if ord, err = o.Order(id); err != nil {
			return err
		}
		if ord.State == store.InProgress {
			ord.State = store.Received
			return o.UpdateOrder(&ord)
		}
		return nil
	})
	if err != nil || ord.State.Done() {
		return ord, err
	}
	e.execute(ctx, ord)
	err = e.orders.View(func(o *store.OrderTx) error {
		var err error
		ord, err = o.Order(id)
		return err
	})
	if err != nil {
		return ord, err
	}
	if !ord.State.Done() {
		return ord, fmt.Errorf("order %s is %s: %w", id, ord.State, ErrNotFinished)
	}
	return ord, nil
}

// RemoteOutcome is an order's new state as the instance that ran it
// reported it.
type RemoteOutcome struct {
	OrderID        string
	State          store.OrderState
	Message        string
	SubscriptionID string
	Attempts       int
	Changed        time.Time
	// Order is the order (without customer) when the report carries it:
	// an instance that never saw the order records it from here.
	Order *store.Order
}

// ApplyOutcome records an outcome in o: the order's state, and on
// DONE_SUCCESS the service it starts or ends, as the instance that ran it
// did. An order this instance does not know is recorded from the outcome
// when it carries the order, else skipped (known reports false). A final
// order never changes again.
func (e *Engine) ApplyOutcome(o *store.OrderTx, r RemoteOutcome) (known bool, err error) {
	err = o.Remotely(func() error {
		ord, err := o.Order(r.OrderID)
		switch {
		case errors.Is(err, store.ErrNotFound) && r.Order != nil:
			ord = *r.Order
			ord.State, ord.Message, ord.Customer = store.Received, "", nil
			if err := o.CreateOrder(&ord, ""); err != nil {
				return err
			}
		case errors.Is(err, store.ErrNotFound):
			return nil
		case err != nil:
			return err
		}
		known = true
		if ord.State.Done() || ord.State == r.State {
			return nil
		}
		ord.Attempts = max(ord.Attempts, r.Attempts)
		switch r.State {
		case store.InProgress:
			ord.State = store.InProgress
		case store.DoneFailed:
			ord.State, ord.Message = store.DoneFailed, r.Message
		case store.DoneSuccess:
			if err := e.serviceDone(o, &ord, r.Message, e.settings.Load()); err != nil {
				return err
			}
			ord.State, ord.Message = store.DoneSuccess, ""
		default:
			return nil
		}
		return o.UpdateOrder(&ord)
	})
	return known, err
}
