package orders_test

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stadsnat/accessd/api"
	"github.com/stadsnat/accessd/api/activation"
	"github.com/stadsnat/accessd/api/activation/acttest"
	"github.com/stadsnat/accessd/api/atlas"
	"github.com/stadsnat/accessd/api/internal/apitest"
	"github.com/stadsnat/accessd/api/onapi"
	"github.com/stadsnat/accessd/api/onapi/feed"
	"github.com/stadsnat/accessd/api/orders"
	"github.com/stadsnat/accessd/api/piapi"
	"github.com/stadsnat/accessd/store"
)

// everywhere is a router with every API that answers "can S be
// delivered on A": Atlas, PI-API 2.2 and 2.3, ON-API. The caller "sp" may
// use both PI-API versions; Atlas's API user is "atlas".
type everywhere struct {
	*acttest.Fixture
	h http.Handler
}

// newEverywhere is the standard inventory plus A6 (activatable from 3
// March), A7 (the inventory says no IPTV) and A8 (sellable from 3
// March); A5's port runs at 10 Mbit/s.
func newEverywhere(t *testing.T) *everywhere {
	t.Helper()
	f := acttest.New(t, acttest.NewClock(time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)), func(o *activation.Options) {
		o.Ports = acttest.Ports{"A5": {SpeedMbps: 10, Up: true}}
	})
	a6, a7, a8 := acttest.Access("A6", "10.0.0.1 ge-0/0/6"), acttest.Access("A7", "10.0.0.1 ge-0/0/7"), acttest.Access("A8", "10.0.0.1 ge-0/0/8")
	a6.Activatable, a7.IPTV, a8.Sellable = "2026-03-03", false, "2026-03-03"
	a6.CPECapacityMbps = 1000
	if _, err := f.DB.Inventory().Import([]store.Incoming{{Access: a6}, {Access: a7}, {Access: a8}}, store.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	at, err := atlas.New(atlas.Config{APIUser: "atlas", APIKey: "k", AllowedIPs: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}},
		f.Engine, nil, nil, log)
	if err != nil {
		t.Fatal(err)
	}
	o := orders.New(orders.Deps{Engine: f.Engine, DB: f.DB})
	h := api.New(api.Options{Log: log, Users: []api.User{
		{Name: "sp", Password: "pw", APIs: []string{"pi-api", "on-api"}, CustomerData: "none"},
		{Name: "other", Password: "pw", APIs: []string{"pi-api", "on-api"}},
	}},
		piapi.New(piapi.Deps{DB: f.DB, Engine: f.Engine, Active: o.Active}), o,
		onapi.New(onapi.Deps{DB: f.DB, Now: f.Clock.Now, Loc: f.Loc}),
		feed.New(feed.Deps{DB: f.DB, Engine: f.Engine, Loc: f.Loc}), at)
	return &everywhere{Fixture: f, h: h}
}

// call is one request of a rule's story.
type call struct{ title, user, method, target, body string }

// atlasCall is an Atlas API call with its parameters.
func atlasCall(title string, params ...string) call {
	q := url.Values{"api_user": {"atlas"}, "api_key": {"k"}}
	for i := 0; i+1 < len(params); i += 2 {
		q.Set(params[i], params[i+1])
	}
	return call{title: title, method: "GET", target: "/atlas/api?" + q.Encode()}
}

const customer22 = `"customer": {"firstName": "", "lastName": "", "socialSecurityNumber": "", "email": "", "phone": "", "mobilePhone": ""},
 "deliveryAddress": {"streetName": "", "streetNumber": "", "streetLittera": "", "zipCode": "", "city": ""}`

// asked is the same question through every API: availability, Atlas's
// service_deliverable and an ACTIVATE in PI-API 2.2, 2.3 and ON-API.
func asked(access, service string) []call {
	act := fmt.Sprintf(`{"accessId": %q, "service": %q, "operation": "ACTIVATE", "forcedTakeover": false`, access, service)
	return []call{
		atlasCall("Atlas service_deliverable", "method", "service_deliverable", "socket", access, "service_uid", service, "origin", "customer"),
		{"PI-API 2.2 availability", "sp", "GET", "/api/2.2/accesses/" + access, ""},
		{"PI-API 2.3 availability", "sp", "GET", "/api/2.3/accesses/" + access, ""},
		{"ON-API services", "sp", "GET", "/onapi/2.6/services/" + access, ""},
		{"PI-API 2.2 ACTIVATE", "sp", "POST", "/api/2.2/orders/", act + ", " + customer22 + "}"},
		{"PI-API 2.3 ACTIVATE", "sp", "POST", "/api/2.3/orders/", act + "}"},
		{"ON-API ACTIVATE", "sp", "POST", "/onapi/2.6/orders/", act + "}"},
		atlasCall("Atlas service_order", "method", "service_order", "socket", access, "service_uid", service, "date", "2026-03-02",
			"origin", "customer"),
	}
}

// story runs calls in order and renders each answer under its title, as
// one golden file per rule.
func (e *everywhere) story(t *testing.T, name string, calls []call) {
	t.Helper()
	var b strings.Builder
	for _, c := range calls {
		req := httptest.NewRequest(c.method, c.target, strings.NewReader(c.body))
		req.RemoteAddr = "127.0.0.1:4000"
		if c.user != "" {
			req.SetBasicAuth(c.user, "pw")
		}
		_, got := apitest.Serve(e.h, req)
		fmt.Fprintf(&b, "### %s: %s %s\n%s\n", c.title, c.method, c.target, got)
	}
	golden(t, "rule_"+name, b.String())
}

// Seed 003's Activatable ("before then they are hidden and cannot be
// ordered") and its Sellable, the inventory's iptv (CSV 1.1) and the
// port's speed, through every API: refused with the same reason, never
// scheduled for the date.
func TestRuleGoldensInventoryFacts(t *testing.T) {
	for _, c := range []struct{ name, access, service string }{
		{"not_activatable_yet", "A6", "BB100100"},
		{"not_sellable_yet", "A8", "BB100100"},
		{"no_iptv_in_the_inventory", "A7", "IPTV"},
		{"port_too_slow_by_snmp", "A5", "BB100100"},
		{"deliverable", "A1", "BB100100"},
	} {
		e := newEverywhere(t)
		e.story(t, c.name, asked(c.access, c.service))
	}
}

// Atlas port_status from the inventory when DHCP and SNMP know nothing:
// <dhcpoption> is the option 82 of the inventory's circuit and
// <cpecapacity> the inventory's cpeCapacity, in Mbit/s as the seed's
// example; <serviceport> the Activatable date.
func TestRuleGoldensPortStatus(t *testing.T) {
	e := newEverywhere(t)
	e.story(t, "port_status_from_the_inventory", []call{atlasCall("Atlas port_status", "method", "port_status", "socket", "A6")})
}

// Another provider's service of the type is a conflict in every API
// (400 in PI-API, 409 in ON-API per responses.md, 400 naming it in
// Atlas); the caller's own is no obstacle to ordering it again.
func TestRuleGoldensClaims(t *testing.T) {
	e := newEverywhere(t)
	if r, err := e.Engine.Place(activation.Request{Owner: "other", Channel: "on-api-2.6", AccessID: "A2", Service: "BB100100",
		Operation: store.Activate}); err != nil || r.Outcome != activation.Created {
		t.Fatal(r, err)
	}
	e.RunDue(t)
	e.story(t, "claimed_by_another_provider", asked("A2", "BB100100"))

	e = newEverywhere(t)
	if _, err := e.Engine.Place(activation.Request{Owner: "sp", Channel: "pi-api-2.3", AccessID: "A1", Service: "IPTV",
		Operation: store.Activate}); err != nil {
		t.Fatal(err)
	}
	e.RunDue(t)
	e.story(t, "own_active_service", asked("A1", "IPTV")[1:7])
}

// Issue 11 item 2: a DEACTIVATE while the ACTIVATE is still to be carried
// out answers with that order (service_activation.md and responses.md:
// "the service already has an active order"), an ACTIVATE while a
// DEACTIVATE is pending likewise, and DONE_SUCCESS only when the service
// really is inactive.
func TestRuleGoldensPendingOrders(t *testing.T) {
	e := newEverywhere(t)
	act := `{"accessId": "A1", "service": "BB100100", "operation": "ACTIVATE", "forcedTakeover": false}`
	deact := `{"accessId": "A1", "service": "BB100100", "operation": "DEACTIVATE"}`
	e.story(t, "deactivate_while_activating", []call{
		{"PI-API 2.3 ACTIVATE", "sp", "POST", "/api/2.3/orders/", act},
		{"PI-API 2.3 DEACTIVATE", "sp", "POST", "/api/2.3/orders/", deact},
		{"PI-API 2.2 DEACTIVATE", "sp", "POST", "/api/2.2/orders/", deact},
		{"ON-API DEACTIVATE", "sp", "POST", "/onapi/2.6/orders/", deact},
		{"ON-API DEACTIVATE of its subscription", "sp", "POST", "/onapi/2.6/orders/", `{"operation": "DEACTIVATE", "subscriptionId": "0002"}`},
	})
	e.RunDue(t)
	e.Clock.Set(e.Clock.Now().Add(time.Minute))
	later := `{"accessId": "A1", "service": "BB100100", "operation": "DEACTIVATE", "requestedDateTime": "2026-04-01T00:00:00Z"}`
	e.story(t, "activate_while_deactivating", []call{
		{"ON-API DEACTIVATE for 1 April", "sp", "POST", "/onapi/2.6/orders/", later},
		{"PI-API 2.3 ACTIVATE", "sp", "POST", "/api/2.3/orders/", act},
		{"ON-API ACTIVATE", "sp", "POST", "/onapi/2.6/orders/", act},
		{"PI-API 2.3 availability", "sp", "GET", "/api/2.3/accesses/A1", ""},
	})
}

// Atlas's service_deactivate while its activation is being carried out
// follows it: the service ends inactive, not active (issue 11 item 2).
func TestAtlasDeactivateWhileActivating(t *testing.T) {
	e := newEverywhere(t)
	r, err := e.Engine.Place(activation.Request{Owner: activation.OwnerAtlas, Channel: "atlas", AccessID: "A1", Service: "IPTV",
		Operation: store.Activate})
	if err != nil {
		t.Fatal(err)
	}
	// Caught IN_PROGRESS, as while the hook runs.
	errs := e.DB.Orders().Batch([]func(*store.OrderTx) error{func(o *store.OrderTx) error {
		ord, err := o.Order(r.Order.ID)
		if err != nil {
			return err
		}
		ord.State = store.InProgress
		return o.UpdateOrder(&ord)
	}})
	if errs[0] != nil {
		t.Fatal(errs[0])
	}
	e.story(t, "atlas_deactivate_while_activating", []call{
		atlasCall("Atlas service_deactivate", "method", "service_deactivate", "socket", "A1", "service_uid", "IPTV", "date", "2026-03-02"),
	})
	e.RunDue(t) // the interrupted activation runs again, then the deactivation
	var left []store.Service
	e.DB.Orders().View(func(o *store.OrderTx) error { left, err = o.Services("A1"); return err })
	if len(left) != 0 || err != nil {
		t.Errorf("after the deactivation that followed the activation, A1 has %+v (%v)", left, err)
	}
}

// Who may end whose service: Atlas only what Atlas ordered (520 for a
// service provider's), a provider only its own (another's is, for it,
// not active: DONE_SUCCESS, and the service stays). A service_order
// repeated after a failed one answers 594, as the README promises.
func TestRuleGoldensOwnershipAndRepeats(t *testing.T) {
	e := newEverywhere(t)
	if _, err := e.Engine.Place(activation.Request{Owner: "sp", Channel: "pi-api-2.3", AccessID: "A2", Service: "IPTV",
		Operation: store.Activate}); err != nil {
		t.Fatal(err)
	}
	e.RunDue(t)
	e.Hook.Fail = map[string]string{"A1": "the switch refused the VLAN"}
	e.story(t, "ownership", []call{
		atlasCall("Atlas service_deactivate of a provider's service", "method", "service_deactivate", "socket", "A2", "service_uid", "IPTV",
			"date", "2026-03-02"),
		{"PI-API 2.3 DEACTIVATE by another provider", "other", "POST", "/api/2.3/orders/",
			`{"accessId": "A2", "service": "IPTV", "operation": "DEACTIVATE"}`},
		{"PI-API 2.3 availability: still active", "sp", "GET", "/api/2.3/accesses/A2", ""},
	})
	order := atlasCall("Atlas service_order", "method", "service_order", "socket", "A1", "service_uid", "IPTV", "date", "2026-03-02",
		"origin", "service provider")
	e.story(t, "first_service_order", []call{order})
	e.RunDue(t)
	order.title = "Atlas service_order again, after it failed"
	e.story(t, "repeated_service_order_after_failure", []call{order})
}
