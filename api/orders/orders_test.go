package orders_test

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/stadsnat/accessd/api"
	"github.com/stadsnat/accessd/api/activation/acttest"
	"github.com/stadsnat/accessd/api/cubit"
	"github.com/stadsnat/accessd/api/internal/apitest"
	"github.com/stadsnat/accessd/api/onapi"
	"github.com/stadsnat/accessd/api/orders"
	"github.com/stadsnat/accessd/api/piapi"
	"github.com/stadsnat/accessd/api/piv1"
	"github.com/stadsnat/accessd/internal/testkit"
	"github.com/stadsnat/accessd/store"
)

type fixture struct {
	*acttest.Fixture
	h http.Handler
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := acttest.New(t, acttest.NewClock(time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)))
	log := slog.New(slog.DiscardHandler)
	o := orders.New(orders.Deps{Engine: f.Engine, DB: f.DB})
	h := api.New(api.Options{
		Log: log,
		Users: []api.User{
			{Name: "sp", Password: "pw", APIs: []string{"pi-api", "on-api"}, CustomerData: "none"},
			{Name: "other", Password: "pw", APIs: []string{"pi-api", "on-api"}, CustomerData: "none"},
			{Name: "old", Password: "pw", APIs: []string{"pi-api"}, PIVersions: []string{"2.2"}, CustomerData: "store"},
			{Name: "anon", Password: "pw", APIs: []string{"pi-api"}, PIVersions: []string{"2.2"}, CustomerData: "anonymous"},
			{Name: "nodata", Password: "pw", APIs: []string{"pi-api"}, PIVersions: []string{"2.2"}, CustomerData: "none"},
		},
	},
		piv1.New(f.DB),
		piapi.New(piapi.Deps{DB: f.DB, Engine: f.Engine, Active: o.Active}),
		onapi.New(onapi.Deps{DB: f.DB, Now: f.Clock.Now, Loc: f.Loc}),
		cubit.New(cubit.Deps{DB: f.DB, Log: log}),
		o,
	)
	return &fixture{Fixture: f, h: h}
}

func (f *fixture) do(t *testing.T, user, method, path, body string) (*http.Response, string) {
	t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.SetBasicAuth(user, "pw")
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	return apitest.Serve(f.h, req)
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	testkit.Golden(t, filepath.Join("testdata", name+".golden"), got)
}

const activateA1 = `{"accessId": "A1", "service": "BB100100", "operation": "ACTIVATE", "forcedTakeover": false,
 "equipment": [{"vendorId": "CH_BROADBAND"}], "spReference": "WloKMvmArcCFiV679uhWpAAtNgyvHxma"}`

func TestPIAPIOrderFlow(t *testing.T) {
	f := newFixture(t)
	_, got := f.do(t, "sp", "POST", "/api/2.3/orders/", activateA1)
	golden(t, "pi_activate_created", got)
	_, got = f.do(t, "sp", "POST", "/api/2.3/orders/", activateA1)
	golden(t, "pi_activate_in_progress", got)
	_, got = f.do(t, "sp", "GET", "/api/2.3/orders/0001", "")
	golden(t, "pi_order_received", got)
	_, got = f.do(t, "other", "GET", "/api/2.3/orders/0001", "")
	golden(t, "pi_order_of_another_provider", got)
	_, got = f.do(t, "other", "POST", "/api/2.3/orders/", strings.ReplaceAll(activateA1, "BB100100", "BB1000"))
	golden(t, "pi_activate_claimed_by_other", got)
	_, got = f.do(t, "other", "GET", "/api/2.3/accesses/A1", "")
	golden(t, "pi_availability_taken_by_other", got)

	f.RunDue(t)
	_, got = f.do(t, "sp", "GET", "/api/2.3/orders/0001", "")
	golden(t, "pi_order_done", got)
	_, got = f.do(t, "sp", "POST", "/api/2.3/orders/", activateA1)
	golden(t, "pi_activate_already_active", got)
	_, got = f.do(t, "sp", "POST", "/api/2.3/orders/", strings.ReplaceAll(activateA1, "BB100100", "BB1000"))
	golden(t, "pi_activate_type_already_active", got)
	_, got = f.do(t, "sp", "GET", "/api/2.3/accesses/A1", "")
	golden(t, "pi_availability_active", got)
	_, got = f.do(t, "sp", "GET", "/api/2.3/services/", "")
	golden(t, "pi_services", got)

	// A failing activation, then a deactivation.
	f.Hook.Fail = map[string]string{"A2": "Port is too busy for you."}
	f.do(t, "sp", "POST", "/api/2.3/orders/", strings.ReplaceAll(activateA1, `"A1"`, `"A2"`))
	f.RunDue(t)
	_, got = f.do(t, "sp", "POST", "/api/2.3/orders/", `{"accessId": "A1", "service": "BB100100", "operation": "DEACTIVATE"}`)
	golden(t, "pi_deactivate_created", got)
	f.RunDue(t)
	_, got = f.do(t, "sp", "GET", "/api/2.3/orderevents/", "")
	golden(t, "pi_orderevents_all", got)
	var evs []struct{ Event string }
	_, body, _ := strings.Cut(got, "\n\n")
	if err := json.Unmarshal([]byte(body), &evs); err != nil || len(evs) != 3 {
		t.Fatalf("events: %v %v", evs, err)
	}
	if !(evs[0].Event < evs[1].Event && evs[1].Event < evs[2].Event) {
		t.Errorf("events not in ascending order: %v", evs)
	}
	_, got = f.do(t, "sp", "GET", "/api/2.3/orderevents/?since="+evs[0].Event, "")
	golden(t, "pi_orderevents_since", got)
	_, got = f.do(t, "sp", "GET", "/api/2.3/orderevents/?since="+evs[2].Event, "")
	golden(t, "pi_orderevents_since_last", got)
	_, got = f.do(t, "other", "GET", "/api/2.3/orderevents/?since="+evs[0].Event, "")
	golden(t, "pi_orderevents_since_of_another", got)
	_, got = f.do(t, "other", "GET", "/api/2.3/orderevents/", "")
	golden(t, "pi_orderevents_none", got)
	_, got = f.do(t, "sp", "POST", "/api/2.3/orders/", `{"accessId": "A1", "service": "BB100100", "operation": "DEACTIVATE"}`)
	golden(t, "pi_deactivate_already_inactive", got)
	_, got = f.do(t, "sp", "GET", "/api/2.3/services/", "")
	golden(t, "pi_services_none", got)
}

func TestPIAPIBadOrders(t *testing.T) {
	f := newFixture(t)
	tests := []struct{ name, user, body string }{
		{"pi_bad_json", "sp", `{"accessId": "A1",`},
		{"pi_bad_not_object", "sp", `[1,2]`},
		{"pi_bad_missing_service", "sp", `{"accessId": "A1", "operation": "ACTIVATE", "forcedTakeover": false}`},
		{"pi_bad_missing_forced_takeover", "sp", `{"accessId": "A1", "service": "BB100100", "operation": "ACTIVATE"}`},
		{"pi_bad_null", "sp", `{"accessId": "A1", "service": "BB100100", "operation": "ACTIVATE", "forcedTakeover": false, "spReference": null}`},
		{"pi_bad_operation", "sp", `{"accessId": "A1", "service": "BB100100", "operation": "SUSPEND"}`},
		{"pi_bad_access_id", "sp", `{"accessId": "A-1", "service": "BB100100", "operation": "DEACTIVATE"}`},
		{"pi_bad_unknown_access", "sp", `{"accessId": "A99", "service": "BB100100", "operation": "ACTIVATE", "forcedTakeover": false}`},
		{"pi_bad_unknown_service", "sp", `{"accessId": "A1", "service": "INTERNET_FLUGA", "operation": "ACTIVATE", "forcedTakeover": false}`},
		{"pi_bad_media", "sp", `{"accessId": "A3", "service": "BB100100", "operation": "ACTIVATE", "forcedTakeover": false}`},
		{"pi_bad_sp_reference_long", "sp", `{"accessId": "A1", "service": "BB100100", "operation": "ACTIVATE", "forcedTakeover": false, "spReference": "` + strings.Repeat("x", 256) + `"}`},
		{"pi_bad_unknown_field", "sp", `{"accessId": "A1", "service": "BB100100", "operation": "ACTIVATE", "forcedTakeover": false, "forcedTakover": true}`},
		{"pi_bad_customer_in_2.3", "sp", `{"accessId": "A1", "service": "BB100100", "operation": "ACTIVATE", "forcedTakeover": false, "customer": {}}`},
		{"pi_bad_equipment_mac", "sp", `{"accessId": "A1", "service": "BB100100", "operation": "ACTIVATE", "forcedTakeover": false, "equipment": [{"vendorId": "X", "macAddress": "nope"}]}`},
		{"pi_bad_forced_takeover_deactivate", "sp", `{"accessId": "A1", "service": "BB100100", "operation": "DEACTIVATE", "forcedTakeover": true}`},
		{"pi22_missing_customer", "old", `{"accessId": "A1", "service": "BB100100", "operation": "ACTIVATE", "forcedTakeover": false, "deliveryAddress": {}}`},
		{"pi22_missing_delivery_address", "old", `{"accessId": "A1", "service": "BB100100", "operation": "ACTIVATE", "forcedTakeover": false, "customer": {}}`},
		{"pi22_bad_ssn", "old", `{"accessId": "A1", "service": "BB100100", "operation": "ACTIVATE", "forcedTakeover": false,
			"customer": {"firstName": "Kalle", "lastName": "", "socialSecurityNumber": "19201231-7777", "email": "", "phone": "", "mobilePhone": ""},
			"deliveryAddress": {"streetName": "", "streetNumber": "", "streetLittera": "", "zipCode": "", "city": ""}}`},
	}
	for _, tt := range tests {
		// PI-API 2.2's rules are the URL's (misc.md), not the user's.
		path := "/api/2.3/orders/"
		if strings.HasPrefix(tt.name, "pi22_") {
			path = "/api/2.2/orders/"
		}
		_, got := f.do(t, tt.user, "POST", path, tt.body)
		golden(t, tt.name, got)
		if strings.Contains(got, "Kalle") || strings.Contains(got, "7777") {
			t.Errorf("%s: the answer repeats customer data:\n%s", tt.name, got)
		}
	}
}

const activate22 = `{"accessId": "%s", "service": "IPTV", "operation": "ACTIVATE", "forcedTakeover": false,
    "customer": {"firstName": "Kalle", "lastName": "Anka", "socialSecurityNumber": "192012317777",
        "email": "karl@ankeborg.se", "phone": "031-119119", "mobilePhone": ""},
    "deliveryAddress": {"smsNotificationPhone": "", "streetName": "Testvägen", "streetNumber": "100",
        "streetLittera": "", "zipCode": "10000", "city": "Ankeborg"},
    "equipment": [{"vendorId": "CH_BROADBAND"}]}`

// PI-API 2.2's customer data is kept as each provider's customer_data
// says, and never shows in an answer.
func TestPIAPI22CustomerData(t *testing.T) {
	f := newFixture(t)
	for _, x := range []struct{ user, access string }{{"old", "A1"}, {"anon", "A2"}, {"nodata", "A5"}} {
		resp, got := f.do(t, x.user, "POST", "/api/2.2/orders/", fmt.Sprintf(activate22, x.access))
		if resp.StatusCode != 201 || strings.Contains(got, "Kalle") {
			t.Fatalf("%s: %s", x.user, got)
		}
		if loc := resp.Header.Get("Location"); !strings.HasPrefix(loc, "/api/2.2/orders/") {
			t.Errorf("%s: Location %q", x.user, loc)
		}
	}
	f.RunDue(t)
	got := map[string]string{}
	f.DB.Orders().View(func(o *store.OrderTx) error {
		list, _ := o.Orders(store.OrderFilter{})
		for _, ord := range list {
			c := "no customer"
			if ord.Customer != nil {
				c = ord.Customer.FirstName + " " + ord.Customer.SocialSecurityNumber
			}
			got[ord.Owner] = c + " ref=" + ord.CustomerRef + " " + string(ord.State)
		}
		return nil
	})
	want := map[string]string{
		"old":    "Kalle 192012317777 ref= DONE_SUCCESS",
		"anon":   "no customer ref=anon-b0a3bbf830882c5c DONE_SUCCESS",
		"nodata": "no customer ref= DONE_SUCCESS",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("kept customer data (-want +got):\n%s", diff)
	}
	// The hook gets the stored customer only under "store".
	for _, c := range f.Hook.Calls {
		if (c.Customer != nil) != (c.Owner == "old") {
			t.Errorf("hook input of %s: customer %+v", c.Owner, c.Customer)
		}
	}
	// A 2.2 DEACTIVATE carries no customer.
	_, body := f.do(t, "old", "POST", "/api/2.2/orders/", `{"accessId": "A1", "service": "IPTV", "operation": "DEACTIVATE"}`)
	golden(t, "pi22_deactivate_created", body)
}

func TestONAPIOrderFlow(t *testing.T) {
	f := newFixture(t)
	_, got := f.do(t, "sp", "GET", "/onapi/2.6/", "")
	golden(t, "on_endpoints", got)
	act := `{"accessId": "A1", "service": "BB100100", "operation": "ACTIVATE", "forcedTakeover": false,
  "equipment": [{"vendorId": "ACME-ROUTER", "macAddress": "aa:bb:cc:11:22:33"}],
  "spReference": "a6cc5da980034948ba654ae6ceda03f4", "spSubscriptionId": "d02925f0083b4f64993b365accfbb1ac", "characteristics": null}`
	_, got = f.do(t, "sp", "POST", "/onapi/2.6/orders/", act)
	golden(t, "on_activate_created", got)
	_, got = f.do(t, "other", "POST", "/onapi/2.6/orders/", strings.ReplaceAll(act, "BB100100", "BB1000"))
	golden(t, "on_activate_conflict", got)
	later := `{"accessId": "A2", "service": "IPTV", "operation": "ACTIVATE", "requestedDateTime": "2026-04-01T00:00:00Z"}`
	_, got = f.do(t, "sp", "POST", "/onapi/2.6/orders/", later)
	golden(t, "on_activate_scheduled", got)
	_, got = f.do(t, "sp", "GET", "/onapi/2.6/orders/", "")
	golden(t, "on_orders_unfinished", got)
	_, got = f.do(t, "sp", "GET", "/onapi/2.6/orders/?accessId=A2", "")
	golden(t, "on_orders_of_access", got)
	f.RunDue(t)
	_, got = f.do(t, "sp", "GET", "/onapi/2.6/orders/?state=%22DONE_SUCCESS%22", "")
	golden(t, "on_orders_done", got)
	_, got = f.do(t, "sp", "DELETE", "/onapi/2.6/orders/0005", "")
	golden(t, "on_cancel", got)
	_, got = f.do(t, "sp", "DELETE", "/onapi/2.6/orders/0001", "")
	golden(t, "on_cancel_done_order", got)
	_, got = f.do(t, "sp", "POST", "/onapi/2.6/orders/", `{"operation": "DEACTIVATE", "subscriptionId": "0002"}`)
	golden(t, "on_deactivate_by_subscription", got)
	f.RunDue(t)
	_, got = f.do(t, "sp", "GET", "/onapi/2.6/orderevents/", "")
	golden(t, "on_orderevents", got)
	_, got = f.do(t, "sp", "POST", "/onapi/2.6/orders/", `{"operation": "SUSPEND", "subscriptionId": "0002"}`)
	golden(t, "on_unsupported_operation", got)
	_, got = f.do(t, "sp", "PUT", "/onapi/2.6/orders/0001", `{}`)
	golden(t, "on_put_not_implemented", got)
}

// PI-API knows no IN_PROGRESS: an order the hook is running is RECEIVED
// until it is done (PI-API 2.3 service_activation.md, "Hämtning av Order
// Status"), both when read and when ordered again. ON-API shows the state.
func TestPIAPIOrderInProgressIsReceived(t *testing.T) {
	f := newFixture(t)
	if resp, got := f.do(t, "sp", "POST", "/api/2.3/orders/", activateA1); resp.StatusCode != http.StatusCreated {
		t.Fatalf("order not created:\n%s", got)
	}
	errs := f.DB.Orders().Batch([]func(*store.OrderTx) error{func(o *store.OrderTx) error {
		ord, err := o.Order("0001")
		if err != nil {
			return err
		}
		ord.State = store.InProgress
		return o.UpdateOrder(&ord)
	}})
	if errs[0] != nil {
		t.Fatal(errs[0])
	}
	want := `{"path":"/api/2.3/orders/0001","accessId":"A1","service":"BB100100","operation":"ACTIVATE","state":"RECEIVED","message":""}` + "\n"
	for _, v := range []struct{ method, path, body string }{
		{"GET", "/api/2.3/orders/0001", ""},
		{"GET", "/api/2.2/orders/0001", ""},
		{"POST", "/api/2.3/orders/", activateA1},
	} {
		_, got := f.do(t, "sp", v.method, v.path, v.body)
		_, body, _ := strings.Cut(got, "\n\n")
		w := want
		if strings.HasPrefix(v.path, "/api/2.2/") {
			w = strings.Replace(want, "/api/2.3/", "/api/2.2/", 1)
		}
		if diff := cmp.Diff(w, body); diff != "" {
			t.Errorf("%s %s (-want +got):\n%s", v.method, v.path, diff)
		}
	}
	_, got := f.do(t, "sp", "GET", "/onapi/2.6/orders/0001", "")
	if !strings.Contains(got, `"state":"IN_PROGRESS"`) {
		t.Errorf("ON-API shows the order's state as it is:\n%s", got)
	}
}

// orderevents/?since= that is not URL-encoded, or given twice, is a 400
// naming the parameter, not the whole feed (url.Values drops a malformed
// pair silently); so is a repeated filter of ON-API's order list.
func TestMalformedQueries(t *testing.T) {
	f := newFixture(t)
	for _, path := range []string{
		"/api/2.3/orderevents/?since=%zz",
		"/onapi/2.6/orderevents/?since=%zz",
		"/api/2.3/orderevents/?since=a&since=b",
		"/onapi/2.6/orders/?state=RECEIVED&STATE=DONE_SUCCESS",
		"/onapi/2.6/orders/?accessId=%",
	} {
		resp, got := f.do(t, "sp", "GET", path, "")
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(got, `"cause":"`) {
			t.Errorf("GET %s:\n%s", path, got)
		}
	}
}

// The URL chooses the PI-API version (misc.md: /api/2.2/ and /api/2.3/
// are two root URLs); a user's pi_versions only limits which it may call.
func TestPIAPIVersionByURL(t *testing.T) {
	f := newFixture(t)
	// "sp" may use both: 2.2 wants customer data, 2.3 refuses it.
	_, got := f.do(t, "sp", "POST", "/api/2.2/orders/", `{"accessId": "A1", "service": "BB100100", "operation": "ACTIVATE", "forcedTakeover": false}`)
	golden(t, "pi22_by_url_missing_customer", got)
	resp, _ := f.do(t, "sp", "POST", "/api/2.2/orders/", fmt.Sprintf(activate22, "A1"))
	if resp.StatusCode != http.StatusCreated {
		t.Errorf("2.2 order with customer data by a user of both versions: %s", resp.Status)
	}
	_, got = f.do(t, "sp", "POST", "/api/2.3/orders/", fmt.Sprintf(activate22, "A2"))
	golden(t, "pi23_by_url_customer_refused", got)
	// "old" is limited to 2.2.
	_, got = f.do(t, "old", "POST", "/api/2.3/orders/", `{"accessId": "A2", "service": "BB100100", "operation": "ACTIVATE", "forcedTakeover": false}`)
	golden(t, "pi23_version_not_allowed", got)
	if resp, _ := f.do(t, "old", "GET", "/api/2.3/accesses/A1", ""); resp.StatusCode != http.StatusForbidden {
		t.Errorf("availability of a version the user may not use: %s", resp.Status)
	}
	if resp, _ := f.do(t, "old", "GET", "/api/2.2/accesses/A1", ""); resp.StatusCode != http.StatusOK {
		t.Errorf("availability of the user's version: %s", resp.Status)
	}
}
