package activation

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/stadsnat/accessd/store"
	"github.com/stadsnat/accessd/store/inventory"
)

// maxSleep bounds the scheduler's sleep, so that a clock step (NTP after
// a cold start) delays a scheduled order by at most this much.
const maxSleep = 10 * time.Minute

// Run is the scheduler: it runs every due order, then sleeps until the
// next is due or a new one arrives, until ctx is done. Orders left
// IN_PROGRESS by an earlier stop are run again first. Hooks still running
// when ctx ends are stopped and their orders left for the next start.
func (e *Engine) Run(ctx context.Context, ready func()) error {
	if e.queue {
		// A hub's instances take the orders from their shared queue
		// (RunOrder); the local schedule would run them twice.
		ready()
		<-ctx.Done()
		return nil
	}
	if err := e.requeueInterrupted(); errors.Is(err, store.ErrReadOnly) {
		// A full disk: start, and requeue once the store can write.
		ready()
		if !e.waitWritable(ctx) {
			return nil
		}
		if err := e.requeueInterrupted(); err != nil {
			return fmt.Errorf("activation: requeue interrupted orders: %w", err)
		}
	} else if err != nil {
		return fmt.Errorf("activation: requeue interrupted orders: %w", err)
	} else {
		ready()
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	finished := make(chan string, e.conc) // at most conc run at once: sends never block
	running := map[string]bool{}          // by access id
	for {
		if len(running) == 0 && !e.waitWritable(ctx) {
			return nil
		}
		due, err := e.due(e.now(), 4*e.conc)
		if err != nil {
			e.log.Error("reading the order queue failed; retrying in a minute", "err", err)
		}
		blocked := false // due orders wait for a running one
		for _, ord := range due {
			if running[ord.AccessID] || len(running) >= e.conc {
				blocked = true
				continue
			}
			running[ord.AccessID] = true
			wg.Add(1)
			go func(ord store.Order) {
				defer wg.Done()
				e.execute(ctx, ord)
				finished <- ord.AccessID
			}(ord)
		}
		sleep := maxSleep
		now := e.now()
		next, ok := e.nextDue(now, blocked)
		switch {
		case err != nil:
			sleep = time.Minute
		case ok:
			sleep = min(max(next.Sub(now), 0), maxSleep)
		}
		timer := time.NewTimer(sleep)
		select {
		case <-ctx.Done():
			timer.Stop()
			return nil
		case id := <-finished:
			delete(running, id)
		case <-e.wake:
		case <-timer.C:
		}
		timer.Stop()
	}
}

// writableEvery is how often the engine looks whether a read-only store
// can write again.
const writableEvery = 5 * time.Second

// waitWritable waits while the store is read-only (a full disk): no order
// starts, as none could be recorded. It returns false when ctx ended.
func (e *Engine) waitWritable(ctx context.Context) bool {
	logged := false
	for {
		reason, ro := e.orders.ReadOnly()
		if !ro {
			if logged {
				e.log.Info("orders run again: the store can write")
			}
			return true
		}
		if !logged {
			e.log.Warn("orders wait: the store is read-only", "reason", reason)
			logged = true
		}
		select {
		case <-ctx.Done():
			return false
		case <-time.After(writableEvery):
		}
	}
}

func (e *Engine) due(now time.Time, limit int) ([]store.Order, error) {
	var out []store.Order
	err := e.orders.View(func(o *store.OrderTx) error {
		var err error
		out, err = o.Due(now, limit)
		return err
	})
	return out, err
}

// nextDue is when the scheduler must look again: the earliest due order,
// or with blocked (due orders wait for running ones, which wake it when
// they finish) the earliest due later than now.
func (e *Engine) nextDue(now time.Time, blocked bool) (time.Time, bool) {
	var t time.Time
	var ok bool
	e.orders.View(func(o *store.OrderTx) error {
		if blocked {
			t, ok = o.NextDueAfter(now)
		} else {
			t, ok = o.NextDue()
		}
		return nil
	})
	return t, ok
}

// requeueInterrupted puts IN_PROGRESS orders back to RECEIVED, due now.
func (e *Engine) requeueInterrupted() error {
	return e.commit.do(func(o *store.OrderTx) error {
		list, err := o.InProgress()
		if err != nil {
			return err
		}
		for _, ord := range list {
			ord.State, ord.Due = store.Received, o.Now()
			if err := o.UpdateOrder(&ord); err != nil {
				return err
			}
			e.log.Warn("order was interrupted by a stop; running it again", "order_id", ord.ID, "access_id", ord.AccessID,
				"service", ord.Service, "operation", ord.Operation)
		}
		return nil
	})
}

// execute runs one order: RECEIVED → IN_PROGRESS, the hook, then
// DONE_SUCCESS (with the service started or ended) or DONE_FAILED.
func (e *Engine) execute(ctx context.Context, ord store.Order) {
	start := time.Now()
	st := e.settings.Load()
	var in HookInput
	var refusal string
	err := e.commit.do(func(o *store.OrderTx) error {
		var err error
		in, refusal, err = e.begin(o, &ord, st)
		return err
	})
	if err != nil {
		e.log.Error("order could not start; it stays queued", "order_id", ord.ID, "access_id", ord.AccessID, "err", err)
		// Not at once again: the scheduler would pick it up in a loop.
		select {
		case <-ctx.Done():
		case <-time.After(writableEvery):
		}
		return
	}
	if refusal != "" || ord.State != store.InProgress {
		if refusal != "-" {
			e.finished(ord, start)
		}
		return
	}
	msg, herr := "", error(nil)
	pc, cerr := e.customerCheck(ctx, &ord)
	switch {
	case cerr != nil && ctx.Err() != nil:
		e.log.Info("order interrupted by the stop; it runs again at the next start", "order_id", ord.ID, "access_id", ord.AccessID)
		return
	case cerr != nil:
		// The provider cannot give the customer: the order fails with the
		// cause, and the hook does not run.
		herr = &HookError{Message: cerr.Error(), Err: cerr}
	case st.Hook != nil:
		in.ProviderCustomer = pc
		msg, herr = st.Hook.Run(ctx, in)
	}
	if herr != nil && ctx.Err() != nil {
		e.log.Info("order interrupted by the stop; it runs again at the next start", "order_id", ord.ID, "access_id", ord.AccessID)
		return
	}
	err = e.commit.do(func(o *store.OrderTx) error { return e.complete(o, &ord, msg, herr, st) })
	if err != nil {
		e.log.Error("recording the order's outcome failed; it runs again at the next start", "order_id", ord.ID,
			"access_id", ord.AccessID, "err", err)
		return
	}
	if herr != nil && cerr == nil { // a refused customer check is logged by the check
		e.logHookFailure(&ord, herr)
	}
	e.finished(ord, start)
}

// begin is execute's first transaction: it re-reads the order and, unless
// the order may no longer run (refusal: why; "-" when another run took
// it), moves it to IN_PROGRESS and returns the hook's input. An order that
// is refused, or a DEACTIVATE of a service already gone, is finished
// here. It sets everything afresh each time it runs (see Orders.Batch).
func (e *Engine) begin(o *store.OrderTx, ord *store.Order, st *Settings) (in HookInput, refusal string, err error) {
	cur, err := o.Order(ord.ID)
	if err != nil {
		return in, "", err
	}
	if cur.State != store.Received {
		return in, "-", nil // someone else ran or cancelled it
	}
	*ord = cur
	rec, err := o.Access(ord.AccessID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		refusal = fmt.Sprintf("access '%s' no longer exists", ord.AccessID)
	case err != nil:
		return in, "", err
	case ord.Operation == store.Activate:
		v, err := e.check(o, ord.AccessID, ord.Service, ord.Owner, ord.ID)
		if err != nil {
			return in, "", err
		}
		if !v.OK() {
			refusal = v.Cause
		}
	case ord.Operation == store.Deactivate:
		if _, err := o.ServiceBySubscription(ord.SubscriptionID); errors.Is(err, store.ErrNotFound) {
			// Already gone: nothing to provision.
			ord.State = store.DoneSuccess
			return in, "", o.UpdateOrder(ord)
		}
	}
	if refusal != "" {
		ord.State, ord.Message = store.DoneFailed, refusal
		return in, refusal, o.UpdateOrder(ord)
	}
	ord.State = store.InProgress
	ord.Attempts++
	if err := o.UpdateOrder(ord); err != nil {
		return in, "", err
	}
	return e.hookInput(ord, &rec, st), "", nil
}

// logHookFailure logs a failed hook once. The hook's own words (stderr)
// stay in the order: they may carry data the log must not.
func (e *Engine) logHookFailure(ord *store.Order, herr error) {
	var he *HookError
	if errors.As(herr, &he) && he.Err != nil {
		e.log.Warn("activation hook failed", "order_id", ord.ID, "access_id", ord.AccessID, "service", ord.Service,
			"operation", ord.Operation, "result", he.Err)
		return
	}
	e.log.Warn("activation hook failed", "order_id", ord.ID, "access_id", ord.AccessID, "err", herr)
}

func (e *Engine) finished(ord store.Order, start time.Time) {
	e.log.Info("order done", "order_id", ord.ID, "access_id", ord.AccessID, "service", ord.Service, "operation", ord.Operation,
		"owner", ord.Owner, "state", ord.State, "took", time.Since(start).Round(time.Millisecond))
	if e.observe != nil {
		e.observe(ord, time.Since(start))
	}
}

// complete records a hook's outcome (ord is updated in place).
func (e *Engine) complete(o *store.OrderTx, ord *store.Order, msg string, herr error, st *Settings) error {
	cur, err := o.Order(ord.ID)
	if err != nil {
		return err
	}
	*ord = cur
	if herr != nil {
		var he *HookError
		ord.State, ord.Message = store.DoneFailed, herr.Error()
		if errors.As(herr, &he) {
			ord.Message = he.Message
		}
		return o.UpdateOrder(ord)
	}
	if err := e.serviceDone(o, ord, msg, st); err != nil {
		return err
	}
	ord.State, ord.Message = store.DoneSuccess, ""
	return o.UpdateOrder(ord)
}

// serviceDone starts the service an ACTIVATE made, or ends the one a
// DEACTIVATE ends.
func (e *Engine) serviceDone(o *store.OrderTx, ord *store.Order, msg string, st *Settings) error {
	switch ord.Operation {
	case store.Activate:
		today := e.cal.Today(o.Now())
		svc, _ := st.Catalog.Get(ord.Service)
		s := store.Service{SubscriptionID: ord.SubscriptionID, AccessID: ord.AccessID, UID: ord.Service, Name: svc.Name,
			Type: svc.Type, Owner: ord.Owner, Origin: ord.Channel, Activated: today.String(), Message: msg,
			SPReference: ord.SPReference, SPSubscriptionID: ord.SPSubscriptionID, Equipment: ord.Equipment, CustomerRef: ord.CustomerRef,
			OrderID: ord.ID, Since: o.Now()}
		if s.Name == "" {
			s.Name = ord.Service
		}
		if svc.CommitmentMonths > 0 {
			s.Commitment = addMonths(today, svc.CommitmentMonths).String()
		}
		if err := o.PutService(&s); err != nil {
			return err
		}
	case store.Deactivate:
		if err := o.EndService(ord.SubscriptionID, ord.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
	}
	return nil
}

func (e *Engine) hookInput(ord *store.Order, rec *store.AccessRecord, st *Settings) HookInput {
	svc, _ := st.Catalog.Get(ord.Service)
	in := HookInput{
		Order: ord.ID, Operation: ord.Operation, AccessID: ord.AccessID, Service: ord.Service, ServiceName: svc.Name,
		ServiceType: svc.Type, SubscriptionID: ord.SubscriptionID, Owner: ord.Owner, Channel: ord.Channel, Date: ord.Date,
		SPReference: ord.SPReference, Equipment: ord.Equipment, Atlas: ord.Atlas, CustomerRef: ord.CustomerRef,
		Customer: ord.Customer, Option82: rec.Option82, IPv4CircuitID: rec.DHCPIdentifier.IPv4CircuitID,
		IPv4RemoteID: rec.DHCPIdentifier.IPv4RemoteID, Outlet: rec.Outlet, Attempt: ord.Attempts,
	}
	if in.Equipment == nil {
		in.Equipment = []store.Equipment{}
	}
	return in
}

// ParseDate parses an ISO date YYYY-MM-DD and gives the instant it begins
// locally.
func (e *Engine) ParseDate(s string) (inventory.Date, time.Time, bool) {
	d, ok := inventory.ParseDate(s)
	if !ok {
		return inventory.Date{}, time.Time{}, false
	}
	return d, e.Midnight(d), true
}
