package activation_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/stadsnat/accessd/api/activation"
	"github.com/stadsnat/accessd/api/activation/acttest"
	"github.com/stadsnat/accessd/store"
)

var t0 = time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)

func rules() acttest.Config {
	return func(o *activation.Options) {
		o.Settings.Rules = []activation.Rule{
			{Code: 501, When: activation.WhenNotSellable, Message: "Adressen är inte säljstartad"},
			{Code: 502, When: activation.WhenPopulationNotIn, Values: []string{"studentbostäder"}, Services: []string{"IPTV2"},
				Message: "Endast studenter kan beställa den tjänsten"},
			{Code: 503, When: activation.WhenLinkDown, Message: "Porten är nere"},
		}
		o.Ports = acttest.Ports{"A5": {SpeedMbps: 10, Up: true}, "A1": {SpeedMbps: 1000, Up: false}}
	}
}

// Every code of service_deliverable, in the documented order of checks.
func TestDeliverable(t *testing.T) {
	f := acttest.New(t, acttest.NewClock(t0), rules())
	// A1 already has IPTV from "sp"; A2 has BB100100 from "other".
	place(t, f, activation.Request{Owner: "sp", Channel: "test", AccessID: "A2", Service: "IPTV", Operation: store.Activate})
	place(t, f, activation.Request{Owner: "other", Channel: "test", AccessID: "A2", Service: "BB100100", Operation: store.Activate})
	runDue(t, f)
	tests := []struct {
		name, access, uid, owner string
		want                     activation.Verdict
	}{
		{"unknown access", "NOPE", "BB100100", "sp", activation.Verdict{Code: 404, Cause: "Unknown accessId: 'NOPE'"}},
		{"unknown service", "A1", "GOLF", "sp", activation.Verdict{Code: 500,
			Message: "Tjänsten GOLF finns inte i stadsnätets tjänstekatalog", Cause: "Unknown service: 'GOLF'"}},
		{"conflict with another provider", "A2", "BB100100", "sp", activation.Verdict{Code: 400, Service: "BB100100",
			OtherOwner: true, Type: "broadband", Cause: "ServiceType is already claimed by other Service Provider."}},
		// Ordering a service the caller already has changes nothing: 200
		// (PI-API availability.md: "available YES"; an ACTIVATE of it is
		// answered DONE_SUCCESS).
		{"the caller's own active service", "A2", "BB100100", "other", activation.Verdict{Code: 200, Active: true}},
		{"conflict with own service of the type", "A2", "BB1000", "other", activation.Verdict{Code: 400, Service: "BB100100",
			Type: "broadband", Cause: "Another Service of ServiceType 'broadband' is already active."}},
		{"a second of a type that allows two", "A2", "IPTV2", "sp", activation.Verdict{Code: 502,
			Message: "Endast studenter kan beställa den tjänsten", Cause: "Endast studenter kan beställa den tjänsten"}},
		{"media", "A3", "BB100100", "sp", activation.Verdict{Code: 401, CurrentMedia: 4, RequiredMedia: 1,
			Cause: "Service 'BB100100' needs FTTH or FTTB; access 'A3' is DSL"}},
		{"another provider's service blocks the whole type", "A2", "BB1000", "x", activation.Verdict{Code: 400, Service: "BB100100",
			OtherOwner: true, Type: "broadband", Cause: "ServiceType is already claimed by other Service Provider."}},
		{"capacity from SNMP", "A5", "BB100100", "sp", activation.Verdict{Code: 402, CurrentKbit: 10000, RequiredKbit: 100000,
			Cause: "Service 'BB100100' needs 100000 kbit/s; the port of access 'A5' gives 10000 kbit/s"}},
		{"capacity from the inventory", "A3", "IPTV", "sp", activation.Verdict{Code: 402, CurrentKbit: 10000, RequiredKbit: 20000,
			Cause: "Service 'IPTV' needs 20000 kbit/s; the port of access 'A3' gives 10000 kbit/s"}},
		{"DRG missing", "A2", "VOIP", "sp", activation.Verdict{Code: 403, Hardware: "DRG",
			Cause: "Service 'VOIP' needs customer equipment (DRG) that access 'A2' lacks"}},
		{"rule: not sellable", "A4", "BB100100", "sp", activation.Verdict{Code: 501, Message: "Adressen är inte säljstartad",
			Cause: "Adressen är inte säljstartad"}},
		{"rule: link down", "A1", "BB100100", "sp", activation.Verdict{Code: 503, Message: "Porten är nere", Cause: "Porten är nere"}},
		{"rule for other services does not apply", "A5", "VOIP", "sp", activation.Verdict{Code: 200}},
	}
	for _, tt := range tests {
		got, err := f.Engine.Deliverable(tt.access, tt.uid, tt.owner)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s: Deliverable(%s, %s, %s) (-want +got):\n%s", tt.name, tt.access, tt.uid, tt.owner, diff)
		}
	}
}

func place(t *testing.T, f *acttest.Fixture, r activation.Request) activation.Result {
	t.Helper()
	res, err := f.Engine.Place(r)
	if err != nil {
		t.Fatalf("Place(%+v): %v", r, err)
	}
	return res
}
