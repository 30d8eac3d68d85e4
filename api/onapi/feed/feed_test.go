package feed_test

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stadsnat/accessd/api"
	"github.com/stadsnat/accessd/api/activation/acttest"
	"github.com/stadsnat/accessd/api/internal/apitest"
	"github.com/stadsnat/accessd/api/onapi"
	"github.com/stadsnat/accessd/api/onapi/feed"
	"github.com/stadsnat/accessd/api/orders"
	"github.com/stadsnat/accessd/internal/testkit"
	"github.com/stadsnat/accessd/store"
)

// t0 is 14:00 in Stockholm on 31 March 2026 (summer time, UTC+2).
var t0 = time.Date(2026, 3, 31, 12, 0, 0, 0, time.UTC)

type fixture struct {
	*acttest.Fixture
	h http.Handler
}

// newFixture is the standard inventory plus A6, activatable from 1 April,
// and A7, whose inventory says IPTV cannot be delivered; requests come a
// second after the import.
func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := acttest.New(t, acttest.NewClock(t0))
	a6 := acttest.Access("A6", "10.0.0.1 ge-0/0/6")
	a6.Activatable = "2026-04-01"
	a7 := acttest.Access("A7", "10.0.0.1 ge-0/0/7")
	a7.IPTV = false
	if _, err := f.DB.Inventory().Import([]store.Incoming{{Access: a6}, {Access: a7}}, store.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	h := api.New(api.Options{Log: log, Users: []api.User{
		{Name: "sp", Password: "pw", APIs: []string{"pi-api", "on-api"}},
		{Name: "other", Password: "pw", APIs: []string{"pi-api", "on-api"}},
	}},
		onapi.New(onapi.Deps{DB: f.DB, Now: f.Clock.Now, Loc: f.Loc}),
		orders.New(orders.Deps{Engine: f.Engine, DB: f.DB}),
		feed.New(feed.Deps{DB: f.DB, Engine: f.Engine, Loc: f.Loc}),
	)
	fx := &fixture{Fixture: f, h: h}
	fx.tick(time.Second)
	return fx
}

func (f *fixture) tick(d time.Duration) { f.Clock.Set(f.Clock.Now().Add(d)) }

func (f *fixture) do(t *testing.T, user, method, path, body string, hdr ...string) (*http.Response, string) {
	t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.SetBasicAuth(user, "pw")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	return apitest.Serve(f.h, req)
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	testkit.Golden(t, filepath.Join("testdata", name+".golden"), got)
}

const activateA1 = `{"accessId": "A1", "service": "BB100100", "operation": "ACTIVATE",
  "equipment": [{"vendorId": "ACME-ROUTER", "macAddress": "aa:bb:cc:11:22:33"}],
  "spReference": "a6cc5da980034948ba654ae6ceda03f4", "spSubscriptionId": "d02925f0083b4f64993b365accfbb1ac"}`

// services/ and services/{accessId}: what the caller may order, as the rule
// engine answers it; If-Modified-Since answers what changed, another
// provider's order included.
func TestServices(t *testing.T) {
	f := newFixture(t)
	for _, c := range []struct{ name, path string }{
		{"services_A1", "/onapi/2.6/services/A1"},
		{"services_A6_not_activatable_yet", "/onapi/2.6/services/A6"},
		{"services_A7_no_iptv", "/onapi/2.6/services/A7"},
		{"services_unknown_access", "/onapi/2.6/services/NOPE"},
		{"services_all", "/onapi/2.6/services/"},
	} {
		_, got := f.do(t, "sp", "GET", c.path, "")
		golden(t, c.name, got)
	}
	resp, _ := f.do(t, "sp", "GET", "/onapi/2.6/services/", "")
	lm := resp.Header.Get("Last-Modified")
	_, got := f.do(t, "sp", "GET", "/onapi/2.6/services/", "", "If-Modified-Since", lm)
	golden(t, "services_not_modified", got)
	// Another provider orders broadband on A1: A1's answer changed for sp.
	f.tick(time.Minute)
	if resp, got := f.do(t, "other", "POST", "/onapi/2.6/orders/", strings.ReplaceAll(activateA1, "ACME", "OTHER")); resp.StatusCode != 201 {
		t.Fatal(got)
	}
	f.tick(time.Second)
	_, got = f.do(t, "sp", "GET", "/onapi/2.6/services/", "", "If-Modified-Since", lm)
	golden(t, "services_changed_by_another_order", got)
	// A future If-Modified-Since is invalid: the full answer (RFC 9110).
	if resp, _ := f.do(t, "sp", "GET", "/onapi/2.6/services/", "", "If-Modified-Since", "Sat, 01 Sep 2040 00:00:00 GMT"); resp.StatusCode != 200 {
		t.Errorf("future If-Modified-Since: %s", resp.Status)
	}
}

// subscriptions/: the caller's active services, from the order engine.
func TestSubscriptions(t *testing.T) {
	f := newFixture(t)
	resp, got := f.do(t, "sp", "POST", "/onapi/2.6/orders/", activateA1)
	if resp.StatusCode != 201 {
		t.Fatal(got)
	}
	f.RunDue(t)
	f.tick(time.Second)
	for _, c := range []struct{ name, user, path string }{
		{"subscriptions_all", "sp", "/onapi/2.6/subscriptions/"},
		{"subscriptions_of_access", "sp", "/onapi/2.6/subscriptions/A1"},
		{"subscriptions_one", "sp", "/onapi/2.6/subscriptions/0002"},
		{"subscriptions_one_of_another", "other", "/onapi/2.6/subscriptions/0002"},
		{"subscriptions_of_access_none", "other", "/onapi/2.6/subscriptions/A1"},
		{"subscriptions_all_none", "other", "/onapi/2.6/subscriptions/"},
	} {
		_, got := f.do(t, c.user, "GET", c.path, "")
		golden(t, c.name, got)
	}
	resp, _ = f.do(t, "sp", "GET", "/onapi/2.6/subscriptions/", "")
	lm := resp.Header.Get("Last-Modified")
	_, got = f.do(t, "sp", "GET", "/onapi/2.6/subscriptions/", "", "If-Modified-Since", lm)
	golden(t, "subscriptions_not_modified", got)
	// It ends: A1 comes with an empty list.
	f.tick(time.Minute)
	if resp, got := f.do(t, "sp", "POST", "/onapi/2.6/orders/", `{"operation": "DEACTIVATE", "subscriptionId": "0002"}`); resp.StatusCode != 201 {
		t.Fatal(got)
	}
	f.RunDue(t)
	f.tick(time.Second)
	_, got = f.do(t, "sp", "GET", "/onapi/2.6/subscriptions/", "", "If-Modified-Since", lm)
	golden(t, "subscriptions_ended", got)
}

// events/: accesses for everyone, orders and subscriptions for their
// owner, the current second omitted, 304 when nothing changed.
func TestEvents(t *testing.T) {
	f := newFixture(t)
	resp, got := f.do(t, "sp", "GET", "/onapi/2.6/events/", "")
	golden(t, "events_all", got)
	lm := resp.Header.Get("Last-Modified")
	_, got = f.do(t, "sp", "GET", "/onapi/2.6/events/", "", "If-Modified-Since", lm)
	golden(t, "events_not_modified", got)
	f.tick(time.Minute)
	if resp, got := f.do(t, "sp", "POST", "/onapi/2.6/orders/", activateA1); resp.StatusCode != 201 {
		t.Fatal(got)
	}
	f.RunDue(t)
	if err := f.DB.Inventory().RemoveAccess("A5"); err != nil {
		t.Fatal(err)
	}
	// In the same second: omitted.
	_, got = f.do(t, "sp", "GET", "/onapi/2.6/events/", "", "If-Modified-Since", lm)
	golden(t, "events_current_second_omitted", got)
	f.tick(time.Second)
	_, got = f.do(t, "sp", "GET", "/onapi/2.6/events/", "", "If-Modified-Since", lm)
	golden(t, "events_since", got)
	_, got = f.do(t, "other", "GET", "/onapi/2.6/events/", "", "If-Modified-Since", lm)
	golden(t, "events_since_of_another", got)
}

// The endpoint list names services, subscriptions and events now that
// they are served.
func TestEndpointList(t *testing.T) {
	f := newFixture(t)
	_, got := f.do(t, "sp", "GET", "/onapi/2.6/", "")
	golden(t, "endpoints", got)
}

// The clock test: local midnight in Stockholm, when A6 becomes
// activatable, is a change: a new Last-Modified for accesses/ and
// services/, an UPDATE in events/, and the old If-Modified-Since gets 200
// with A6 CONNECTED.
func TestLocalMidnight(t *testing.T) {
	f := newFixture(t)
	f.Clock.Set(time.Date(2026, 3, 31, 21, 59, 59, 0, time.UTC)) // 23:59:59 in Stockholm
	paths := []string{"/onapi/2.6/accesses/", "/onapi/2.6/services/", "/onapi/2.6/events/"}
	lms := map[string]string{}
	for _, p := range paths {
		resp, _ := f.do(t, "sp", "GET", p, "")
		lms[p] = resp.Header.Get("Last-Modified")
		if resp, _ := f.do(t, "sp", "GET", p, "", "If-Modified-Since", lms[p]); resp.StatusCode != http.StatusNotModified {
			t.Errorf("%s before midnight, nothing changed: %s", p, resp.Status)
		}
	}
	_, got := f.do(t, "sp", "GET", "/onapi/2.6/accesses/A6", "")
	if !strings.Contains(got, `"accessState":"DEPLOYING"`) {
		t.Errorf("A6 before its date:\n%s", got)
	}
	f.Clock.Set(time.Date(2026, 3, 31, 22, 0, 1, 0, time.UTC)) // 00:00:01 on 1 April
	for _, p := range paths {
		resp, got := f.do(t, "sp", "GET", p, "", "If-Modified-Since", lms[p])
		if resp.StatusCode != http.StatusOK {
			t.Errorf("%s after local midnight with the old If-Modified-Since: %s", p, resp.Status)
		}
		if lm := resp.Header.Get("Last-Modified"); lm != "Tue, 31 Mar 2026 22:00:00 GMT" {
			t.Errorf("%s Last-Modified %q, want local midnight", p, lm)
		}
		golden(t, "midnight_"+strings.Trim(strings.TrimPrefix(p, "/onapi/2.6/"), "/"), got)
	}
	_, got = f.do(t, "sp", "GET", "/onapi/2.6/accesses/A6", "")
	if !strings.Contains(got, `"accessState":"CONNECTED"`) {
		t.Errorf("A6 on its date:\n%s", got)
	}
}
