package atlasportal_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/stadsnat/accessd/cmd/accessd/internal/upstream/atlasportal"
	"github.com/stadsnat/accessd/cmd/accessd/internal/upstream/atlasportal/localtest"
	"github.com/stadsnat/accessd/cmd/accessd/internal/upstream/atlasportal/portaltest"
	"github.com/stadsnat/accessd/cmd/accessd/internal/upstream/outbox"
)

// portalStatusOf is the portal status a local order's state stands for.
func portalStatusOf(o localtest.Order, now time.Time) string {
	switch o.State {
	case atlasportal.LocalDone:
		return "delivered"
	case atlasportal.LocalFailed:
		return "cancelled"
	case atlasportal.LocalInProgress:
		return "active"
	}
	if o.Due.After(now) {
		return "waiting"
	}
	return "received"
}

// TestUplinkDownForADay: the uplink is down for a simulated day — the
// portal answers 503 for twelve hours, then connections are refused for
// twelve more — while orders are placed and move through their states.
// When it returns, the portal's statuses end exactly as the local orders',
// every transition sent once and in order, nothing refused, nothing
// repeated.
func TestUplinkDownForADay(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		r := newRig(t, rigOptions{})
		start := time.Now()
		r.engine.Activate = func(o localtest.Order) error {
			if o.AccessID == "AB2" {
				return errors.New("hook exited 3: no link on ge-0/0/2")
			}
			return nil
		}
		add := func(id int, socket, date string) {
			r.portal.AddOrder(portaltest.Order{ID: id, Socket: socket, ServiceUID: "BB100100", Date: date})
		}
		// Before the outage: three orders read in.
		add(1, "AB1", "")
		add(2, "AB2", r.localDate(1)) // runs, and fails, during the outage
		add(3, "AB3", r.localDate(3)) // due after the outage
		r.start()
		defer r.stop()
		time.Sleep(10 * time.Minute)
		synctest.Wait()
		if diff := cmp.Diff([]string{"new>received", "received>active", "active>delivered"}, r.transitions(1)); diff != "" {
			t.Fatalf("order 1 before the outage (-want +got):\n%s", diff)
		}

		dayOfOutage(t, r)

		// The uplink returns.
		r.portal.SetUplink(portaltest.Up)
		time.Sleep(3 * 24 * time.Hour) // order 3's date passes
		synctest.Wait()

		checkPortalAsLocal(t, r)
		s, _ := r.runner.Status(ctx)
		if s.Lag != 0 || s.Parked != 0 || s.Paused || s.Failing != 0 || s.LastSuccess.Sub(start) < 24*time.Hour {
			t.Errorf("runner status after the outage: %+v", s)
		}
		// The sink backed off: at most one attempt per 2.5 minutes after
		// the ramp, not a busy loop.
		if n := r.portal.Calls("api_login") + r.portal.Calls("set_status"); n > 700 {
			t.Errorf("%d calls reached the portal", n)
		}
		log := r.log.String()
		if n := strings.Count(log, "level=WARN"); n > 4 {
			t.Errorf("%d warnings for one outage", n)
		}
		if strings.Contains(log, "test-api-key") {
			t.Error("the API key is in the log")
		}
	})
}

// TestUplinkDownRealSocket: the same path over a real loopback HTTP
// connection, with an outage of real (short) time: 503s, then dropped
// connections, then recovery; every transition once, in order.
func TestUplinkDownRealSocket(t *testing.T) {
	r := newRig(t, rigOptions{socket: true, backoff: outbox.Backoff{Initial: 5 * time.Millisecond, Max: 50 * time.Millisecond}})
	r.engine.ActivationTime = 0
	r.portal.AddOrder(portaltest.Order{ID: 1, Socket: "AB1", ServiceUID: "BB100100"})
	r.portal.SetUplink(portaltest.Unavailable)
	r.start()
	defer r.stop()
	if _, err := r.engine.PlaceDirect(context.Background(), "1", "AB1", "BB100100", time.Time{}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	r.portal.SetUplink(portaltest.Refusing)
	time.Sleep(300 * time.Millisecond)
	if n := len(r.portal.Transitions()); n != 0 {
		t.Fatalf("%d transitions while down", n)
	}
	r.portal.SetUplink(portaltest.Up)
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if st, _ := r.runner.Status(context.Background()); st.Lag == 0 && st.Delivered == 3 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if diff := cmp.Diff([]string{"new>received", "received>active", "active>delivered"}, r.transitions(1)); diff != "" {
		t.Errorf("transitions (-want +got):\n%s", diff)
	}
	if len(r.portal.Repeats()) != 0 || len(r.portal.Refusals()) != 0 {
		t.Errorf("repeats %v, refusals %v", r.portal.Repeats(), r.portal.Refusals())
	}
	if st, _ := r.runner.Status(context.Background()); st.Delivered != 3 || st.Failures["transient"] == 0 {
		t.Errorf("runner %+v", st)
	}
}

// dayOfOutage takes the portal down for 24 hours (503, then refused
// connections) while orders are placed and run.
func dayOfOutage(t *testing.T, r *rig) {
	ctx := context.Background()
	add := func(id int, socket, date string) {
		r.portal.AddOrder(portaltest.Order{ID: id, Socket: socket, ServiceUID: "BB100100", Date: date})
	}
	// The outage.
	r.portal.SetUplink(portaltest.Unavailable)
	time.Sleep(time.Hour)
	// Tjänsteguiden's activation API orders reach accessd locally: 4 is
	// for six hours later, 5 is direct and Atlas marks it delivered.
	add(4, "AB4", "")
	add(5, "AB5", "")
	if _, err := r.engine.PlaceDirect(ctx, "4", "AB4", "BB100100", time.Now().Add(6*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := r.engine.PlaceDirect(ctx, "5", "AB5", "BB100100", time.Time{}); err != nil {
		t.Fatal(err)
	}
	r.portal.SetStatus(5, "delivered")
	// An end customer orders in Tjänsteguiden; accessd cannot see it yet.
	add(6, "AB6", "")
	time.Sleep(11 * time.Hour)
	r.portal.SetUplink(portaltest.Refusing)
	time.Sleep(12 * time.Hour)
	synctest.Wait()

	s, err := r.runner.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if s.Lag == 0 || s.OldestAge < 20*time.Hour || s.Failing == 0 || !strings.Contains(s.LastError, "connection refused") {
		t.Errorf("runner status at the end of the outage: %+v", s)
	}
	if n := len(r.portal.Transitions()); n != 3+2+2 { // order 1; 2 and 3 received and waiting
		t.Errorf("%d transitions reached the portal while it was down", n)
	}
}

// checkPortalAsLocal compares the portal with the local orders: statuses,
// one local order per portal order, each transition once and in order.
func checkPortalAsLocal(t *testing.T, r *rig) {
	now := time.Now()
	want := map[int]string{}
	for _, o := range r.engine.Orders() {
		id, _ := strconv.Atoi(o.PortalOrderID)
		want[id] = portalStatusOf(o, now)
	}
	if diff := cmp.Diff(want, r.portal.Statuses()); diff != "" {
		t.Errorf("portal statuses against the local orders (-local +portal):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]int{"1": 1, "2": 1, "3": 1, "4": 1, "5": 1, "6": 1}, r.localByPortal()); diff != "" {
		t.Errorf("local orders per portal order (-want +got):\n%s", diff)
	}
	wantTr := map[int][]string{
		1: {"new>received", "received>active", "active>delivered"},
		2: {"new>received", "received>waiting", "waiting>active", "active>cancelled"},
		3: {"new>received", "received>waiting", "waiting>active", "active>delivered"},
		4: {"new>received", "received>waiting", "waiting>active", "active>delivered"},
		6: {"new>received", "received>active", "active>delivered"},
	}
	gotTr := map[int][]string{}
	for _, tr := range r.portal.Transitions() {
		gotTr[tr.Order] = append(gotTr[tr.Order], tr.From+">"+tr.To)
	}
	if diff := cmp.Diff(wantTr, gotTr); diff != "" {
		t.Errorf("transitions, each once and in order (-want +got):\n%s", diff)
	}
	if len(r.portal.Repeats()) != 0 || len(r.portal.Refusals()) != 0 {
		t.Errorf("repeats %v, refusals %v", r.portal.Repeats(), r.portal.Refusals())
	}
	wantMsg := []portaltest.Message{{Order: 2, APIUser: "1234", Type: "error", Text: "accessd: hook exited 3: no link on ge-0/0/2"}}
	if diff := cmp.Diff(wantMsg, r.portal.Messages()); diff != "" {
		t.Errorf("messages (-want +got):\n%s", diff)
	}
}
