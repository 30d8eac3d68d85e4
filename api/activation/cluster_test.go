package activation_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/stadsnat/accessd/api/activation"
	"github.com/stadsnat/accessd/api/activation/acttest"
	"github.com/stadsnat/accessd/store"
)

// Two instances of a hub: the one that placed an order (a) leaves it to
// the queue; the other (b) takes it, runs it once and reports; a records
// the outcome, service included. Neither write of b's taking nor a's
// recording is handed to the hooks as its own (Remote).
func TestOrderAcrossInstances(t *testing.T) {
	queue := func(o *activation.Options) { o.Queue = true }
	a, b := acttest.New(t, nil, queue), acttest.New(t, nil, queue)
	var remote []bool
	hooks := store.ChangeHooks{Order: func(x *store.OutboxTx, c store.OrderChange) error {
		remote = append(remote, c.Remote)
		return nil
	}}
	b.DB.Outbox().SetHooksFor("cluster", hooks)
	a.DB.Outbox().SetHooksFor("cluster", hooks)
	r, err := a.Engine.Place(activation.Request{Owner: "sp", Channel: "pi-api-2.3", AccessID: "A1", Service: "BB100100",
		Operation: store.Activate})
	if err != nil || r.Outcome != activation.Created {
		t.Fatalf("Place: %+v %v", r, err)
	}
	if diff := cmp.Diff([]bool{false}, remote); diff != "" {
		t.Errorf("placing: remote (-want +got):\n%s", diff)
	}
	remote = nil
	taken, err := b.Engine.TakeOrder(r.Order)
	if err != nil || taken.State != store.Received {
		t.Fatalf("TakeOrder: %+v %v", taken, err)
	}
	again, err := b.Engine.TakeOrder(r.Order)
	if err != nil || again.Seq != taken.Seq {
		t.Fatalf("TakeOrder again: %+v %v", again, err)
	}
	done, err := b.Engine.RunOrder(t.Context(), taken.ID)
	if err != nil || done.State != store.DoneSuccess {
		t.Fatalf("RunOrder: %+v %v", done, err)
	}
	if _, err := b.Engine.RunOrder(t.Context(), taken.ID); err != nil {
		t.Fatalf("RunOrder of a finished order: %v", err)
	}
	if got := b.Hook.Called(); len(got) != 1 {
		t.Errorf("hook ran %d times: %v", len(got), got)
	}
	// taken (remote), IN_PROGRESS and DONE_SUCCESS (b's own).
	if diff := cmp.Diff([]bool{true, false, false}, remote); diff != "" {
		t.Errorf("running: remote (-want +got):\n%s", diff)
	}
	remote = nil
	var known bool
	errs := a.DB.Orders().Batch([]func(*store.OrderTx) error{func(o *store.OrderTx) error {
		var err error
		known, err = a.Engine.ApplyOutcome(o, activation.RemoteOutcome{OrderID: done.ID, State: store.DoneSuccess, Attempts: 1})
		return err
	}})
	if errs[0] != nil || !known {
		t.Fatalf("ApplyOutcome: %v %v", errs[0], known)
	}
	if diff := cmp.Diff([]bool{true}, remote); diff != "" {
		t.Errorf("recording: remote (-want +got):\n%s", diff)
	}
	if got := servicesOf(t, a, "A1"); len(got) != 1 {
		t.Errorf("services at the instance that placed it: %v", got)
	}
	if got := a.Hook.Called(); len(got) != 0 {
		t.Errorf("the hook ran where the order was placed: %v", got)
	}
	// A third instance that never saw the order records it from the
	// outcome that carries it; one without it skips the outcome.
	c := acttest.New(t, nil, queue)
	ord := done
	ord.Customer = nil
	errs = c.DB.Orders().Batch([]func(*store.OrderTx) error{func(o *store.OrderTx) error {
		if known, err := c.Engine.ApplyOutcome(o, activation.RemoteOutcome{OrderID: "nope", State: store.DoneFailed}); err != nil || known {
			t.Errorf("unknown order without its content: %v %v", known, err)
		}
		_, err := c.Engine.ApplyOutcome(o, activation.RemoteOutcome{OrderID: done.ID, State: store.DoneSuccess, Order: &ord})
		return err
	}})
	if errs[0] != nil {
		t.Fatal(errs[0])
	}
	if got := servicesOf(t, c, "A1"); len(got) != 1 {
		t.Errorf("services at the third instance: %v", got)
	}
}
