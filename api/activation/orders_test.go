package activation_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/stadsnat/accessd/api/activation"
	"github.com/stadsnat/accessd/api/activation/acttest"
	"github.com/stadsnat/accessd/store"
)

// runDue runs the scheduler until every due order is done.
func runDue(t *testing.T, f *acttest.Fixture) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.Engine.Run(ctx, func() {}) }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var open int
		f.DB.Orders().View(func(o *store.OrderTx) error {
			due, _ := o.Due(f.Clock.Now(), 0)
			prog, _ := o.InProgress()
			open = len(due) + len(prog)
			return nil
		})
		if open == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("due orders still open after 10s")
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func services(t *testing.T, f *acttest.Fixture, access string) []string {
	t.Helper()
	var out []string
	f.DB.Orders().View(func(o *store.OrderTx) error {
		ss, err := o.Services(access)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range ss {
			out = append(out, fmt.Sprintf("%s %s %s act=%s commit=%s rel=%s", s.UID, s.Owner, s.SubscriptionID, s.Activated, s.Commitment, s.Release))
		}
		return nil
	})
	return out
}

func TestPlaceOutcomes(t *testing.T) {
	f := acttest.New(t, acttest.NewClock(t0))
	act := activation.Request{Owner: "sp", Channel: "pi-api-2.3", AccessID: "A1", Service: "BB100100", Operation: store.Activate,
		SPReference: "ref-1"}
	r := place(t, f, act)
	if r.Outcome != activation.Created || r.Order.ID != "0001" || r.Order.State != store.Received || r.Order.SubscriptionID != "0002" {
		t.Fatalf("first ACTIVATE: %+v", r)
	}
	// The service has an open order: that order comes back.
	r = place(t, f, act)
	if r.Outcome != activation.Existing || r.Order.ID != "0001" {
		t.Fatalf("second ACTIVATE while the first is open: %+v", r)
	}
	// Another provider wants the type: refused while the first is open.
	r = place(t, f, activation.Request{Owner: "other", Channel: "on-api-2.6", AccessID: "A1", Service: "BB1000", Operation: store.Activate})
	if r.Outcome != activation.Refused || r.Verdict.Code != 400 || !r.Verdict.OtherOwner {
		t.Fatalf("other provider's ACTIVATE: %+v", r)
	}
	runDue(t, f)
	if diff := cmp.Diff([]string{"BB100100 sp 0002 act=2026-03-02 commit=2027-03-02 rel="}, services(t, f, "A1")); diff != "" {
		t.Errorf("A1's services (-want +got):\n%s", diff)
	}
	// Already active: DONE_SUCCESS without an order.
	if r = place(t, f, act); r.Outcome != activation.AlreadyDone {
		t.Fatalf("ACTIVATE of an active service: %+v", r)
	}
	// DEACTIVATE of what the caller does not have: DONE_SUCCESS at once.
	if r = place(t, f, activation.Request{Owner: "other", Channel: "x", AccessID: "A1", Service: "BB100100", Operation: store.Deactivate}); r.Outcome != activation.AlreadyDone {
		t.Fatalf("DEACTIVATE of another's service: %+v", r)
	}
	r = place(t, f, activation.Request{Owner: "sp", Channel: "x", AccessID: "A1", Service: "BB100100", Operation: store.Deactivate})
	if r.Outcome != activation.Created || r.Order.SubscriptionID != "0002" {
		t.Fatalf("DEACTIVATE: %+v", r)
	}
	deact := r.Order.ID
	runDue(t, f)
	if got := services(t, f, "A1"); len(got) != 0 {
		t.Errorf("after DEACTIVATE A1 still has %v", got)
	}
	if diff := cmp.Diff([]string{"0001 ACTIVATE A1 BB100100", deact + " DEACTIVATE A1 BB100100"}, f.Hook.Called()); diff != "" {
		t.Errorf("hook runs (-want +got):\n%s", diff)
	}
	// Unknown access, unknown service: refused.
	if r = place(t, f, activation.Request{Owner: "sp", Channel: "x", AccessID: "ZZ", Service: "BB100100", Operation: store.Activate}); r.Verdict.Code != 404 {
		t.Errorf("unknown access: %+v", r)
	}
	if r = place(t, f, activation.Request{Owner: "sp", Channel: "x", AccessID: "A1", Service: "ZZ", Operation: store.Activate}); r.Verdict.Code != 500 {
		t.Errorf("unknown service: %+v", r)
	}
	if _, err := f.Engine.Place(activation.Request{Owner: "sp", Channel: "x", AccessID: "A1", Service: "X", Operation: "SUSPEND"}); err == nil {
		t.Error("operation SUSPEND accepted")
	}
}

// An Atlas order is idempotent on its key, even when it is already done.
func TestPlaceIdempotentKey(t *testing.T) {
	f := acttest.New(t, acttest.NewClock(t0))
	req := activation.Request{Owner: activation.OwnerAtlas, Channel: "atlas", AccessID: "A1", Service: "IPTV", Operation: store.Activate,
		Key: "12345\x00A1\x00IPTV", Atlas: &store.AtlasRef{Order: "12345", Customer: "123", Origin: "customer"}}
	first := place(t, f, req)
	runDue(t, f)
	again := place(t, f, req)
	if again.Outcome != activation.Existing || again.Order.ID != first.Order.ID || again.Order.State != store.DoneSuccess {
		t.Errorf("the same order again: %+v, want the first (%s) back, done", again, first.Order.ID)
	}
	if n := len(f.Hook.Called()); n != 1 {
		t.Errorf("hook ran %d times, want once", n)
	}
}

// A failing hook fails the order with its message, and the order event
// feed has it.
func TestHookFailureFailsOrder(t *testing.T) {
	f := acttest.New(t, acttest.NewClock(t0))
	f.Hook.Fail = map[string]string{"A2": "switch refused the VLAN"}
	r := place(t, f, activation.Request{Owner: "sp", Channel: "x", AccessID: "A2", Service: "BB100100", Operation: store.Activate})
	runDue(t, f)
	ord, err := f.Engine.Order(r.Order.ID)
	if err != nil {
		t.Fatal(err)
	}
	if ord.State != store.DoneFailed || ord.Message != "switch refused the VLAN" {
		t.Errorf("order after a failing hook: %s %q", ord.State, ord.Message)
	}
	if got := services(t, f, "A2"); len(got) != 0 {
		t.Errorf("failed activation left services %v", got)
	}
	f.DB.Orders().View(func(o *store.OrderTx) error {
		evs, _ := o.OrderEvents("sp", store.FeedDone, 0, 0)
		if len(evs) != 1 || evs[0].State != store.DoneFailed || evs[0].Message != "switch refused the VLAN" {
			t.Errorf("feed: %+v", evs)
		}
		return nil
	})
}

// Many orders placed at once are each stored once, through shared commits.
func TestPlaceConcurrent(t *testing.T) {
	f := acttest.New(t, acttest.NewClock(t0))
	var wg sync.WaitGroup
	results := make([]activation.Result, 200)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			owner := fmt.Sprintf("sp%d", i%50)
			res, err := f.Engine.Place(activation.Request{Owner: owner, Channel: "x", AccessID: "A1", Service: "IPTV",
				Operation: store.Activate, Key: fmt.Sprintf("k%d", i)})
			if err != nil {
				t.Error(err)
			}
			results[i] = res
		}()
	}
	wg.Wait()
	created := 0
	for _, r := range results {
		if r.Outcome == activation.Created {
			created++
		}
	}
	// IPTV allows two per access: the first provider's one or two orders
	// win, every other provider is refused.
	if created < 1 || created > 2 {
		t.Errorf("%d orders created, want 1 or 2 (max_per_access 2, and only one provider may hold a type)", created)
	}
}
