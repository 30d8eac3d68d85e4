package upstream_test

import (
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/stadsnat/accessd/cmd/accessd/internal/upstream"
	"github.com/stadsnat/accessd/cmd/accessd/internal/upstream/atlasportal/portaltest"
	"github.com/stadsnat/accessd/cmd/internal/config"
	"github.com/stadsnat/accessd/store"
)

// portalRig is a rig with the Atlas portal (in-process, for the fake
// clock of a synctest bubble).
func portalRig(t *testing.T) (*rig, *portaltest.Portal) {
	t.Helper()
	portal := portaltest.New(portaltest.Options{Location: mustStockholm(t)})
	c := upstream.Config{Upstream: config.Upstream{AtlasPortal: config.AtlasPortal{
		URL: portal.BaseURL(), APIUser: "1234", APIKeyFile: writeFile(t, "atlas.key", "test-api-key\n"),
		PollInterval: config.Duration(time.Minute), CustomerData: config.CustomerNone, Timeout: config.Duration(30 * time.Second),
	}}}
	return newRig(t, c, upstream.WithHTTPClient(portal.Client())), portal
}

func mustStockholm(t *testing.T) *time.Location {
	loc, err := time.LoadLocation("Europe/Stockholm")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// TestPortalThroughADayOfOutage: the uplink is down for a simulated day
// (503 for twelve hours, refused connections for twelve more) while
// orders are read from the portal, placed directly through the
// activation API and run by the real order engine over the real store.
// When it returns the portal's statuses end exactly as the local orders',
// each transition sent once and in order, one local order per portal
// order.
func TestPortalThroughADayOfOutage(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r, portal := portalRig(t)
		r.f.Hook.Fail = map[string]string{"AB2": "hook exited 3: no link on ge-0/0/2"}
		add := func(id int, socket, date string) {
			portal.AddOrder(portaltest.Order{ID: id, Socket: socket, ServiceUID: "BB100100", Date: date})
		}
		add(1, "AB1", "")
		add(2, "AB2", r.localDate(1)) // runs, and fails, during the outage
		add(3, "AB3", r.localDate(3)) // due after the outage
		r.start()
		defer r.stop()
		time.Sleep(10 * time.Minute)
		synctest.Wait()
		if diff := cmp.Diff([]string{"new>received", "received>active", "active>delivered"}, transitionsOf(portal, 1)); diff != "" {
			t.Fatalf("order 1 before the outage (-want +got):\n%s", diff)
		}

		portal.SetUplink(portaltest.Unavailable)
		time.Sleep(time.Hour)
		add(4, "AB4", "")
		add(5, "AB5", "")
		r.placeDirect("4", "AB4", r.localDate(1)) // Tjänsteguiden's service_order, for tomorrow
		r.placeDirect("5", "AB5", "")             // direct: Atlas marks it delivered itself
		portal.SetStatus(5, "delivered")
		add(6, "AB6", "") // an end customer orders; accessd cannot see it yet
		time.Sleep(11 * time.Hour)
		portal.SetUplink(portaltest.Refusing)
		time.Sleep(12 * time.Hour)
		synctest.Wait()
		u := upstreamStatus(t, r)
		if s := u.Sinks[0]; s.Lag == 0 || s.OldestAgeSeconds < 20*3600 || s.Failing == 0 || !strings.Contains(s.LastError, "connection refused") {
			t.Errorf("the portal's sink at the end of the outage: %+v", s)
		}

		portal.SetUplink(portaltest.Up)
		time.Sleep(3 * 24 * time.Hour) // order 3's date passes
		synctest.Wait()
		checkPortalAsLocal(t, r, portal)
		if s := upstreamStatus(t, r).Sinks[0]; s.Lag != 0 || s.Parked != 0 || s.Paused || s.Failing != 0 {
			t.Errorf("the sink after the outage: %+v", s)
		}
		if n := strings.Count(r.log.String(), "level=WARN"); n > 6 {
			t.Errorf("%d warnings for one outage", n)
		}
		if strings.Contains(r.log.String(), "test-api-key") {
			t.Error("the API key is in the log")
		}
	})
}

func transitionsOf(p *portaltest.Portal, id int) []string {
	var out []string
	for _, tr := range p.Transitions() {
		if tr.Order == id {
			out = append(out, tr.From+">"+tr.To)
		}
	}
	return out
}

// portalStatusOf is the portal status a local order's state stands for.
func portalStatusOf(o store.Order, now time.Time) string {
	switch o.State {
	case store.DoneSuccess:
		return "delivered"
	case store.DoneFailed:
		return "cancelled"
	case store.InProgress:
		return "active"
	}
	if o.Due.After(now) {
		return "waiting"
	}
	return "received"
}

func checkPortalAsLocal(t *testing.T, r *rig, portal *portaltest.Portal) {
	t.Helper()
	want, perPortal := map[int]string{}, map[string]int{}
	for _, o := range r.orders() {
		if o.Atlas == nil || o.Atlas.Order == "" {
			continue
		}
		var id int
		for _, c := range o.Atlas.Order {
			id = id*10 + int(c-'0')
		}
		want[id] = portalStatusOf(o, time.Now())
		perPortal[o.Atlas.Order]++
	}
	if diff := cmp.Diff(want, portal.Statuses()); diff != "" {
		t.Errorf("portal statuses against the local orders (-local +portal):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]int{"1": 1, "2": 1, "3": 1, "4": 1, "5": 1, "6": 1}, perPortal); diff != "" {
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
	for _, tr := range portal.Transitions() {
		gotTr[tr.Order] = append(gotTr[tr.Order], tr.From+">"+tr.To)
	}
	if diff := cmp.Diff(wantTr, gotTr); diff != "" {
		t.Errorf("transitions, each once and in order (-want +got):\n%s", diff)
	}
	if len(portal.Repeats()) != 0 || len(portal.Refusals()) != 0 {
		t.Errorf("repeats %v, refusals %v", portal.Repeats(), portal.Refusals())
	}
	wantMsg := []portaltest.Message{{Order: 2, APIUser: "1234", Type: "error", Text: "accessd: hook exited 3: no link on ge-0/0/2"}}
	if diff := cmp.Diff(wantMsg, portal.Messages()); diff != "" {
		t.Errorf("messages (-want +got):\n%s", diff)
	}
}
