package inventory_test

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/stadsnat/accessd/store/inventory"
)

// onapiExample is ON-API 2.6's access example extended with the fields
// accessd needs.
const onapiExample = `{
    "accessId": "8732c2f065e2490babce820e94b1011a",
    "legacyAccessId": "KGXF49861",
    "streetName": "Testvägen",
    "streetNumber": "100",
    "streetLittera": "",
    "postalCode": "10000",
    "city": "Ankeborg",
    "countryCode": "SE",
    "premisesType": "MDU_APARTMENT",
    "mduApartmentNumber": "1001",
    "mduDistinguisher": "12121212",
    "outlet": "A-11-14",
    "population": "Hemsöhem",
    "priceGroup": 0,
    "accessState": "CONNECTED",
    "nationalAddressUUID": "1ce88c93-b310-11eb-bdc2-000c29f11131",
    "activatable": "YES",
    "sellable": "2012-03-01",
    "option82": "192.168.248.85 ge-0/0/10",
    "dhcpIdentifier": {"ipv4CircuitId": "ge-0/0/10", "ipv4RemoteId": "192.168.248.85"},
    "coFiberConverter": "LASER_3001X_MK2",
    "coCpeSwitch": "",
    "coCpeRouter": "NETGEAR WNDR4000",
    "portSpeed": 1000,
    "media": "FTTH",
    "iptv": true,
    "rfof": false
}`

func onapiAccess() inventory.Access {
	return inventory.Access{
		AccessID: "8732c2f065e2490babce820e94b1011a", LegacyAccessID: "KGXF49861", StreetName: "Testvägen",
		StreetNumber: "100", PostalCode: "10000", City: "Ankeborg", CountryCode: "SE",
		PremisesType: inventory.MDUApartment, MDUApartmentNumber: "1001", MDUDistinguisher: "12121212",
		Outlet: "A-11-14", Population: "Hemsöhem", AccessState: "CONNECTED",
		NationalAddressUUID: "1ce88c93-b310-11eb-bdc2-000c29f11131", Activatable: "YES", Sellable: "2012-03-01",
		Option82:       "192.168.248.85 ge-0/0/10",
		DHCPIdentifier: inventory.DHCPIdentifier{IPv4CircuitID: "ge-0/0/10", IPv4RemoteID: "192.168.248.85"},
		FiberConverter: "LASER_3001X_MK2", CPERouter: "NETGEAR WNDR4000", PortSpeedMbps: 1000, Media: "FTTH", IPTV: true,
	}
}

// small is a minimal valid access object on one line, with %s for the id
// and option82.
func small(id string) string {
	return `{"accessId":"` + id + `","streetName":"Gatan","postalCode":"12345","city":"Stad","countryCode":"SE",` +
		`"premisesType":"PUBLIC","activatable":"YES","sellable":"YES","option82":"o82 ` + id + `"}`
}

func smallAccess(id string) inventory.Access {
	return inventory.Access{AccessID: id, StreetName: "Gatan", PostalCode: "12345", City: "Stad", CountryCode: "SE",
		PremisesType: inventory.Public, Activatable: "YES", Sellable: "YES", Option82: "o82 " + id}
}

func TestReadJSONGood(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     []lineAccess
	}{
		{"one object", onapiExample, []lineAccess{{1, onapiAccess()}}},
		{"array", "[\n" + onapiExample + ",\n  " + small("B1") + "\n]\n", []lineAccess{{2, onapiAccess()}, {31, smallAccess("B1")}}},
		{"empty array", " [ ] ", nil},
		{"BOM and CRLF", "\ufeff[\r\n" + small("B1") + ",\r\n\r\n" + small("B2") + "]\r\n",
			[]lineAccess{{2, smallAccess("B1")}, {4, smallAccess("B2")}}},
		{"leading space", "\n\n\t " + small("B1"), []lineAccess{{3, smallAccess("B1")}}},
		{"nulls", `{"accessId":"B1","streetName":"Gatan","postalCode":"12345","city":"Stad","countryCode":"SE",` +
			`"premisesType":"PUBLIC","activatable":"YES","sellable":"YES","option82":"o82 B1","streetNumber":null,` +
			`"dhcpIdentifier":null,"portSpeed":null,"iptv":null,"legacyAccessId":null}`, []lineAccess{{1, smallAccess("B1")}}},
		{"numbers for number-like fields, escapes, normalisation", `{"accessId":" B1 ","streetName":"G\u00e5tan \"\/\"",` +
			`"streetNumber":12,"postalCode":"123 45","city":"Stad","countryCode":"se","premisesType":"mdu_apartment",` +
			`"mduApartmentNumber":1001,"activatable":"yes","sellable":"2030-01-01","option82":"o82 B1",` +
			`"dhcpIdentifier":{},"rfof":true,"priceGroup":2}`,
			[]lineAccess{{1, inventory.Access{AccessID: "B1", StreetName: `Gåtan "/"`, StreetNumber: "12", PostalCode: "12345",
				City: "Stad", CountryCode: "SE", PremisesType: inventory.MDUApartment, MDUApartmentNumber: "1001",
				Activatable: "YES", Sellable: "2030-01-01", Option82: "o82 B1", RFoF: true, PriceGroup: 2}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, problems := readAll(t, inventory.JSON, tc.in)
			if problems != nil {
				t.Fatalf("problems: %q", problems)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("ReadJSON (-want +got):\n%s", diff)
			}
		})
	}
}

// badJSONCases are inputs with every kind of fault and the problems each
// must give.
func badJSONCases() []struct {
	name, in string
	want     []string
} {
	const head = `{"accessId":"B1","streetName":"Gatan","postalCode":"12345","city":"Stad","countryCode":"SE","premisesType":"PUBLIC","activatable":"YES","sellable":"YES","option82":"o82"`
	return []struct {
		name, in string
		want     []string
	}{
		{"empty", "", []string{`line 1: the file is empty: a JSON object or an array of objects is needed`}},
		{"only space", " \n\t", []string{`line 1: the file is empty: a JSON object or an array of objects is needed`}},
		{"not JSON", "accessId,streetName\n", []string{`line 1, column 1: found 'a' where a JSON object or an array of objects should start`}},
		{"a string", `  "x"`, []string{`line 1, column 3: found '"' where a JSON object or an array of objects should start`}},
		{"unknown key", head + `,"services":[{"service":"BB-100-100"}]}`,
			[]string{`line 1, column 171: accessId "B1": services: unknown key`}},
		{"unknown key, other case", head + `,"PortSpeed":100}`,
			[]string{`line 1, column 171: accessId "B1": PortSpeed: unknown key (did you mean "portSpeed"?)`}},
		{"PI V1 key names", `{"AccessId":"B1"}`, []string{
			`line 1, column 2: AccessId: unknown key (did you mean "accessId"?)`,
			`line 1, column 1: accessId: is required`,
			`line 1, column 1: streetName: is required`,
			`line 1, column 1: postalCode: is required`,
			`line 1, column 1: city: is required`,
			`line 1, column 1: countryCode: is required`,
			`line 1, column 1: premisesType: is required`,
			`line 1, column 1: activatable: is required`,
			`line 1, column 1: sellable: is required`,
			`line 1, column 1: option82: is required`,
		}},
		{"repeated key", "{\n" + `"accessId":"B1",` + "\n" + head[1:] + "}", []string{
			`line 3, column 1: accessId: key appears twice in the object (its first value is at line 2, column 12)`}},
		{"wrong types", head + `,"streetNumber":true,"portSpeed":"100","iptv":"YES","city2":1,"dhcpIdentifier":"sw p1","priceGroup":1.5}`,
			[]string{
				`line 1, column 186: accessId "B1": streetNumber: must be a string, not a boolean`,
				`line 1, column 203: accessId "B1": portSpeed: must be a number, not a string`,
				`line 1, column 216: accessId "B1": iptv: must be true or false, not a string`,
				`line 1, column 222: accessId "B1": city2: unknown key`,
				`line 1, column 249: accessId "B1": dhcpIdentifier: must be an object, not a string`,
				`line 1, column 270: accessId "B1": priceGroup: "1.5" is not a whole number`,
			}},
		{"string for a string-only field", head + `,"city":12345}`, []string{
			`line 1, column 171: accessId "B1": city: key appears twice in the object (its first value is at line 1, column 67)`}},
		{"number for a string-only field", strings.Replace(head, `"city":"Stad"`, `"city":12345`, 1) + "}", []string{
			`line 1, column 67: accessId "B1": city: must be a string, not a number`}},
		{"dhcpIdentifier keys", head + `,"dhcpIdentifier":{"ipv4CircuitId":"p1","ipv6InterfaceId":"x","circuit":"y","ipv4CircuitId":"p2","ipv4RemoteId":7}}`,
			[]string{
				`line 1, column 210: accessId "B1": dhcpIdentifier.ipv6InterfaceId: is not supported: accessd knows DHCPv4 only`,
				`line 1, column 232: accessId "B1": dhcpIdentifier.circuit: unknown key`,
				`line 1, column 246: accessId "B1": dhcpIdentifier.ipv4CircuitId: key appears twice in the object (its first value is at line 1, column 205)`,
				`line 1, column 282: accessId "B1": dhcpIdentifier.ipv4RemoteId: must be a string, not a number`,
			}},
		{"invalid UTF-8", strings.Replace(head, "Gatan", "G\xe5tan", 1) + "}", []string{
			`line 1, column 31: accessId "B1": streetName: is not valid UTF-8`}},
		{"validation at the value", "[\n" + small("B1") + ",\n{\n  \"accessId\": \"B-2\",\n  \"postalCode\": \"1234\",\n" +
			"  \"dhcpIdentifier\": {\"ipv4CircuitId\": \"p\\u0001\"}\n}]",
			[]string{
				`line 4, column 15: accessId: "B-2" contains '-': only a-z, A-Z and 0-9 are allowed`,
				`line 3, column 1: accessId "B-2": streetName: is required`,
				`line 5, column 17: accessId "B-2": postalCode: "1234" is not five digits`,
				`line 3, column 1: accessId "B-2": city: is required`,
				`line 3, column 1: accessId "B-2": countryCode: is required`,
				`line 3, column 1: accessId "B-2": premisesType: is required`,
				`line 3, column 1: accessId "B-2": activatable: is required`,
				`line 3, column 1: accessId "B-2": sellable: is required`,
				`line 3, column 1: accessId "B-2": option82: is required`,
				`line 6, column 39: accessId "B-2": dhcpIdentifier.ipv4CircuitId: contains the control character '\x01'`,
			}},
		{"not an object in the array", "[" + small("B1") + ",\n 42, null, [], \"x\"]", []string{
			`line 2, column 2: found a number where an access object should be`,
			`line 2, column 6: found null where an access object should be`,
			`line 2, column 12: found an array where an access object should be`,
			`line 2, column 16: found a string where an access object should be`,
		}},
		{"syntax error in a value", "[\n" + small("B1") + ",\n" + `{"accessId": "B2", "city": Stad}` + "\n]", []string{
			`line 3, column 28: invalid JSON: invalid character 'S' looking for beginning of value`}},
		{"bad escape", "[" + small("B1") + ",\n\n" + `  {"accessId": "B\q"}]`, []string{
			`line 3, column 19: invalid JSON: invalid character 'q' in string escape code`}},
		{"missing comma", "[" + small("B1") + "\n  " + small("B2") + "]", []string{
			`line 2, column 3: invalid JSON: expected comma after array element`}},
		{"cut off", "[" + small("B1") + ",\n" + `{"accessId": "B2", "ci`, []string{
			`line 2, column 23: invalid JSON: the input ends in the middle of a value`}},
		{"array not closed", "[" + small("B1") + "\n", []string{
			`line 2, column 1: invalid JSON: the input ends in the middle of a value`}},
		{"wrong closing bracket", "[" + small("B1") + "}", []string{
			`line 1, column 175: invalid JSON: invalid character '}' after array element`}},
		{"trailing data", "[" + small("B1") + "]\n ]", []string{`line 2, column 2: found ']' after the end of the JSON value`}},
		{"two objects", small("B1") + "\n" + small("B2"), []string{`line 2, column 1: found '{' after the end of the JSON value`}},
		{"duplicates", "[" + small("B1") + ",\n" + small("B2") + ",\n" + small("B1") + ",\n" +
			strings.Replace(small("B4"), "o82 B4", "o82 B2", 1) + "]", []string{
			`line 3: accessId: "B1" is also on line 1`,
			`line 3: accessId "B1": option82: "o82 B1" is also used on line 1 by accessId "B1"`,
			`line 4: accessId "B4": option82: "o82 B2" is also used on line 2 by accessId "B2"`,
		}},
	}
}

func TestReadJSONBad(t *testing.T) {
	for _, tc := range badJSONCases() {
		t.Run(tc.name, func(t *testing.T) {
			_, problems := readAll(t, inventory.JSON, tc.in)
			if diff := cmp.Diff(tc.want, problems); diff != "" {
				t.Errorf("problems (-want +got):\n%s\ninput:\n%s", diff, tc.in)
			}
		})
	}
}

// TestReadJSONGoodAfterBad: good objects after a bad one are still yielded.
func TestReadJSONGoodAfterBad(t *testing.T) {
	in := "[" + small("B1") + ",\n" + `{"accessId":"B2"}` + ",\n" + small("B3") + "]"
	got, problems := readAll(t, inventory.JSON, in)
	if len(problems) == 0 {
		t.Error("no problems")
	}
	if diff := cmp.Diff([]lineAccess{{1, smallAccess("B1")}, {3, smallAccess("B3")}}, got); diff != "" {
		t.Errorf("yielded (-want +got):\n%s", diff)
	}
}

// TestJSONRoundTrip: JSON → Access → JSON → Access gives equal accesses and
// the same bytes.
func TestJSONRoundTrip(t *testing.T) {
	first, problems := readAll(t, inventory.JSON, "["+onapiExample+","+small("B1")+"]")
	if problems != nil {
		t.Fatalf("problems: %q", problems)
	}
	var out1, out2 bytes.Buffer
	if err := inventory.WriteJSON(&out1, accessesOf(first)); err != nil {
		t.Fatal(err)
	}
	second, problems := readAll(t, inventory.JSON, out1.String())
	if problems != nil {
		t.Fatalf("problems reading the written JSON: %q", problems)
	}
	if diff := cmp.Diff(accessList(first), accessList(second)); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	if err := inventory.WriteJSON(&out2, accessesOf(second)); err != nil {
		t.Fatal(err)
	}
	if out1.String() != out2.String() {
		t.Errorf("second write differs:\n%s\n%s", out1.String(), out2.String())
	}
	var empty bytes.Buffer
	if err := inventory.WriteJSON(&empty, slices.Values([]inventory.Access(nil))); err != nil || empty.String() != "[]\n" {
		t.Errorf("WriteJSON of nothing = %q, %v; want \"[]\\n\"", empty.String(), err)
	}
}
