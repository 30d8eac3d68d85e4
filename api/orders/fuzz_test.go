package orders

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stadsnat/accessd/store"
)

// Seeds: the bodies of the table and flow tests.
var bodySeeds = []string{
	`{"accessId": "STTA0001", "service": "BB-100-10", "operation": "ACTIVATE", "forcedTakeover": false, "equipment": [{"vendorId": "CH_BROADBAND"}], "spReference": ""}`,
	`{"accessId": "STTA0001", "service": "BB-100-10", "operation": "DEACTIVATE"}`,
	`{"operation": "DEACTIVATE", "subscriptionId": "35738e19ab534dff9f9becb3a064a7d5", "requestedDateTime": "2019-02-05T00:00:00Z"}`,
	`{"accessId": "A1", "service": "IPTV", "operation": "ACTIVATE", "forcedTakeover": false, "customer": {"firstName": "Kalle", "socialSecurityNumber": "192012317777"}, "deliveryAddress": {"zipCode": "10000"}}`,
	`{"accessId": "A1", "service": "IPTV", "operation": "ACTIVATE", "forcedTakeover": false, "customer": {"firstName": "Kalle", "lastName": "Anka", "socialSecurityNumber": "192012317777", "email": "", "phone": "031-119119", "mobilePhone": ""}, "deliveryAddress": {"smsNotificationPhone": "", "streetName": "Testvägen", "streetNumber": "100", "streetLittera": "", "zipCode": "10000", "city": "Ankeborg"}}`,
	`{"accessId": "A1",`, `[1,2]`, `null`, ``, `{"accessId": null}`, `{"operation": "SUSPEND"}`,
	`{"accessId": "A1", "service": "X", "operation": "ACTIVATE", "forcedTakeover": false, "equipment": [{"vendorId": "X", "macAddress": "nope"}]}`,
}

// Parse never panics; a refusal is a *FieldError naming a field; an
// accepted order has what its operation needs, and its customer data only
// in dialect 2.2.
func FuzzParseOrder(f *testing.F) {
	for _, s := range bodySeeds {
		for d := PI23; d <= ON26; d++ {
			f.Add([]byte(s), uint8(d))
		}
	}
	f.Fuzz(func(t *testing.T, body []byte, dialect uint8) {
		d := Dialect(dialect % 3)
		r, err := Parse(body, d)
		if err != nil {
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field == "" {
				t.Fatalf("Parse(%q, %d): %v is not a *FieldError naming a field", body, d, err)
			}
			if strings.ContainsAny(err.Error(), "\x00\n") {
				t.Fatalf("Parse(%q): cause %q has control characters", body, err)
			}
			return
		}
		if r.Operation != store.Activate && r.Operation != store.Deactivate {
			t.Fatalf("Parse(%q) accepted operation %q", body, r.Operation)
		}
		if r.Operation == store.Activate && (r.AccessID == "" || r.Service == "") {
			t.Fatalf("Parse(%q) accepted an ACTIVATE without accessId or service", body)
		}
		if r.Customer != nil && d != PI22 {
			t.Fatalf("Parse(%q, %d) kept customer data outside PI-API 2.2", body, d)
		}
		if d == PI22 && r.Operation == store.Activate && r.Customer == nil {
			t.Fatalf("Parse(%q) accepted a 2.2 ACTIVATE without customer", body)
		}
	})
}

// ParseDateTime never panics, and what it accepts has at most four
// decimals and gives a UTC time whose second a round trip keeps.
func FuzzParseDateTime(f *testing.F) {
	for _, s := range []string{"1985-04-12T23:20:50.52Z", "1985-04-12T23:20:50.0053Z", "1990-12-31T23:59:60Z",
		"2019-02-05T00:00:00Z", "2019-02-05T01:00:00+01:00", "2019-02-05T00:00:00.12345Z", "2019-02-05T12:00:60Z",
		"2019-02-30T00:00:00Z", "", "T", "9999-12-31T23:59:60Z"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseDateTime(s)
		if err != nil {
			if !got.IsZero() {
				t.Fatalf("ParseDateTime(%q) failed with a time %v", s, got)
			}
			return
		}
		if got.Location() != time.UTC {
			t.Fatalf("ParseDateTime(%q) = %v, not UTC", s, got)
		}
		if _, frac, ok := strings.Cut(s, "."); ok && strings.IndexAny(frac, "Z+-") > 4 {
			t.Fatalf("ParseDateTime(%q) accepted more than four decimals", s)
		}
	})
}
