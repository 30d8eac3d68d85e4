package atlasportal_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/stadsnat/accessd/cmd/accessd/internal/upstream/atlasportal"
	"github.com/stadsnat/accessd/cmd/accessd/internal/upstream/atlasportal/localtest"
	"github.com/stadsnat/accessd/cmd/accessd/internal/upstream/atlasportal/portaltest"
)

// TestOrderFollowed: an order read from the portal is placed, and the
// portal's status follows the local order, each transition once.
func TestOrderFollowed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t, rigOptions{})
		r.portal.AddOrder(portaltest.Order{ID: 1, Socket: "AB1", ServiceUID: "BB100"})
		r.portal.AddOrder(portaltest.Order{ID: 2, Socket: "AB2", ServiceUID: "BB100", Date: r.localDate(2)})
		r.start()
		time.Sleep(time.Hour)
		synctest.Wait()
		if diff := cmp.Diff([]string{"new>received", "received>active", "active>delivered"}, r.transitions(1)); diff != "" {
			t.Errorf("order 1 (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]string{"new>received", "received>waiting"}, r.transitions(2)); diff != "" {
			t.Errorf("order 2 before its date (-want +got):\n%s", diff)
		}
		time.Sleep(72 * time.Hour)
		synctest.Wait()
		r.stop()
		if diff := cmp.Diff([]string{"new>received", "received>waiting", "waiting>active", "active>delivered"}, r.transitions(2)); diff != "" {
			t.Errorf("order 2 after its date (-want +got):\n%s", diff)
		}
		if len(r.portal.Repeats()) != 0 || len(r.portal.Refusals()) != 0 {
			t.Errorf("repeats %v, refusals %v", r.portal.Repeats(), r.portal.Refusals())
		}
		if diff := cmp.Diff(map[string]int{"1": 1, "2": 1}, r.localByPortal()); diff != "" {
			t.Errorf("local orders (-want +got):\n%s", diff)
		}
		if got := r.portal.Calls("order_info"); got != 2 {
			t.Errorf("order_info called %d times over 73 hours of polls, want once per order", got)
		}
		if s := r.portalState(t, "1"); s.Outcome != atlasportal.OutcomePlaced || s.Portal != atlasportal.StatusDelivered || !s.ReadIn {
			t.Errorf("state of 1: %+v", s)
		}
	})
}

// TestFailureCancels: a failed activation cancels the portal order and
// says why with add_message type error; a refused order too.
func TestFailureCancels(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t, rigOptions{})
		r.portal.AddOrder(portaltest.Order{ID: 1, Socket: "AB1", ServiceUID: "BB100"})
		r.portal.AddOrder(portaltest.Order{ID: 2, Socket: "NOPE", ServiceUID: "BB100"})
		r.engine.Activate = func(localtest.Order) error { return errors.New("hook exited 3: port ge-0/0/1 is down") }
		r.engine.Refuse = func(o atlasportal.PortalOrder) string {
			if o.Socket == "NOPE" {
				return "access NOPE is not in the inventory"
			}
			return ""
		}
		r.start()
		time.Sleep(time.Hour)
		synctest.Wait()
		r.stop()
		if diff := cmp.Diff([]string{"new>received", "received>active", "active>cancelled"}, r.transitions(1)); diff != "" {
			t.Errorf("order 1 (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]string{"new>cancelled"}, r.transitions(2)); diff != "" {
			t.Errorf("order 2 (-want +got):\n%s", diff)
		}
		want := []portaltest.Message{
			{Order: 2, APIUser: "1234", Type: "error", Text: "accessd refused the order: access NOPE is not in the inventory"},
			{Order: 1, APIUser: "1234", Type: "error", Text: "accessd: hook exited 3: port ge-0/0/1 is down"},
		}
		got := r.portal.Messages()
		if len(got) == 2 && got[0].Order == 1 {
			got[0], got[1] = got[1], got[0]
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("messages (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(map[string]int{"1": 1}, r.localByPortal()); diff != "" {
			t.Errorf("local orders (-want +got):\n%s", diff)
		}
	})
}

// TestDirectActivationLinked: an order placed through the activation API
// (service_order with the portal's order id) and delivered on the portal
// is linked when read: one order, never two, and no status sent back.
func TestDirectActivationLinked(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t, rigOptions{})
		r.portal.AddOrder(portaltest.Order{ID: 7, Socket: "AB7", ServiceUID: "BB100"})
		r.portal.AddOrder(portaltest.Order{ID: 8, Status: "delivered", Socket: "AB8", ServiceUID: "BB100"})
		// Tjänsteguiden calls service_order; accessd activates; Atlas marks
		// the order delivered.
		if _, err := r.engine.PlaceDirect(context.Background(), "7", "AB7", "BB100", time.Time{}); err != nil {
			t.Fatal(err)
		}
		r.portal.SetStatus(7, "delivered")
		r.start()
		time.Sleep(time.Hour)
		synctest.Wait()
		r.stop()
		if diff := cmp.Diff(map[string]int{"7": 1}, r.localByPortal()); diff != "" {
			t.Errorf("local orders (-want +got):\n%s", diff)
		}
		if tr := r.portal.Transitions(); len(tr) != 0 {
			t.Errorf("statuses sent for delivered orders: %v", tr)
		}
		s7, s8 := r.portalState(t, "7"), r.portalState(t, "8")
		if s7.Outcome != atlasportal.OutcomeDirect || s7.LocalOrder != "local-1" || s7.Portal != atlasportal.StatusDelivered {
			t.Errorf("order 7: %+v", s7)
		}
		if s8.Outcome != atlasportal.OutcomeElsewhere || s8.LocalOrder != "" {
			t.Errorf("order 8: %+v", s8)
		}
		if st := r.p.Follower.Status(); st.Outcomes[atlasportal.OutcomeDirect] != 1 || st.Outcomes[atlasportal.OutcomeElsewhere] != 1 {
			t.Errorf("follower status %+v", st)
		}
	})
}

// TestDirectActivationNotYetDelivered: an activation API order for a
// later date, read while the portal shows it new, is linked, not placed
// again, and its status follows the local order.
func TestDirectActivationNotYetDelivered(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t, rigOptions{})
		r.portal.AddOrder(portaltest.Order{ID: 9, Socket: "AB9", ServiceUID: "BB100"})
		due := time.Now().Add(30 * time.Hour)
		if _, err := r.engine.PlaceDirect(context.Background(), "9", "AB9", "BB100", due); err != nil {
			t.Fatal(err)
		}
		r.start()
		time.Sleep(48 * time.Hour)
		synctest.Wait()
		r.stop()
		if diff := cmp.Diff(map[string]int{"9": 1}, r.localByPortal()); diff != "" {
			t.Errorf("local orders (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]string{"new>received", "received>waiting", "waiting>active", "active>delivered"}, r.transitions(9)); diff != "" {
			t.Errorf("order 9 (-want +got):\n%s", diff)
		}
		if s := r.portalState(t, "9"); s.Outcome != atlasportal.OutcomeLinked {
			t.Errorf("state %+v", s)
		}
	})
}

// TestOverlapAndLastCheck: polls read from the last complete poll's date
// less a day; a listed order is read once; the last check waits for every
// listed order to be read in.
func TestOverlapAndLastCheck(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var failInfo atomic.Bool
		r := newRig(t, rigOptions{wrap: func(next http.RoundTripper) http.RoundTripper {
			return roundTripFunc(func(req *http.Request) (*http.Response, error) {
				q := req.URL.Query()
				if failInfo.Load() && q.Get("method") == "order_info" && q.Get("id") == "3" {
					rec := httptest.NewRecorder()
					rec.WriteHeader(http.StatusBadGateway)
					return rec.Result(), nil
				}
				return next.RoundTrip(req)
			})
		}})
		ctx := context.Background()
		r.portal.AddOrder(portaltest.Order{ID: 1, Socket: "AB1", ServiceUID: "BB100", Created: time.Now().Add(-24 * time.Hour)})
		r.portal.AddOrder(portaltest.Order{ID: 2, Socket: "AB2", ServiceUID: "BB100", Created: time.Now().Add(-72 * time.Hour)})
		if err := r.p.Follower.Poll(ctx); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(map[string]int{"1": 1}, r.localByPortal()); diff != "" {
			t.Errorf("first poll reads from yesterday (-want +got):\n%s", diff)
		}
		today := r.localDate(0)
		if last, _ := r.state.LastCheck(ctx); last != today {
			t.Errorf("last check %q, want %s", last, today)
		}
		failInfo.Store(true)
		r.portal.AddOrder(portaltest.Order{ID: 3, Socket: "AB3", ServiceUID: "BB100"})
		time.Sleep(48 * time.Hour)
		err := r.p.Follower.Poll(ctx)
		if err == nil || !strings.Contains(err.Error(), "order 3") || !strings.Contains(err.Error(), "502") {
			t.Fatalf("poll with order 3 failing: %v", err)
		}
		if last, _ := r.state.LastCheck(ctx); last != today {
			t.Errorf("last check moved to %q past an order not read in", last)
		}
		failInfo.Store(false)
		if err := r.p.Follower.Poll(ctx); err != nil {
			t.Fatal(err)
		}
		if last, _ := r.state.LastCheck(ctx); last != r.localDate(0) {
			t.Errorf("last check %q after a complete poll", last)
		}
		if diff := cmp.Diff(map[string]int{"1": 1, "3": 1}, r.localByPortal()); diff != "" {
			t.Errorf("local orders (-want +got):\n%s", diff)
		}
		// 1 once, 3 failing once then once: the overlap never re-reads 1.
		if got := r.portal.Calls("order_info"); got != 2 {
			t.Errorf("order_info calls %d, want 2 (the failing one never reached the portal)", got)
		}
		if st := r.p.Follower.Status(); st.LastError != "" || st.ReadIn != 2 {
			t.Errorf("status %+v", st)
		}
	})
}

// TestStatusShowsTheLastCompleteCheck: `accessctl upstream` shows the
// date of the last complete poll as soon as the first poll completes, and
// keeps it while a later poll fails.
func TestStatusShowsTheLastCompleteCheck(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var fail atomic.Bool
		r := newRig(t, rigOptions{wrap: func(next http.RoundTripper) http.RoundTripper {
			return roundTripFunc(func(req *http.Request) (*http.Response, error) {
				if fail.Load() && req.URL.Query().Get("method") == "orders" {
					rec := httptest.NewRecorder()
					rec.WriteHeader(http.StatusServiceUnavailable)
					return rec.Result(), nil
				}
				return next.RoundTrip(req)
			})
		}})
		ctx := context.Background()
		if got := r.p.Follower.Status().LastCheck; got != "" {
			t.Errorf("last check %q before any poll", got)
		}
		if err := r.p.Follower.Poll(ctx); err != nil {
			t.Fatal(err)
		}
		first := r.localDate(0)
		if got := r.p.Follower.Status().LastCheck; got != first {
			t.Errorf("last check %q after the first complete poll, want %s", got, first)
		}
		time.Sleep(24 * time.Hour)
		fail.Store(true)
		if err := r.p.Follower.Poll(ctx); err == nil {
			t.Fatal("a poll whose orders call fails succeeded")
		}
		if got := r.p.Follower.Status().LastCheck; got != first {
			t.Errorf("last check %q after a failed poll, want the last complete one %s", got, first)
		}
		fail.Store(false)
		if err := r.p.Follower.Poll(ctx); err != nil {
			t.Fatal(err)
		}
		if got, want := r.p.Follower.Status().LastCheck, r.localDate(0); got != want || got == first {
			t.Errorf("last check %q after the next complete poll, want %s", got, want)
		}
	})
}

// TestCustomerPolicy: customer_info is read only under store, handed to
// the engine, and never logged.
func TestCustomerPolicy(t *testing.T) {
	for _, policy := range []atlasportal.CustomerPolicy{atlasportal.CustomerStore, atlasportal.CustomerAnonymous, atlasportal.CustomerNone} {
		t.Run(string(policy), func(t *testing.T) {
			r := newRig(t, rigOptions{policy: policy})
			r.portal.AddOrder(portaltest.Order{ID: 1, Socket: "AB1", ServiceUID: "BB100", CustomerID: 77})
			r.portal.AddCustomer(portaltest.Customer{ID: 77, FirstName: "Åsa", Surname: "Öberg", Email: "asa@example.se",
				Address: "Storgatan 1", Zip: "41101", City: "Göteborg", Phone: "0701234567"})
			if err := r.p.Follower.Poll(context.Background()); err != nil {
				t.Fatal(err)
			}
			orders := r.engine.Orders()
			if len(orders) != 1 {
				t.Fatalf("%d orders", len(orders))
			}
			calls := r.portal.Calls("customer_info")
			if policy == atlasportal.CustomerStore {
				if calls != 1 || orders[0].Customer == nil || orders[0].Customer.Email != "asa@example.se" || orders[0].Customer.Zip != "41101" {
					t.Errorf("customer_info calls %d, customer handed over: %v", calls, orders[0].Customer != nil)
				}
			} else if calls != 0 || orders[0].Customer != nil {
				t.Errorf("customer_info calls %d under %s", calls, policy)
			}
			for _, pd := range []string{"Åsa", "Öberg", "asa@example", "Storgatan", "0701234567"} {
				if strings.Contains(r.log.String(), pd) {
					t.Errorf("personal data %q in the log", pd)
				}
			}
		})
	}
}

// TestUnreadableFlagged: an order_info without what A8 requires is
// flagged on the portal with add_message type error and not retried.
func TestUnreadableFlagged(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t, rigOptions{})
		r.portal.AddOrder(portaltest.Order{ID: 5, ServiceUID: "BB100"}) // no socket
		r.start()
		time.Sleep(time.Hour)
		synctest.Wait()
		r.stop()
		msgs := r.portal.Messages()
		if len(msgs) != 1 || msgs[0].Type != "error" || !strings.Contains(msgs[0].Text, "accessd could not read the order") ||
			!strings.Contains(msgs[0].Text, "<response><order><socket> is empty") {
			t.Errorf("messages %+v", msgs)
		}
		if len(r.portal.Transitions()) != 0 || len(r.engine.Orders()) != 0 {
			t.Errorf("an unreadable order changed something: %v", r.portal.Transitions())
		}
		if s := r.portalState(t, "5"); s.Outcome != atlasportal.OutcomeUnreadable || !s.ReadIn {
			t.Errorf("state %+v", s)
		}
		if n := r.portal.Calls("order_info"); n != 1 {
			t.Errorf("order_info calls %d: want one read, never again", n)
		}
	})
}

// TestAlreadyActive: an order for a service already active on the access
// is delivered on the portal without a local order.
func TestAlreadyActive(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t, rigOptions{})
		r.portal.AddOrder(portaltest.Order{ID: 1, Socket: "AB1", ServiceUID: "BB100"})
		r.start()
		time.Sleep(time.Hour)
		synctest.Wait()
		r.portal.AddOrder(portaltest.Order{ID: 2, Socket: "AB1", ServiceUID: "BB100"})
		time.Sleep(time.Hour)
		synctest.Wait()
		r.stop()
		if diff := cmp.Diff([]string{"new>delivered"}, r.transitions(2)); diff != "" {
			t.Errorf("order 2 (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(map[string]int{"1": 1}, r.localByPortal()); diff != "" {
			t.Errorf("local orders (-want +got):\n%s", diff)
		}
	})
}
