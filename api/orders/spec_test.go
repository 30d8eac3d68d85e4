package orders_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/stadsnat/accessd/api/orders"
)

// orderStates decodes an ON-API order list into "orderId state" lines.
func orderStates(t *testing.T, rendered string) []string {
	t.Helper()
	_, body, _ := strings.Cut(rendered, "\n\n")
	var list []struct{ OrderID, State string }
	if err := json.Unmarshal([]byte(body), &list); err != nil {
		t.Fatalf("%v in:\n%s", err, rendered)
	}
	out := []string{}
	for _, o := range list {
		out = append(out, o.OrderID+" "+o.State)
	}
	return out
}

// ON-API 2.6 orders.md: GET orders/ lists the unfinished orders, but
// ?accessId= "all orders pertaining a specific accessId", finished ones
// included; ?state= those in the state.
func TestONAPIOrdersOfAccessIncludeFinished(t *testing.T) {
	f := newFixture(t)
	act := `{"accessId": "A1", "service": "BB100100", "operation": "ACTIVATE"}`
	if resp, got := f.do(t, "sp", "POST", "/onapi/2.6/orders/", act); resp.StatusCode != 201 {
		t.Fatalf("order not created:\n%s", got)
	}
	f.RunDue(t)
	later := `{"accessId": "A1", "service": "IPTV", "operation": "ACTIVATE", "requestedDateTime": "2026-04-01T00:00:00Z"}`
	if resp, got := f.do(t, "sp", "POST", "/onapi/2.6/orders/", later); resp.StatusCode != 201 {
		t.Fatalf("order not created:\n%s", got)
	}
	for _, tc := range []struct {
		query string
		want  []string
	}{
		{"", []string{"0003 RECEIVED"}},
		{"?accessId=A1", []string{"0001 DONE_SUCCESS", "0003 RECEIVED"}},
		{"?accessId=A2", []string{}},
		{"?accessId=A1&state=%22DONE_SUCCESS%22", []string{"0001 DONE_SUCCESS"}},
		{"?state=RECEIVED&accessId=A1", []string{"0003 RECEIVED"}},
	} {
		_, got := f.do(t, "sp", "GET", "/onapi/2.6/orders/"+tc.query, "")
		if diff := cmp.Diff(tc.want, orderStates(t, got)); diff != "" {
			t.Errorf("GET orders/%s (-want +got):\n%s", tc.query, diff)
		}
	}
}

// A DEACTIVATE of a subscription that has already ended is done (200
// DONE_SUCCESS, common/responses.md); the answer names the subscription
// and leaves out accessId and service, which it does not know, instead of
// sending them empty (dataformats.md: an ID has at least one character).
func TestONAPIDeactivateEndedSubscription(t *testing.T) {
	f := newFixture(t)
	if resp, got := f.do(t, "sp", "POST", "/onapi/2.6/orders/", `{"accessId": "A1", "service": "BB100100", "operation": "ACTIVATE"}`); resp.StatusCode != 201 {
		t.Fatalf("order not created:\n%s", got)
	}
	f.RunDue(t)
	deact := `{"operation": "DEACTIVATE", "subscriptionId": "0002"}`
	if resp, got := f.do(t, "sp", "POST", "/onapi/2.6/orders/", deact); resp.StatusCode != 201 {
		t.Fatalf("deactivation not created:\n%s", got)
	}
	f.RunDue(t)
	resp, got := f.do(t, "sp", "POST", "/onapi/2.6/orders/", deact)
	_, body, _ := strings.Cut(got, "\n\n")
	want := `{"subscriptionId":"0002","operation":"DEACTIVATE","state":"DONE_SUCCESS","forcedTakeover":false,"equipment":[],"message":""}` + "\n"
	if diff := cmp.Diff(want, body); diff != "" || resp.StatusCode != 200 {
		t.Errorf("status %d (-want +got):\n%s", resp.StatusCode, diff)
	}
}

// ON-API's orderevents.md has an event for every change of an order's
// state ("when an order state changes a event row is created"); PI-API's
// order_events only the final ones. Each API's feed is its own.
func TestOrderEventsPerAPI(t *testing.T) {
	f := newFixture(t)
	if resp, got := f.do(t, "sp", "POST", "/onapi/2.6/orders/", `{"accessId":"A1","service":"BB100100","operation":"ACTIVATE"}`); resp.StatusCode != 201 {
		t.Fatalf("order: %s", got)
	}
	f.RunDue(t)
	states := func(path string) []string {
		_, got := f.do(t, "sp", "GET", path, "")
		_, body, _ := strings.Cut(got, "\n\n")
		var evs []struct{ Order struct{ State string } }
		if err := json.Unmarshal([]byte(body), &evs); err != nil {
			t.Fatalf("%s: %v: %s", path, err, body)
		}
		var out []string
		for _, e := range evs {
			out = append(out, e.Order.State)
		}
		return out
	}
	if diff := cmp.Diff([]string{"RECEIVED", "IN_PROGRESS", "DONE_SUCCESS"}, states("/onapi/2.6/orderevents/")); diff != "" {
		t.Errorf("ON-API orderevents (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"DONE_SUCCESS"}, states("/api/2.3/orderevents/")); diff != "" {
		t.Errorf("PI-API orderevents (-want +got):\n%s", diff)
	}
}

// PI-API 2.2 service_activation.md: customer and deliveryAddress are
// always sent, every attribute may be empty, and a missing one is a 400
// such as {"cause": "Missing customer.firstName"}.
func TestPIAPI22CustomerAttributesMustBeThere(t *testing.T) {
	full := map[string]map[string]string{
		"customer": {"firstName": "", "lastName": "", "socialSecurityNumber": "", "email": "", "phone": "", "mobilePhone": ""},
		"deliveryAddress": {"smsNotificationPhone": "", "streetName": "", "streetNumber": "", "streetLittera": "",
			"zipCode": "", "city": ""},
	}
	body := func(drop string) string {
		obj, attr, _ := strings.Cut(drop, ".")
		m := map[string]any{"accessId": "A1", "service": "IPTV", "operation": "ACTIVATE", "forcedTakeover": false}
		for k, v := range full {
			c := map[string]string{}
			for a, x := range v {
				if k != obj || a != attr {
					c[a] = x
				}
			}
			m[k] = c
		}
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	f := newFixture(t)
	for _, drop := range []string{"customer.firstName", "customer.lastName", "customer.socialSecurityNumber",
		"customer.email", "customer.phone", "customer.mobilePhone", "deliveryAddress.streetName",
		"deliveryAddress.streetNumber", "deliveryAddress.streetLittera", "deliveryAddress.zipCode", "deliveryAddress.city"} {
		_, got := f.do(t, "old", "POST", "/api/2.2/orders/", body(drop))
		want := "HTTP/1.1 400 Bad Request\nContent-Type: application/json\n\n" + `{"cause":"Missing ` + drop + `"}` + "\n"
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("without %s (-want +got):\n%s", drop, diff)
		}
	}
	// Every attribute empty is a good order; so is one without a
	// notification phone (the example's smsNotificationPhone, the field
	// table's deliveryAddress.mobilePhone).
	for i, b := range []string{body(""), body("deliveryAddress.smsNotificationPhone")} {
		b = strings.Replace(b, `"A1"`, []string{`"A1"`, `"A2"`}[i], 1)
		if resp, got := f.do(t, "old", "POST", "/api/2.2/orders/", b); resp.StatusCode != 201 {
			t.Errorf("%s:\n%s", b, got)
		}
	}
}

// orders.md: requestedDateTime is "required in response, if set": an order
// asking for a past time echoes it (and runs now), one asking for none has
// none.
func TestONAPIRequestedDateTimeEchoed(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct{ body, want string }{
		{`{"accessId":"A1","service":"BB100100","operation":"ACTIVATE","requestedDateTime":"2020-01-02T03:04:05Z"}`, `"requestedDateTime":"2020-01-02T03:04:05Z"`},
		{`{"accessId":"A2","service":"BB100100","operation":"ACTIVATE"}`, ""},
		// dataformats.md's dateTime: up to four decimals, and a leap
		// second (its own example 1990-12-31T23:59:60Z), echoed as sent.
		{`{"accessId":"A5","service":"BB100100","operation":"ACTIVATE","requestedDateTime":"1985-04-12T23:20:50.0053Z"}`, `"requestedDateTime":"1985-04-12T23:20:50.0053Z"`},
		{`{"accessId":"A5","service":"IPTV","operation":"ACTIVATE","requestedDateTime":"1990-12-31T23:59:60Z"}`, `"requestedDateTime":"1990-12-31T23:59:60Z"`},
	} {
		resp, got := f.do(t, "sp", "POST", "/onapi/2.6/orders/", tc.body)
		if resp.StatusCode != 201 {
			t.Fatalf("order: %s", got)
		}
		if has := strings.Contains(got, `"requestedDateTime"`); has != (tc.want != "") || !strings.Contains(got, tc.want) {
			t.Errorf("answer to %s:\n%s\nwant requestedDateTime %q", tc.body, got, tc.want)
		}
	}
	_, got := f.do(t, "sp", "POST", "/onapi/2.6/orders/", `{"accessId":"A1","service":"IPTV","operation":"ACTIVATE","requestedDateTime":"2026-04-01T00:00:00.00001Z"}`)
	golden(t, "on_requested_five_decimals", got)
}

// ParseDateTime takes dataformats.md's dateTime: its examples, up to four
// decimals, a leap second only at 23:59 UTC.
func TestParseDateTime(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Time
		ok   bool
	}{
		{"1985-04-12T23:20:50.52Z", time.Date(1985, 4, 12, 23, 20, 50, 520e6, time.UTC), true},
		{"1985-04-12T23:20:50.0053Z", time.Date(1985, 4, 12, 23, 20, 50, 5.3e6, time.UTC), true},
		{"1990-12-31T23:59:60Z", time.Date(1991, 1, 1, 0, 0, 0, 0, time.UTC), true},
		{"2019-02-05T00:00:00Z", time.Date(2019, 2, 5, 0, 0, 0, 0, time.UTC), true},
		{"2019-02-05T01:00:00+01:00", time.Date(2019, 2, 5, 0, 0, 0, 0, time.UTC), true},
		{"2019-02-05T00:00:00.12345Z", time.Time{}, false},
		{"2019-02-05T12:00:60Z", time.Time{}, false},
		{"2019-02-05T00:00:61Z", time.Time{}, false},
		{"2019-02-30T00:00:00Z", time.Time{}, false},
		{"2019-02-05 00:00:00Z", time.Time{}, false},
		{"2019-02-05T00:00:00", time.Time{}, false},
	} {
		got, err := orders.ParseDateTime(tc.in)
		if (err == nil) != tc.ok || !got.Equal(tc.want) {
			t.Errorf("ParseDateTime(%q) = %v, %v; want %v, ok %v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}
