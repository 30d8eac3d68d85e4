package inventory_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/stadsnat/accessd/store/inventory"
)

// validAccess is PI V1's example access.
func validAccess() inventory.Access {
	return inventory.Access{
		AccessID:           "STTA0001",
		StreetName:         "Testvägen",
		StreetNumber:       "100",
		PostalCode:         "10000",
		City:               "Ankeborg",
		CountryCode:        "SE",
		PremisesType:       inventory.MDUApartment,
		MDUApartmentNumber: "1001",
		MDUDistinguisher:   "12121212",
		Activatable:        inventory.No,
		Sellable:           "2012-03-01",
		FiberConverter:     "LASER_3001X_MK2",
		CPERouter:          "NETGEAR WNDR4000",
		Option82:           "192.168.248.85 ge-0/0/10",
		Population:         "Hemsöhem",
	}
}

// problemStrings returns the rendered problems of err, nil for nil.
func problemStrings(t *testing.T, err error) []string {
	t.Helper()
	if err == nil {
		return nil
	}
	var ps *inventory.Problems
	if !errors.As(err, &ps) {
		t.Fatalf("error %v (%T) is not a *Problems", err, err)
	}
	var out []string
	for _, p := range ps.List {
		out = append(out, p.Error())
	}
	return out
}

type validateCase struct {
	name   string
	format inventory.Format // "" means both
	edit   func(a *inventory.Access)
	want   []string // problems; nil for a valid access
}

func validateCases() []validateCase {
	p := func(msgs ...string) []string { return msgs }
	const id = `accessId "STTA0001": `
	return []validateCase{
		{name: "PI V1 example", edit: func(a *inventory.Access) {}},
		{name: "accessId 32 characters", edit: func(a *inventory.Access) { a.AccessID = strings.Repeat("aZ9", 10) + "xy" }},
		{name: "accessId missing", edit: func(a *inventory.Access) { a.AccessID = "" }, want: p(`accessId: is required`)},
		{name: "accessId 33 characters", edit: func(a *inventory.Access) { a.AccessID = strings.Repeat("a", 33) },
			want: p(`accessId: "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" is 33 characters long, at most 32 are allowed`)},
		{name: "accessId with dash", edit: func(a *inventory.Access) { a.AccessID = "A-1" },
			want: p(`accessId: "A-1" contains '-': only a-z, A-Z and 0-9 are allowed`)},
		{name: "accessId with å", edit: func(a *inventory.Access) { a.AccessID = "Lgh1å" },
			want: p(`accessId: "Lgh1å" contains 'å': only a-z, A-Z and 0-9 are allowed`)},
		{name: "accessId with space", edit: func(a *inventory.Access) { a.AccessID = "A 1" },
			want: p(`accessId: "A 1" contains ' ': only a-z, A-Z and 0-9 are allowed`)},
		{name: "legacyAccessId ON-API ID", edit: func(a *inventory.Access) { a.LegacyAccessID = "KGXF-49.861" }},
		{name: "legacyAccessId bad", edit: func(a *inventory.Access) { a.LegacyAccessID = "KGXF/1" },
			want: p(id + `legacyAccessId: "KGXF/1" is not an ON-API ID: 1 to 36 of a-z, A-Z, 0-9, '-' and '.'`)},
		{name: "legacyAccessId 37 characters", edit: func(a *inventory.Access) { a.LegacyAccessID = strings.Repeat("1", 37) },
			want: p(id + `legacyAccessId: "1111111111111111111111111111111111111" is not an ON-API ID: 1 to 36 of a-z, A-Z, 0-9, '-' and '.'`)},
		{name: "streetName missing", edit: func(a *inventory.Access) { a.StreetName = "" }, want: p(id + `streetName: is required`)},
		{name: "streetName with newline", edit: func(a *inventory.Access) { a.StreetName = "Test\nvägen" },
			want: p(id + `streetName: contains the control character '\n'`)},
		{name: "streetName with C1 control", edit: func(a *inventory.Access) { a.StreetName = "Test\u0085vägen" },
			want: p(id + `streetName: contains the control character '\u0085'`)},
		{name: "streetName 255 characters", edit: func(a *inventory.Access) { a.StreetName = strings.Repeat("ö", 255) }},
		{name: "streetName 256 characters", edit: func(a *inventory.Access) { a.StreetName = strings.Repeat("ö", 256) },
			want: p(id + `streetName: is 256 characters long, at most 255 are allowed`)},
		{name: "streetNumber absent", edit: func(a *inventory.Access) { a.StreetNumber = "" }},
		{name: "streetNumber 0", edit: func(a *inventory.Access) { a.StreetNumber = "0" }},
		{name: "streetNumber 65535", edit: func(a *inventory.Access) { a.StreetNumber = "65535" }},
		{name: "streetNumber 65536", edit: func(a *inventory.Access) { a.StreetNumber = "65536" },
			want: p(id + `streetNumber: "65536" is not a whole number from 0 to 65535`)},
		{name: "streetNumber with letter", edit: func(a *inventory.Access) { a.StreetNumber = "10G" },
			want: p(id + `streetNumber: "10G" is not a whole number from 0 to 65535`)},
		{name: "streetNumber negative", edit: func(a *inventory.Access) { a.StreetNumber = "-1" },
			want: p(id + `streetNumber: "-1" is not a whole number from 0 to 65535`)},
		{name: "streetNumber meter address", edit: func(a *inventory.Access) { a.StreetNumber = "550-70" },
			want: p(id + `streetNumber: "550-70" is not a whole number from 0 to 65535`)},
		{name: "streetLittera", edit: func(a *inventory.Access) { a.StreetLittera = "G" }},
		{name: "streetLittera with tab", edit: func(a *inventory.Access) { a.StreetLittera = "G\t" },
			want: p(id + `streetLittera: contains the control character '\t'`)},
		// PI V1 allows 00000, PI-API 2.3 and CSV 1.1 say "Min 10000" and
		// ON-API ^[1-9][0-9]{4}$: every access is exported in all of them.
		{name: "postalCode 00000", edit: func(a *inventory.Access) { a.PostalCode = "00000" },
			want: p(id + `postalCode: "00000" is below 10000, which PI-API and ON-API do not allow`)},
		{name: "postalCode 09999", edit: func(a *inventory.Access) { a.PostalCode = "09999" },
			want: p(id + `postalCode: "09999" is below 10000, which PI-API and ON-API do not allow`)},
		{name: "postalCode 10000", edit: func(a *inventory.Access) { a.PostalCode = "10000" }},
		{name: "postalCode 99999", edit: func(a *inventory.Access) { a.PostalCode = "99999" }},
		{name: "postalCode missing", edit: func(a *inventory.Access) { a.PostalCode = "" }, want: p(id + `postalCode: is required`)},
		{name: "postalCode four digits", edit: func(a *inventory.Access) { a.PostalCode = "1234" },
			want: p(id + `postalCode: "1234" is not five digits`)},
		{name: "postalCode six digits", edit: func(a *inventory.Access) { a.PostalCode = "123456" },
			want: p(id + `postalCode: "123456" is not five digits`)},
		{name: "postalCode letter", edit: func(a *inventory.Access) { a.PostalCode = "4136O" },
			want: p(id + `postalCode: "4136O" is not five digits`)},
		{name: "postalCode with space, not normalised", edit: func(a *inventory.Access) { a.PostalCode = "413 69" },
			want: p(id + `postalCode: "413 69" is not five digits`)},
		{name: "city missing", edit: func(a *inventory.Access) { a.City = "" }, want: p(id + `city: is required`)},
		{name: "city invalid UTF-8", edit: func(a *inventory.Access) { a.City = "G\xf6teborg" },
			want: p(id + `city: is not valid UTF-8 (at byte 2 of the value)`)},
		{name: "countryCode NO", edit: func(a *inventory.Access) { a.CountryCode = "NO" }},
		{name: "countryCode AX", edit: func(a *inventory.Access) { a.CountryCode = "AX" }},
		{name: "countryCode missing", edit: func(a *inventory.Access) { a.CountryCode = "" }, want: p(id + `countryCode: is required`)},
		{name: "countryCode unassigned", edit: func(a *inventory.Access) { a.CountryCode = "XX" },
			want: p(id + `countryCode: "XX" is not an ISO 3166-1 alpha-2 country code`)},
		{name: "countryCode user-assigned XK", edit: func(a *inventory.Access) { a.CountryCode = "XK" },
			want: p(id + `countryCode: "XK" is not an ISO 3166-1 alpha-2 country code`)},
		{name: "countryCode alpha-3", edit: func(a *inventory.Access) { a.CountryCode = "SWE" },
			want: p(id + `countryCode: "SWE" is not an ISO 3166-1 alpha-2 country code`)},
		{name: "countryCode lower case, not normalised", edit: func(a *inventory.Access) { a.CountryCode = "se" },
			want: p(id + `countryCode: "se" is not an ISO 3166-1 alpha-2 country code`)},
		// PI-API 2.3 feasibility.md: "at MDU_APARTMENT and MDU_COMMON
		// MduDistinguisher or MduApartmentNumber must be populated"; an
		// outlet is shown as the distinguisher.
		{name: "premisesType MDU_COMMON without apartment", format: inventory.JSON, edit: func(a *inventory.Access) {
			a.PremisesType, a.MDUApartmentNumber, a.MDUDistinguisher = inventory.MDUCommon, "", ""
		}, want: p(id + `mduApartmentNumber: premisesType MDU_COMMON needs mduApartmentNumber, mduDistinguisher or outlet`)},
		{name: "premisesType MDU_COMMON without apartment", format: inventory.CSV, edit: func(a *inventory.Access) {
			a.PremisesType, a.MDUApartmentNumber, a.MDUDistinguisher = inventory.MDUCommon, "", ""
		}, want: p(id + `mduApartmentNumber: premisesType MDU_COMMON needs mduApartmentNumber, mduDistinguisher or outletId`)},
		{name: "premisesType MDU_COMMON with an outlet", edit: func(a *inventory.Access) {
			a.PremisesType, a.MDUApartmentNumber, a.MDUDistinguisher, a.Outlet = inventory.MDUCommon, "", "", "Tvättstugan"
		}},
		{name: "premisesType MDU_TECHNICAL without apartment", format: inventory.JSON, edit: func(a *inventory.Access) {
			a.PremisesType, a.MDUApartmentNumber, a.MDUDistinguisher = inventory.MDUTechnical, "", ""
		}, want: p(id + `mduApartmentNumber: premisesType MDU_TECHNICAL needs mduApartmentNumber, mduDistinguisher or outlet`)},
		{name: "premisesType RESIDENTIAL_HOUSE", edit: func(a *inventory.Access) { a.PremisesType = inventory.ResidentialHouse }},
		{name: "premisesType COMMERCIAL", edit: func(a *inventory.Access) { a.PremisesType = inventory.Commercial }},
		{name: "premisesType PUBLIC", edit: func(a *inventory.Access) { a.PremisesType = inventory.Public }},
		{name: "premisesType MDU_TECHNICAL", edit: func(a *inventory.Access) { a.PremisesType = inventory.MDUTechnical }},
		{name: "premisesType UNKNOWN", edit: func(a *inventory.Access) { a.PremisesType = inventory.Unknown }},
		{name: "premisesType missing", edit: func(a *inventory.Access) { a.PremisesType = "" }, want: p(id + `premisesType: is required`)},
		{name: "premisesType bad JSON", format: inventory.JSON, edit: func(a *inventory.Access) { a.PremisesType = "FLAT" },
			want: p(id + `premisesType: "FLAT" is not MDU_APARTMENT, MDU_COMMON, MDU_TECHNICAL, RESIDENTIAL_HOUSE, COMMERCIAL, PUBLIC or UNKNOWN`)},
		{name: "premisesType bad CSV", format: inventory.CSV, edit: func(a *inventory.Access) { a.PremisesType = "23" },
			want: p(id + `premisesType: "23" is not MDU_APARTMENT, MDU_COMMON, MDU_TECHNICAL, RESIDENTIAL_HOUSE, COMMERCIAL, PUBLIC or UNKNOWN (nor a BYGGTYP code of the CSV 1.1 table)`)},
		{name: "mduApartmentNumber 0901", edit: func(a *inventory.Access) { a.MDUApartmentNumber = "0901" }},
		{name: "mduApartmentNumber three digits", edit: func(a *inventory.Access) { a.MDUApartmentNumber = "101" },
			want: p(id + `mduApartmentNumber: "101" is not four digits`)},
		{name: "mduApartmentNumber five digits", edit: func(a *inventory.Access) { a.MDUApartmentNumber = "10011" },
			want: p(id + `mduApartmentNumber: "10011" is not four digits`)},
		{name: "mduApartmentNumber letter on a house", edit: func(a *inventory.Access) {
			a.PremisesType, a.MDUApartmentNumber = inventory.ResidentialHouse, "10a1"
		}, want: p(id + `mduApartmentNumber: "10a1" is not four digits`)},
		{name: "MDU_APARTMENT with mduDistinguisher only", edit: func(a *inventory.Access) { a.MDUApartmentNumber = "" }},
		{name: "MDU_APARTMENT with mduApartmentNumber only", edit: func(a *inventory.Access) { a.MDUDistinguisher = "" }},
		{name: "MDU_APARTMENT with neither, JSON", format: inventory.JSON, edit: func(a *inventory.Access) {
			a.MDUApartmentNumber, a.MDUDistinguisher = "", ""
		}, want: p(id + `mduApartmentNumber: premisesType MDU_APARTMENT needs mduApartmentNumber or mduDistinguisher`)},
		{name: "MDU_APARTMENT with outlet only, JSON", format: inventory.JSON, edit: func(a *inventory.Access) {
			a.MDUApartmentNumber, a.MDUDistinguisher, a.Outlet = "", "", "A-11-14"
		}, want: p(id + `mduApartmentNumber: premisesType MDU_APARTMENT needs mduApartmentNumber or mduDistinguisher`)},
		{name: "MDU_APARTMENT with outletId only, CSV", format: inventory.CSV, edit: func(a *inventory.Access) {
			a.MDUApartmentNumber, a.MDUDistinguisher, a.Outlet = "", "", "A-11-14"
		}},
		{name: "MDU_APARTMENT with neither, CSV", format: inventory.CSV, edit: func(a *inventory.Access) {
			a.MDUApartmentNumber, a.MDUDistinguisher = "", ""
		}, want: p(id + `mduApartmentNumber: premisesType MDU_APARTMENT needs mduApartmentNumber, mduDistinguisher or outletId`)},
		{name: "activatable YES", edit: func(a *inventory.Access) { a.Activatable = inventory.Yes }},
		{name: "activatable 1970-01-01", edit: func(a *inventory.Access) { a.Activatable = "1970-01-01" }},
		{name: "activatable leap day", edit: func(a *inventory.Access) { a.Activatable = "2024-02-29" }},
		{name: "activatable 9999-12-31", edit: func(a *inventory.Access) { a.Activatable = "9999-12-31" }},
		{name: "activatable missing JSON", format: inventory.JSON, edit: func(a *inventory.Access) { a.Activatable = "" },
			want: p(id + `activatable: is required`)},
		{name: "activatable missing CSV", format: inventory.CSV, edit: func(a *inventory.Access) { a.Activatable = "" },
			want: p(id + `activationDate: is required`)},
		{name: "activatable 1969-12-31", format: inventory.JSON, edit: func(a *inventory.Access) { a.Activatable = "1969-12-31" },
			want: p(id + `activatable: "1969-12-31" is before 1970-01-01`)},
		{name: "activatable not a leap year", format: inventory.JSON, edit: func(a *inventory.Access) { a.Activatable = "2023-02-29" },
			want: p(id + `activatable: "2023-02-29" is not YES, NO or a date YYYY-MM-DD`)},
		{name: "activatable 31 April", format: inventory.JSON, edit: func(a *inventory.Access) { a.Activatable = "2024-04-31" },
			want: p(id + `activatable: "2024-04-31" is not YES, NO or a date YYYY-MM-DD`)},
		{name: "activatable short month", format: inventory.JSON, edit: func(a *inventory.Access) { a.Activatable = "2024-2-01" },
			want: p(id + `activatable: "2024-2-01" is not YES, NO or a date YYYY-MM-DD`)},
		{name: "activatable date-time", format: inventory.JSON, edit: func(a *inventory.Access) { a.Activatable = "2024-02-01T00:00:00Z" },
			want: p(id + `activatable: "2024-02-01T00:00:00Z" is not YES, NO or a date YYYY-MM-DD`)},
		{name: "activatable MAYBE", format: inventory.JSON, edit: func(a *inventory.Access) { a.Activatable = "MAYBE" },
			want: p(id + `activatable: "MAYBE" is not YES, NO or a date YYYY-MM-DD`)},
		{name: "activatable lower case, not normalised", format: inventory.JSON, edit: func(a *inventory.Access) { a.Activatable = "yes" },
			want: p(id + `activatable: "yes" is not YES, NO or a date YYYY-MM-DD`)},
		{name: "sellable YES", edit: func(a *inventory.Access) { a.Sellable = inventory.Yes }},
		{name: "sellable NO", edit: func(a *inventory.Access) { a.Sellable = inventory.No }},
		{name: "sellable missing JSON", format: inventory.JSON, edit: func(a *inventory.Access) { a.Sellable = "" },
			want: p(id + `sellable: is required`)},
		{name: "sellable bad CSV", format: inventory.CSV, edit: func(a *inventory.Access) { a.Sellable = "2012-13-01" },
			want: p(id + `salesStartDate: "2012-13-01" is not YES, NO or a date YYYY-MM-DD`)},
		{name: "sellable 0000-01-01", format: inventory.CSV, edit: func(a *inventory.Access) { a.Sellable = "0000-01-01" },
			want: p(id + `salesStartDate: "0000-01-01" is before 1970-01-01`)},
		{name: "coCpeSwitch only", edit: func(a *inventory.Access) { a.CPERouter, a.CPESwitch = "", "Zyxel GS1200-5" }},
		{name: "no CPE", edit: func(a *inventory.Access) { a.CPERouter = "" }},
		{name: "both CPEs", edit: func(a *inventory.Access) { a.CPESwitch = "Zyxel GS1200-5" },
			want: p(id + `coCpeRouter: only one of coCpeSwitch and coCpeRouter may be set`)},
		{name: "option82 missing", edit: func(a *inventory.Access) { a.Option82 = "" }, want: p(id + `option82: is required`)},
		{name: "option82 with NUL", edit: func(a *inventory.Access) { a.Option82 = "10.0.0.1\x00ge-0/0/1" },
			want: p(id + `option82: contains the control character '\x00'`)},
		{name: "dhcpIdentifier", edit: func(a *inventory.Access) {
			a.DHCPIdentifier = inventory.DHCPIdentifier{IPv4CircuitID: "ge-0/0/10", IPv4RemoteID: "192.168.248.85"}
		}},
		{name: "dhcpIdentifier circuit-id only", edit: func(a *inventory.Access) { a.DHCPIdentifier.IPv4CircuitID = "rl-down" }},
		{name: "dhcpIdentifier bad JSON", format: inventory.JSON, edit: func(a *inventory.Access) {
			a.DHCPIdentifier = inventory.DHCPIdentifier{IPv4CircuitID: "a\x7f", IPv4RemoteID: "b\x1b"}
		}, want: p(id+`dhcpIdentifier.ipv4CircuitId: contains the control character '\x7f'`,
			id+`dhcpIdentifier.ipv4RemoteId: contains the control character '\x1b'`)},
		{name: "dhcpIdentifier bad CSV", format: inventory.CSV, edit: func(a *inventory.Access) { a.DHCPIdentifier.IPv4RemoteID = "b\x1b" },
			want: p(id + `ipv4RemoteId: contains the control character '\x1b'`)},
		{name: "portSpeed 0", edit: func(a *inventory.Access) { a.PortSpeedMbps = 0 }},
		{name: "portSpeed 10000", edit: func(a *inventory.Access) { a.PortSpeedMbps = 10000 }},
		{name: "portSpeed negative", edit: func(a *inventory.Access) { a.PortSpeedMbps = -1 }, want: p(id + `portSpeed: -1 is negative`)},
		{name: "priceGroup negative", edit: func(a *inventory.Access) { a.PriceGroup = -2 }, want: p(id + `priceGroup: -2 is negative`)},
		{name: "accessState CONNECTED", edit: func(a *inventory.Access) { a.AccessState = inventory.AccessStateConnected }},
		{name: "accessState every value", edit: func(a *inventory.Access) { a.AccessState = "OUTMIGRATION" }},
		{name: "accessState bad", edit: func(a *inventory.Access) { a.AccessState = "ACTIVE" },
			want: p(id + `accessState: "ACTIVE" is not PLANNED, DEPLOYING, HOMESPASSED, CONNECTED, DISCONNECTED, INMIGRATION or OUTMIGRATION`)},
		{name: "nationalAddressUUID", edit: func(a *inventory.Access) { a.NationalAddressUUID = "1ce88c93-b310-11eb-bdc2-000c29f11131" }},
		{name: "nationalAddressUUID bad", edit: func(a *inventory.Access) { a.NationalAddressUUID = "1ce88c93b31011ebbdc2000c29f11131" },
			want: p(id + `nationalAddressUUID: "1ce88c93b31011ebbdc2000c29f11131" is not a UUID like 1ce88c93-b310-11eb-bdc2-000c29f11131`)},
		{name: "media, iptv, rfof", edit: func(a *inventory.Access) { a.Media, a.IPTV, a.RFoF = "FTTH", true, true }},
		{name: "everything wrong at once", format: inventory.JSON, edit: func(a *inventory.Access) {
			*a = inventory.Access{AccessID: "x_1", PostalCode: "1", CountryCode: "S", PremisesType: inventory.MDUApartment}
		}, want: p(
			`accessId: "x_1" contains '_': only a-z, A-Z and 0-9 are allowed`,
			`accessId "x_1": streetName: is required`,
			`accessId "x_1": postalCode: "1" is not five digits`,
			`accessId "x_1": city: is required`,
			`accessId "x_1": countryCode: "S" is not an ISO 3166-1 alpha-2 country code`,
			`accessId "x_1": mduApartmentNumber: premisesType MDU_APARTMENT needs mduApartmentNumber or mduDistinguisher`,
			`accessId "x_1": activatable: is required`,
			`accessId "x_1": sellable: is required`,
			`accessId "x_1": option82: is required`,
		)},
	}
}

func TestValidate(t *testing.T) {
	for _, tc := range validateCases() {
		for _, f := range []inventory.Format{inventory.CSV, inventory.JSON} {
			if tc.format != "" && tc.format != f {
				continue
			}
			t.Run(tc.name+"/"+string(f), func(t *testing.T) {
				a := validAccess()
				tc.edit(&a)
				got := problemStrings(t, inventory.Validate(a, f))
				if diff := cmp.Diff(tc.want, got); diff != "" {
					t.Errorf("Validate problems (-want +got):\n%s", diff)
				}
			})
		}
	}
}

func TestIsCountryCode(t *testing.T) {
	for _, c := range []string{"AD", "AX", "CW", "GB", "NO", "SE", "SS", "ZW", "FI", "DK", "DE"} {
		if !inventory.IsCountryCode(c) {
			t.Errorf("IsCountryCode(%q) = false, want true", c)
		}
	}
	for _, c := range []string{"", "S", "SWE", "se", "XK", "EU", "UK", "AA", "ZZ", "A", "QZ"} {
		if inventory.IsCountryCode(c) {
			t.Errorf("IsCountryCode(%q) = true, want false", c)
		}
	}
}

func TestNormalize(t *testing.T) {
	in := inventory.Access{
		AccessID: " A1 ", StreetName: "\tStorgatan ", StreetNumber: " 12", PostalCode: " 413 69 ",
		City: " Göteborg\u00a0", CountryCode: "se", PremisesType: "mdu_apartment", MDUApartmentNumber: "1001 ",
		Activatable: " yes", Sellable: "No", Option82: " 10.0.0.1 ge-0/0/1 ", AccessState: "connected",
		DHCPIdentifier: inventory.DHCPIdentifier{IPv4CircuitID: " ge-0/0/1", IPv4RemoteID: "10.0.0.1 "},
	}
	want := inventory.Access{
		AccessID: "A1", StreetName: "Storgatan", StreetNumber: "12", PostalCode: "41369",
		City: "Göteborg", CountryCode: "SE", PremisesType: inventory.MDUApartment, MDUApartmentNumber: "1001",
		Activatable: inventory.Yes, Sellable: inventory.No, Option82: "10.0.0.1 ge-0/0/1", AccessState: "CONNECTED",
		DHCPIdentifier: inventory.DHCPIdentifier{IPv4CircuitID: "ge-0/0/1", IPv4RemoteID: "10.0.0.1"},
	}
	got := inventory.Normalize(in)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Normalize (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(got, inventory.Normalize(got)); diff != "" {
		t.Errorf("Normalize is not idempotent (-want +got):\n%s", diff)
	}
	for in, want := range map[string]string{"12345": "12345", "123 45": "12345", "1234 5": "1234 5", "12  345": "12  345", "abc 45": "abc 45"} {
		a := inventory.Normalize(inventory.Access{PostalCode: in})
		if a.PostalCode != want {
			t.Errorf("Normalize(postalCode %q) = %q, want %q", in, a.PostalCode, want)
		}
	}
}

func TestProblemsError(t *testing.T) {
	one := inventory.Problem{Line: 7, AccessID: "A1", Field: "postalCode", Message: `"1234" is not five digits`}
	if got, want := one.Error(), `line 7: accessId "A1": postalCode: "1234" is not five digits`; got != want {
		t.Errorf("Problem.Error() = %q, want %q", got, want)
	}
	withColumn := inventory.Problem{Line: 3, Column: 9, Field: "foo", Message: "unknown key"}
	if got, want := withColumn.Error(), `line 3, column 9: foo: unknown key`; got != want {
		t.Errorf("Problem.Error() = %q, want %q", got, want)
	}
	ps := &inventory.Problems{}
	for i := range 60 {
		ps.List = append(ps.List, inventory.Problem{Line: i + 2, Message: "bad"})
	}
	got := strings.Split(ps.Error(), "\n")
	if len(got) != 52 || got[0] != "60 problems:" || got[1] != "\tline 2: bad" || got[51] != "\t… and 10 more" {
		t.Errorf("Problems.Error() with 60 problems:\n%s", ps.Error())
	}
	if got := (&inventory.Problems{List: []inventory.Problem{one}}).Error(); got != one.Error() {
		t.Errorf("Problems.Error() with one problem = %q, want %q", got, one.Error())
	}
}

func TestPremisesType(t *testing.T) {
	type res struct {
		PT inventory.PremisesType
		OK bool
	}
	got := map[inventory.PremisesType]res{}
	for _, p := range []inventory.PremisesType{inventory.MDUApartment, inventory.MDUCommon, inventory.MDUTechnical,
		inventory.ResidentialHouse, inventory.Commercial, inventory.Public, inventory.Unknown} {
		pt, ok := p.PIV1()
		got[p] = res{pt, ok}
	}
	want := map[inventory.PremisesType]res{
		inventory.MDUApartment: {inventory.MDUApartment, true}, inventory.MDUCommon: {inventory.MDUCommon, true},
		inventory.MDUTechnical: {inventory.MDUCommon, true}, inventory.ResidentialHouse: {inventory.ResidentialHouse, true},
		inventory.Commercial: {inventory.Commercial, true}, inventory.Public: {inventory.Public, true},
		inventory.Unknown: {inventory.Unknown, false},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("PIV1 (-want +got):\n%s", diff)
	}
}

func TestFromBYGGTYP(t *testing.T) {
	want := map[string]inventory.PremisesType{}
	for _, c := range []string{"01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12", "13", "14",
		"15", "16", "17", "18", "19", "20", "21", "22", "24"} {
		want[c] = inventory.Public
	}
	want["30"], want["31"] = inventory.ResidentialHouse, inventory.ResidentialHouse
	want["32"], want["33"], want["35"] = inventory.MDUApartment, inventory.MDUApartment, inventory.MDUApartment
	for n := 40; n <= 53; n++ {
		want[string(rune('0'+n/10))+string(rune('0'+n%10))] = inventory.Commercial
	}
	want["99"] = inventory.Unknown
	got := map[string]inventory.PremisesType{}
	for n := -1; n <= 100; n++ {
		for _, code := range []string{fmtCode(n), fmtCode(n) + " "} {
			if p, ok := inventory.FromBYGGTYP(code); ok {
				got[code] = p
			}
		}
	}
	for _, code := range []string{"", "1", "001", "3a", "+1", "ab"} {
		if p, ok := inventory.FromBYGGTYP(code); ok {
			got[code] = p
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("FromBYGGTYP (-want +got):\n%s", diff)
	}
}

func fmtCode(n int) string {
	if n < 0 {
		return "-1"
	}
	if n < 10 {
		return "0" + string(rune('0'+n))
	}
	return string(rune('0'+n/10)) + string(rune('0'+n%10))
}

func TestPIV1MDUDistinguisher(t *testing.T) {
	for _, tc := range []struct {
		pt              inventory.PremisesType
		number, d, want string
	}{
		{inventory.MDUApartment, "", "", "A-11-14"},
		{inventory.MDUApartment, "1001", "", ""},
		{inventory.MDUApartment, "", "65113", "65113"},
		{inventory.ResidentialHouse, "", "", ""},
	} {
		a := inventory.Access{PremisesType: tc.pt, MDUApartmentNumber: tc.number, MDUDistinguisher: tc.d, Outlet: "A-11-14"}
		if got := a.PIV1MDUDistinguisher(); got != tc.want {
			t.Errorf("PIV1MDUDistinguisher(%s, %q, %q) = %q, want %q", tc.pt, tc.number, tc.d, got, tc.want)
		}
	}
}
