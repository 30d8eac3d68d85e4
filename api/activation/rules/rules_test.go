package rules

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/stadsnat/accessd/store/catalog"
	"github.com/stadsnat/accessd/store/inventory"
)

func settings() *Settings {
	return &Settings{
		Catalog: catalog.New([]catalog.Service{
			{UID: "BB100", Type: "broadband", Media: []string{"FTTH", "FTTB"}, CapacityKbit: 100000, Hardware: "CPE"},
			{UID: "BB1000", Type: "broadband", Media: []string{"FTTH"}, CapacityKbit: 1000000},
			{UID: "IPTV", Type: "tv", IPTV: true, MaxPerAccess: 2},
			{UID: "RFTV", Type: "tv", Media: []string{"RFOF"}},
			{UID: "VOIP", Type: "voip", Hardware: "DRG"},
		}),
		Rules: []Rule{{Code: 530, When: WhenPopulationIn, Values: []string{"Spärrad"}, Message: "Spärrad adress"}},
	}
}

func access(mod func(*inventory.Access)) *inventory.Access {
	a := &inventory.Access{AccessID: "A1", Media: "FTTH", PortSpeedMbps: 1000, CPERouter: "R", IPTV: true,
		Sellable: inventory.Yes, Activatable: inventory.Yes}
	if mod != nil {
		mod(a)
	}
	return a
}

var today = inventory.Date{Year: 2026, Month: 3, Day: 2}

// Each check of the documented order, with the fields its code carries.
func TestDecide(t *testing.T) {
	tests := []struct {
		name   string
		a      *inventory.Access
		port   Port
		claims []Claim
		uid    string
		want   Verdict
	}{
		{"deliverable", access(nil), Port{}, nil, "BB100", Verdict{Code: 200}},
		{"unknown service", access(nil), Port{}, nil, "GOLF", Verdict{Code: 500, Message: "Tjänsten GOLF finns inte i stadsnätets tjänstekatalog",
			Cause: "Unknown service: 'GOLF'"}},
		{"own active", access(nil), Port{}, []Claim{{UID: "BB100", Owner: "sp", Active: true}}, "BB100", Verdict{Code: 200, Active: true}},
		{"own pending activation", access(nil), Port{}, []Claim{{UID: "BB100", Owner: "sp", Order: "o1"}}, "BB100",
			Verdict{Code: 200, PendingOrder: "o1"}},
		{"own pending deactivation", access(nil), Port{}, []Claim{{UID: "BB100", Type: "broadband", Owner: "sp", Active: true, Leaving: true, Order: "o2"}},
			"BB100", Verdict{Code: 400, Service: "BB100", Type: "broadband", PendingOrder: "o2",
				Cause: "Service 'BB100' is being deactivated on access 'A1' (order 'o2')"}},
		{"another provider's type", access(nil), Port{}, []Claim{{UID: "BB1000", Owner: "x", Active: true}}, "BB100",
			Verdict{Code: 400, Service: "BB1000", OtherOwner: true, Type: "broadband", Cause: "ServiceType is already claimed by other Service Provider."}},
		{"own type full", access(nil), Port{}, []Claim{{UID: "BB1000", Owner: "sp", Active: true}}, "BB100",
			Verdict{Code: 400, Service: "BB1000", Type: "broadband", Cause: "Another Service of ServiceType 'broadband' is already active."}},
		{"own type with room", access(nil), Port{}, []Claim{{UID: "RFTV", Owner: "sp", Order: "o3"}}, "IPTV", Verdict{Code: 200}},
		{"media", access(func(a *inventory.Access) { a.Media = "DSL" }), Port{}, nil, "BB100",
			Verdict{Code: 401, CurrentMedia: 4, RequiredMedia: 1, Cause: "Service 'BB100' needs FTTH or FTTB; access 'A1' is DSL"}},
		{"rfof missing", access(nil), Port{}, nil, "RFTV",
			Verdict{Code: 401, CurrentMedia: 1, RequiredMedia: 6, Cause: "Service 'RFTV' needs RFOF; access 'A1' is FTTH"}},
		{"rfof present", access(func(a *inventory.Access) { a.RFoF = true }), Port{}, nil, "RFTV", Verdict{Code: 200}},
		{"capacity from the inventory", access(func(a *inventory.Access) { a.PortSpeedMbps = 100 }), Port{}, nil, "BB1000",
			Verdict{Code: 402, CurrentKbit: 100000, RequiredKbit: 1000000, Cause: "Service 'BB1000' needs 1000000 kbit/s; the port of access 'A1' gives 100000 kbit/s"}},
		{"capacity: SNMP lower", access(nil), Port{SpeedMbps: 10, Up: true, Known: true}, nil, "BB100",
			Verdict{Code: 402, CurrentKbit: 10000, RequiredKbit: 100000, Cause: "Service 'BB100' needs 100000 kbit/s; the port of access 'A1' gives 10000 kbit/s"}},
		{"capacity: SNMP higher than the inventory's limit", access(func(a *inventory.Access) { a.PortSpeedMbps = 100 }),
			Port{SpeedMbps: 10000, Up: true, Known: true}, nil, "BB1000",
			Verdict{Code: 402, CurrentKbit: 100000, RequiredKbit: 1000000, Cause: "Service 'BB1000' needs 1000000 kbit/s; the port of access 'A1' gives 100000 kbit/s"}},
		{"hardware", access(func(a *inventory.Access) { a.CPERouter, a.CPESwitch = "", "S" }), Port{}, nil, "VOIP",
			Verdict{Code: 403, Hardware: "DRG", Cause: "Service 'VOIP' needs customer equipment (DRG) that access 'A1' lacks"}},
		{"iptv flag", access(func(a *inventory.Access) { a.IPTV = false }), Port{}, nil, "IPTV",
			Verdict{Code: 513, Message: "IP-TV kan inte levereras till adressen",
				Cause: "Service 'IPTV' is IPTV, which cannot be delivered to access 'A1' (its iptv is not YES)"}},
		{"configured rule", access(func(a *inventory.Access) { a.Population = "spärrad" }), Port{}, nil, "BB100",
			Verdict{Code: 530, Message: "Spärrad adress", Cause: "Spärrad adress"}},
		{"sellable NO", access(func(a *inventory.Access) { a.Sellable = inventory.No }), Port{}, nil, "BB100",
			Verdict{Code: 510, Message: "Adressen är inte säljstartad", Cause: "Access 'A1' is not sellable"}},
		{"sellable later", access(func(a *inventory.Access) { a.Sellable = "2026-03-03" }), Port{}, nil, "BB100",
			Verdict{Code: 510, Until: inventory.Date{Year: 2026, Month: 3, Day: 3}, Message: "Adressen säljstartar 2026-03-03",
				Cause: "Access 'A1' is sellable from 2026-03-03"}},
		{"sellable today", access(func(a *inventory.Access) { a.Sellable = "2026-03-02" }), Port{}, nil, "BB100", Verdict{Code: 200}},
		{"activatable later, sellable later still", access(func(a *inventory.Access) { a.Activatable, a.Sellable = "2026-04-01", "2026-05-01" }),
			Port{}, nil, "BB100", Verdict{Code: 510, Until: inventory.Date{Year: 2026, Month: 5, Day: 1},
				Message: "Adressen säljstartar 2026-05-01", Cause: "Access 'A1' is sellable from 2026-05-01"}},
		{"activatable later", access(func(a *inventory.Access) { a.Activatable = "2026-04-01" }), Port{}, nil, "BB100",
			Verdict{Code: 511, Until: inventory.Date{Year: 2026, Month: 4, Day: 1}, Message: "Tjänster kan levereras till adressen från 2026-04-01",
				Cause: "Services can be delivered to access 'A1' from 2026-04-01"}},
		{"activatable NO", access(func(a *inventory.Access) { a.Activatable = inventory.No }), Port{}, nil, "BB100",
			Verdict{Code: 511, Message: "Tjänster kan inte levereras till adressen ännu", Cause: "Services cannot be delivered to access 'A1' yet"}},
		{"outmigration", access(func(a *inventory.Access) { a.AccessState = inventory.AccessStateOutMigration }), Port{}, nil, "BB100",
			Verdict{Code: 512, Message: "Adressen tar inte emot beställningar", Cause: "Access 'A1' is OUTMIGRATION and takes no orders"}},
	}
	for _, tt := range tests {
		got := Decide(settings(), &Facts{Access: tt.a, Today: today, Port: tt.port, Claims: tt.claims}, tt.uid, "sp")
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, diff)
		}
	}
}

func TestReady(t *testing.T) {
	d := func(s string) inventory.Date { x, _ := inventory.ParseDate(s); return x }
	for _, tt := range []struct {
		sell, act inventory.Availability
		want      inventory.Date
		ok        bool
	}{
		{"YES", "YES", inventory.Date{}, true},
		{"2026-01-01", "YES", d("2026-01-01"), true},
		{"2026-01-01", "2026-02-01", d("2026-02-01"), true},
		{"2026-03-01", "2026-02-01", d("2026-03-01"), true},
		{"NO", "YES", inventory.Date{}, false},
		{"YES", "NO", inventory.Date{}, false},
		{"", "YES", inventory.Date{}, false},
	} {
		got, ok := Ready(&inventory.Access{Sellable: tt.sell, Activatable: tt.act})
		if got != tt.want || ok != tt.ok {
			t.Errorf("Ready(%s, %s) = %v, %v; want %v, %v", tt.sell, tt.act, got, ok, tt.want, tt.ok)
		}
	}
}

// Where NeedsToday says the date does not matter, Message answers the
// same on every day: every condition, with and without a service list,
// over every kind of availability.
func TestNeedsToday(t *testing.T) {
	avail := []inventory.Availability{inventory.Yes, inventory.No, "2026-03-02", "1969-12-31", "soon", ""}
	days := []inventory.Date{{}, {Year: 2026, Month: 3, Day: 1}, today, {Year: 2027, Month: 1, Day: 1}}
	for _, when := range Conditions() {
		for _, svcs := range [][]string{nil, {"BB100"}} {
			rs := []Rule{{Code: 530, When: when, Values: []string{"P"}, Services: svcs, Message: "m"}}
			for _, sold := range avail {
				for _, active := range avail {
					a := access(func(a *inventory.Access) { a.Sellable, a.Activatable = sold, active })
					_, dated := sold.Date()
					_, dated2 := active.Date()
					if got, want := NeedsToday(rs, a), svcs == nil && (dated || dated2); got != want {
						t.Errorf("%s %v %q/%q: NeedsToday %v, want %v", when, svcs, sold, active, got, want)
					}
					if NeedsToday(rs, a) {
						continue
					}
					first := Message(rs, &Facts{Access: a, Today: days[0], Port: Port{Known: true}})
					for _, d := range days[1:] {
						if m := Message(rs, &Facts{Access: a, Today: d, Port: Port{Known: true}}); m != first {
							t.Errorf("%s %q/%q: Message %q on %v, %q on %v; NeedsToday false", when, sold, active, m, d, first, days[0])
						}
					}
				}
			}
		}
	}
	if NeedsToday(nil, access(func(a *inventory.Access) { a.Sellable = "2026-03-02" })) {
		t.Error("NeedsToday without rules")
	}
}
