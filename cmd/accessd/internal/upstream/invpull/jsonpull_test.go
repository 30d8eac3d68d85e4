package invpull

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/stadsnat/accessd/store"
	"github.com/stadsnat/accessd/store/inventory"
)

func put(t *testing.T, db *store.DB, as ...inventory.Access) {
	t.Helper()
	in := make([]store.Incoming, len(as))
	for i, a := range as {
		in[i] = store.Incoming{Access: a}
	}
	if _, err := db.Inventory().Import(in, store.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
}

func TestPullPIAPIUpdatesKnownAccess(t *testing.T) {
	h := newHarness(t, PIAPI, "application/json", nil)
	known := specAccess
	known.PortSpeedMbps, known.Outlet = 1000, "old outlet"
	put(t, h.db, known)
	h.src.set(golden(t, "piapi-accesses.json"), lm1)
	res, err := h.p.Pull(context.Background(), Incremental)
	if err != nil || res.Summary.Updated != 1 {
		t.Fatalf("pull = %+v, %v; want 1 updated", res, err)
	}
	want := specAccess
	want.Outlet = "A-11-14"         // carried
	want.Activatable = "2013-08-13" // the earliest service connection
	want.PortSpeedMbps = 1000       // not carried: kept, as are option82 and sellable
	if d := cmp.Diff(want, accesses(t, h.db, "STTA0001")["STTA0001"]); d != "" {
		t.Errorf("stored (-want +got):\n%s", d)
	}
}

func TestPullPIAPINewAccessNeedsOption82(t *testing.T) {
	h := newHarness(t, PIAPI, "application/json", nil)
	h.src.set(golden(t, "piapi-accesses.json"), lm1)
	_, err := h.p.Pull(context.Background(), Incremental)
	var ps *inventory.Problems
	if !errors.As(err, &ps) || len(ps.List) != 1 {
		t.Fatalf("pull of an unknown access: %v; want one problem", err)
	}
	p := ps.List[0]
	if p.Line != 2 || p.AccessID != "STTA0001" || p.Field != "option82" || !strings.Contains(p.Message, "PI-API 2.3 accesses do not carry it") {
		t.Errorf("problem %+v", p)
	}
	if len(accesses(t, h.db, "STTA0001")) != 0 {
		t.Error("the access was stored")
	}
}

func TestPullPIAPIWithAccessdKeys(t *testing.T) {
	h := newHarness(t, PIAPI, "application/json", nil)
	body := `[{"accessId":"A1","streetName":"Ankvägen","postalCode":"10001","city":"Ankeborg","countryCode":"se",
"premisesType":"RESIDENTIAL_HOUSE","services":[{"service":"BB-100-100","connection":"YES"}],
"option82":"10.0.0.1 ge-0/0/1","dhcpIdentifier":{"ipv4CircuitId":"ge-0/0/1","ipv4RemoteId":"10.0.0.1"},"portSpeed":100,"iptv":true,
"vendorExtension":{"x":1}}]`
	h.src.set([]byte(body), lm1)
	res, err := h.p.Pull(context.Background(), Incremental)
	if err != nil || res.Summary.Created != 1 {
		t.Fatalf("pull = %+v, %v", res, err)
	}
	if d := cmp.Diff([]string{"vendorExtension"}, res.Ignored); d != "" {
		t.Errorf("ignored (-want +got):\n%s", d)
	}
	want := inventory.Access{AccessID: "A1", StreetName: "Ankvägen", PostalCode: "10001", City: "Ankeborg", CountryCode: "SE",
		PremisesType: inventory.ResidentialHouse, Activatable: inventory.Yes, Sellable: inventory.Yes, Option82: "10.0.0.1 ge-0/0/1",
		DHCPIdentifier: inventory.DHCPIdentifier{IPv4CircuitID: "ge-0/0/1", IPv4RemoteID: "10.0.0.1"}, PortSpeedMbps: 100, IPTV: true}
	if d := cmp.Diff(want, accesses(t, h.db, "A1")["A1"]); d != "" {
		t.Errorf("stored (-want +got):\n%s", d)
	}
}

func TestPullONAPI(t *testing.T) {
	const id = "8732c2f065e2490babce820e94b1011a"
	base := inventory.Access{AccessID: id, StreetName: "Gamla vägen", PostalCode: "10000", City: "Ankeborg", CountryCode: "SE",
		PremisesType: inventory.MDUApartment, MDUApartmentNumber: "1001", Activatable: "2999-01-01", Sellable: inventory.No,
		Option82: "10.1.1.1 ge-0/0/5", Media: "FTTH"}
	onapi := string(golden(t, "onapi-accesses.json"))
	for _, tc := range []struct {
		state     string
		base      inventory.Availability // base Activatable
		act, sell inventory.Availability
	}{
		{"CONNECTED", "2999-01-01", inventory.Yes, inventory.Yes}, // not reached: YES
		{"CONNECTED", "2001-01-01", "2001-01-01", inventory.Yes},  // reached: kept
		{"DISCONNECTED", inventory.Yes, inventory.No, inventory.No},
		{"DEPLOYING", "2999-01-01", "2999-01-01", inventory.No}, // a future date kept
		{"PLANNED", inventory.Yes, inventory.No, inventory.No},
	} {
		t.Run(tc.state, func(t *testing.T) {
			h := newHarness(t, ONAPI, "application/json", nil)
			b := base
			b.Activatable = tc.base
			put(t, h.db, b)
			h.src.set([]byte(strings.Replace(onapi, "CONNECTED", tc.state, 1)), lm1)
			if _, err := h.p.Pull(context.Background(), Incremental); err != nil {
				t.Fatal(err)
			}
			want := inventory.Access{AccessID: id, LegacyAccessID: "KGXF49861", StreetName: "Testvägen", StreetNumber: "100",
				PostalCode: "10000", City: "Ankeborg", CountryCode: "SE", PremisesType: inventory.MDUApartment,
				MDUApartmentNumber: "1001", MDUDistinguisher: "12121212", Outlet: "A-11-14", Population: "Hemsöhem",
				AccessState: tc.state, NationalAddressUUID: "1ce88c93-b310-11eb-bdc2-000c29f11131",
				Activatable: tc.act, Sellable: tc.sell, Option82: base.Option82, Media: "FTTH"}
			if d := cmp.Diff(want, accesses(t, h.db, id)[id]); d != "" {
				t.Errorf("stored (-want +got):\n%s", d)
			}
		})
	}
}

// mapLookup is a Lookup over a map.
type mapLookup map[string]inventory.Access

func (m mapLookup) Access(id string) (inventory.Access, bool, error) {
	a, ok := m[id]
	return a, ok, nil
}

var known = mapLookup{"A1": {AccessID: "A1", Activatable: inventory.Yes, Sellable: inventory.Yes, Option82: "sw1 p1"}}

const piObj = `"accessId":"A1","streetName":"S","postalCode":"10000","city":"C","countryCode":"SE","premisesType":"PUBLIC"`

var jsonCases = []struct {
	name   string
	f      Format
	in     string
	n      int // accesses when good
	probs  []inventory.Problem
	ignore []string
}{
	{"pi-api good", PIAPI, `[{` + piObj + `,"services":[]}]`, 1, nil, nil},
	{"empty array", PIAPI, `[]`, 0, nil, nil},
	{"not an array", PIAPI, `{` + piObj + `}`, 0, []inventory.Problem{{Line: 1, Message: "the answer is not a JSON array of accesses"}}, nil},
	{"empty", ONAPI, ``, 0, []inventory.Problem{{Line: 1, Message: "the answer is empty: a JSON array of accesses is needed"}}, nil},
	{"services missing", PIAPI, "[\n{" + piObj + `}]`, 0, []inventory.Problem{{Line: 2, AccessID: "A1", Field: "services", Message: "is required in PI-API 2.3"}}, nil},
	{"bad connection", PIAPI, `[{` + piObj + `,"services":[{"service":"BB","connection":"soon"},{"connection":"YES"}]}]`, 0, []inventory.Problem{
		{Line: 1, AccessID: "A1", Field: "services[0].connection", Message: `"soon" is not YES, NO or a date YYYY-MM-DD from 1970-01-01`},
		{Line: 1, AccessID: "A1", Field: "services[1].service", Message: "is required"},
	}, nil},
	{"null", PIAPI, `[{` + piObj + `,"services":[],"outlet":null}]`, 0, []inventory.Problem{{Line: 1, AccessID: "A1", Field: "outlet", Message: "null is not a valid value"}}, nil},
	{"wrong type", PIAPI, `[{` + piObj + `,"services":[],"outlet":7,"portSpeed":"fast","iptv":"YES"}]`, 0, []inventory.Problem{
		{Line: 1, AccessID: "A1", Field: "outlet", Message: "is not a string"},
		{Line: 1, AccessID: "A1", Field: "portSpeed", Message: "is not a whole number"},
		{Line: 1, AccessID: "A1", Field: "iptv", Message: "is not true or false"},
	}, nil},
	{"repeated key", PIAPI, `[{` + piObj + `,"services":[],"city":"D"}]`, 0, []inventory.Problem{{Line: 1, AccessID: "A1", Field: "city", Message: "appears twice in one access"}}, nil},
	{"unknown keys", PIAPI, `[{` + piObj + `,"services":[],"x-color":"red","extra":[1]}]`, 1, nil, []string{"extra", "x-color"}},
	{"apartment number as number", ONAPI, `[{` + piObj[:len(piObj)-len(`"PUBLIC"`)] + `"MDU_APARTMENT","mduApartmentNumber":901,"priceGroup":1,"accessState":"CONNECTED"}]`, 0,
		[]inventory.Problem{{Line: 1, AccessID: "A1", Field: "mduApartmentNumber", Message: `"901" is not four digits`}}, nil},
	{"on-api required", ONAPI, `[{` + piObj + `}]`, 0, []inventory.Problem{
		{Line: 1, AccessID: "A1", Field: "priceGroup", Message: "is required in ON-API 2.6"},
		{Line: 1, AccessID: "A1", Field: "accessState", Message: "is required in ON-API 2.6"},
	}, nil},
	{"on-api bad state", ONAPI, `[{` + piObj + `,"priceGroup":-1,"accessState":"ON"}]`, 0, []inventory.Problem{
		{Line: 1, AccessID: "A1", Field: "priceGroup", Message: "-1 is negative"},
		{Line: 1, AccessID: "A1", Field: "accessState", Message: `"ON" is not PLANNED, DEPLOYING, HOMESPASSED, CONNECTED, DISCONNECTED, INMIGRATION or OUTMIGRATION`},
	}, nil},
	{"syntax", ONAPI, "[\n{\"accessId\": \"A1\",,}]", 0, []inventory.Problem{{Line: 2, Message: "invalid JSON: invalid character ',' looking for beginning of object key string"}}, nil},
	{"trailing", PIAPI, `[] []`, 0, []inventory.Problem{{Line: 1, Message: "something follows the array of accesses"}}, nil},
	{"element not object", PIAPI, `[1]`, 0, []inventory.Problem{{Line: 1, Message: "an element of the array is not an access object"}}, nil},
}

func TestParseAccessesJSON(t *testing.T) {
	today := inventory.Date{Year: 2025, Month: 6, Day: 1}
	for _, tc := range jsonCases {
		t.Run(tc.name, func(t *testing.T) {
			in, ignored, err := ParseAccessesJSON([]byte(tc.in), tc.f, known, today)
			var got []inventory.Problem
			var ps *inventory.Problems
			if errors.As(err, &ps) {
				got = ps.List
			} else if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.probs, got); d != "" {
				t.Errorf("problems (-want +got):\n%s", d)
			}
			if err == nil && len(in) != tc.n {
				t.Errorf("%d accesses, want %d", len(in), tc.n)
			}
			if tc.ignore != nil {
				if d := cmp.Diff(tc.ignore, sorted(ignored)); d != "" {
					t.Errorf("ignored (-want +got):\n%s", d)
				}
			}
		})
	}
}
