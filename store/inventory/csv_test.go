package inventory_test

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/stadsnat/accessd/store/inventory"
)

// specExample is the example of CSV Access Upload API 1.1, verbatim.
const specExample = `accessId,streetName,streetNumber,streetLittera,postalCode,city,countryCode,premisesType,mduApartmentNumber,mduDistinguisher,outletId,population,option82,coFiberConverter,coCpeSwitch,coCpeRouter,activationDate,salesStartDate,portSpeed,iptv,rfof
2222,TESTVÄGEN,6,D,10000,ANKEBORG,SE,MDU_APARTMENT,1002,,ABC1,pop1,abc123,LASER_3001X_MK2,,NETGEAR_WNDR4000,YES,YES,100,YES,NO
3333,ALLMÄNNINGSGATAN,4,,10001,KRÖSUSKÖPING,SE,MDU_APARTMENT,,0101C11,ABC2,pop1,jkl999,LASER_3001X_MK2,,NETGEAR_WNDR4000,YES,YES,1000,YES,YES
4444,SPECIALISTVÄGEN,5,,10002,SKUTTBY,SE,RESIDENTIAL_HOUSE,,,ABC3,pop1,def456,LASER_3001X_MK2,,NETGEAR_WNDR4000,YES,YES,100,NO,NO
5555,PRODUKTIONSVÄGEN,2,,10003,BAMSESJÖ,SE,RESIDENTIAL_HOUSE,,,ABC4,pop1,ghi789,LASER_3001X_MK2,,NETGEAR_WNDR4000,YES,YES,1000,NO,YES
`

func specExampleAccesses() []lineAccess {
	base := func(id, street, number, postal, city string, pt inventory.PremisesType, outlet, opt82 string, speed int, iptv, rfof bool) inventory.Access {
		return inventory.Access{
			AccessID: id, StreetName: street, StreetNumber: number, PostalCode: postal, City: city, CountryCode: "SE",
			PremisesType: pt, Outlet: outlet, Population: "pop1", Option82: opt82, FiberConverter: "LASER_3001X_MK2",
			CPERouter: "NETGEAR_WNDR4000", Activatable: inventory.Yes, Sellable: inventory.Yes,
			PortSpeedMbps: speed, IPTV: iptv, RFoF: rfof,
		}
	}
	a := base("2222", "TESTVÄGEN", "6", "10000", "ANKEBORG", inventory.MDUApartment, "ABC1", "abc123", 100, true, false)
	a.StreetLittera, a.MDUApartmentNumber = "D", "1002"
	b := base("3333", "ALLMÄNNINGSGATAN", "4", "10001", "KRÖSUSKÖPING", inventory.MDUApartment, "ABC2", "jkl999", 1000, true, true)
	b.MDUDistinguisher = "0101C11"
	return []lineAccess{
		{2, a}, {3, b},
		{4, base("4444", "SPECIALISTVÄGEN", "5", "10002", "SKUTTBY", inventory.ResidentialHouse, "ABC3", "def456", 100, false, false)},
		{5, base("5555", "PRODUKTIONSVÄGEN", "2", "10003", "BAMSESJÖ", inventory.ResidentialHouse, "ABC4", "ghi789", 1000, false, true)},
	}
}

type lineAccess struct {
	Line   int
	Access inventory.Access
}

// readAll reads an inventory and returns what was yielded and the rendered
// problems.
func readAll(t *testing.T, f inventory.Format, in string) ([]lineAccess, []string) {
	t.Helper()
	var got []lineAccess
	err := inventory.Read(f, strings.NewReader(in), func(line int, a inventory.Access) error {
		if err := inventory.Validate(a, f); err != nil {
			t.Errorf("line %d: yielded access does not validate: %v", line, err)
		}
		got = append(got, lineAccess{line, a})
		return nil
	})
	return got, problemStrings(t, err)
}

func TestReadCSVSpecExample(t *testing.T) {
	got, problems := readAll(t, inventory.CSV, specExample)
	if problems != nil {
		t.Fatalf("problems: %q", problems)
	}
	if diff := cmp.Diff(specExampleAccesses(), got); diff != "" {
		t.Errorf("ReadCSV (-want +got):\n%s", diff)
	}
}

// TestReadCSVEncodings reads the same inventory with a byte-order mark, CRLF
// line ends, both, and blank lines: the accesses and lines are the same.
func TestReadCSVEncodings(t *testing.T) {
	want := specExampleAccesses()
	crlf := strings.ReplaceAll(specExample, "\n", "\r\n")
	for name, in := range map[string]string{
		"BOM":               "\ufeff" + specExample,
		"CRLF":              crlf,
		"BOM+CRLF":          "\ufeff" + crlf,
		"no final line end": strings.TrimSuffix(specExample, "\n"),
	} {
		t.Run(name, func(t *testing.T) {
			got, problems := readAll(t, inventory.CSV, in)
			if problems != nil {
				t.Fatalf("problems: %q", problems)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("ReadCSV (-want +got):\n%s", diff)
			}
		})
	}
}

// TestReadCSVFeatures: columns in any order and case, quoting, BYGGTYP codes,
// postal codes with a space, the extra columns, multi-line records.
func TestReadCSVFeatures(t *testing.T) {
	in := "OPTION82 , accessid,premisesType,streetName,postalCode,city,countryCode,activationDate,salesStartDate,mduApartmentNumber,portSpeed,iptv,rfof,ipv4CircuitId,ipv4RemoteId,legacyAccessId,priceGroup,accessState,nationalAddressUUID,media\n" +
		`"10.0.0.1 ge-0/0/1",A1,33,"Storgatan, norra",413 69,Göteborg,se,yes,2024-05-01,1001,1000,YES,yes,ge-0/0/1,10.0.0.1,OLD-1.2,3,connected,1ce88c93-b310-11eb-bdc2-000c29f11131,FTTH` + "\n" +
		"\n" + // a blank line is skipped
		`10.0.0.1 ge-0/0/2,A2,30,"Gatan ""Lilla""", 41369 ,Göteborg,SE,NO,NO,,"100` + "\n" + `",  ,"YES` + "\r\n" + `",,,,,,,` + "\n" +
		`10.0.0.1 ge-0/0/3,A3,99,Byvägen,12345,By,SE,2030-01-01,YES,,,no,,,,,,,,` + "\n" +
		`10.0.0.1 ge-0/0/4,A4,MDU_TECHNICAL,Byvägen,12345,By,SE,YES,YES,0001,,,,,,,,,,` + "\n" +
		`10.0.0.1 ge-0/0/5,A5,public,Byvägen,12345,By,SE,YES,YES,,,,,,,,,,,` + "\n"
	common := func(a inventory.Access) inventory.Access {
		if a.CountryCode == "" {
			a.CountryCode = "SE"
		}
		return a
	}
	want := []lineAccess{
		{2, common(inventory.Access{Option82: "10.0.0.1 ge-0/0/1", AccessID: "A1", PremisesType: inventory.MDUApartment,
			StreetName: "Storgatan, norra", PostalCode: "41369", City: "Göteborg", Activatable: "YES", Sellable: "2024-05-01",
			MDUApartmentNumber: "1001", PortSpeedMbps: 1000, IPTV: true, RFoF: false,
			DHCPIdentifier: inventory.DHCPIdentifier{IPv4CircuitID: "ge-0/0/1", IPv4RemoteID: "10.0.0.1"},
			LegacyAccessID: "OLD-1.2", PriceGroup: 3, AccessState: "CONNECTED",
			NationalAddressUUID: "1ce88c93-b310-11eb-bdc2-000c29f11131", Media: "FTTH"})},
		{4, common(inventory.Access{Option82: "10.0.0.1 ge-0/0/2", AccessID: "A2", PremisesType: inventory.ResidentialHouse,
			StreetName: `Gatan "Lilla"`, PostalCode: "41369", City: "Göteborg", Activatable: "NO", Sellable: "NO",
			PortSpeedMbps: 100, IPTV: false, RFoF: true})},
		{7, common(inventory.Access{Option82: "10.0.0.1 ge-0/0/3", AccessID: "A3", PremisesType: inventory.Unknown,
			StreetName: "Byvägen", PostalCode: "12345", City: "By", Activatable: "2030-01-01", Sellable: "YES"})},
		{8, common(inventory.Access{Option82: "10.0.0.1 ge-0/0/4", AccessID: "A4", PremisesType: inventory.MDUTechnical,
			MDUApartmentNumber: "0001", StreetName: "Byvägen", PostalCode: "12345", City: "By", Activatable: "YES", Sellable: "YES"})},
		{9, common(inventory.Access{Option82: "10.0.0.1 ge-0/0/5", AccessID: "A5", PremisesType: inventory.Public,
			StreetName: "Byvägen", PostalCode: "12345", City: "By", Activatable: "YES", Sellable: "YES"})},
	}
	got, problems := readAll(t, inventory.CSV, in)
	if problems != nil {
		t.Fatalf("problems: %q", problems)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ReadCSV (-want +got):\n%s", diff)
	}
}

func TestReadCSVBYGGTYP(t *testing.T) {
	var b strings.Builder
	b.WriteString("accessId,streetName,postalCode,city,countryCode,premisesType,option82,activationDate,salesStartDate,outletId\n")
	codes := []string{"01", "19", "24", "30", "31", "32", "33", "35", "40", "53", "99"}
	for i, c := range codes {
		b.WriteString("A" + c + ",Gatan,12345,Stad,SE," + c + ",o82-" + c + ",YES,YES,U" + string(rune('0'+i%10)) + "\n")
	}
	got, problems := readAll(t, inventory.CSV, b.String())
	if problems != nil {
		t.Fatalf("problems: %q", problems)
	}
	gotTypes := map[string]inventory.PremisesType{}
	for _, la := range got {
		gotTypes[la.Access.AccessID[1:]] = la.Access.PremisesType
	}
	want := map[string]inventory.PremisesType{
		"01": inventory.Public, "19": inventory.Public, "24": inventory.Public, "30": inventory.ResidentialHouse,
		"31": inventory.ResidentialHouse, "32": inventory.MDUApartment, "33": inventory.MDUApartment,
		"35": inventory.MDUApartment, "40": inventory.Commercial, "53": inventory.Commercial, "99": inventory.Unknown,
	}
	if diff := cmp.Diff(want, gotTypes); diff != "" {
		t.Errorf("BYGGTYP mapping (-want +got):\n%s", diff)
	}
}

const csvHeader = "accessId,streetName,streetNumber,postalCode,city,countryCode,premisesType,mduApartmentNumber,mduDistinguisher,outletId,option82,coCpeSwitch,coCpeRouter,activationDate,salesStartDate,portSpeed,iptv,rfof\n"

// badCSVCases are rows of every kind of mistake, each with the problems it
// must give. The rows follow csvHeader on line 2.
func badCSVCases() []struct {
	name, row string
	want      []string
} {
	return []struct {
		name, row string
		want      []string
	}{
		{"accessId with dash", "A-1,Gatan,1,12345,Stad,SE,RESIDENTIAL_HOUSE,,,,o1,,,YES,YES,,,\n",
			[]string{`line 2: accessId: "A-1" contains '-': only a-z, A-Z and 0-9 are allowed`}},
		{"accessId missing", ",Gatan,1,12345,Stad,SE,RESIDENTIAL_HOUSE,,,,o1,,,YES,YES,,,\n",
			[]string{`line 2: accessId: is required`}},
		{"postal code", "A1,Gatan,1,1234,Stad,SE,RESIDENTIAL_HOUSE,,,,o1,,,YES,YES,,,\n",
			[]string{`line 2: accessId "A1": postalCode: "1234" is not five digits`}},
		{"postal code with two spaces", "A1,Gatan,1,12 3 45,Stad,SE,RESIDENTIAL_HOUSE,,,,o1,,,YES,YES,,,\n",
			[]string{`line 2: accessId "A1": postalCode: "12 3 45" is not five digits`}},
		{"street number", "A1,Gatan,10G,12345,Stad,SE,RESIDENTIAL_HOUSE,,,,o1,,,YES,YES,,,\n",
			[]string{`line 2: accessId "A1": streetNumber: "10G" is not a whole number from 0 to 65535`}},
		{"country", "A1,Gatan,1,12345,Stad,Sverige,RESIDENTIAL_HOUSE,,,,o1,,,YES,YES,,,\n",
			[]string{`line 2: accessId "A1": countryCode: "SVERIGE" is not an ISO 3166-1 alpha-2 country code`}},
		{"premises type", "A1,Gatan,1,12345,Stad,SE,VILLA,,,,o1,,,YES,YES,,,\n",
			[]string{`line 2: accessId "A1": premisesType: "VILLA" is not MDU_APARTMENT, MDU_COMMON, MDU_TECHNICAL, RESIDENTIAL_HOUSE, COMMERCIAL, PUBLIC or UNKNOWN (nor a BYGGTYP code of the CSV 1.1 table)`}},
		{"BYGGTYP not in the table", "A1,Gatan,1,12345,Stad,SE,23,,,,o1,,,YES,YES,,,\n",
			[]string{`line 2: accessId "A1": premisesType: "23" is not MDU_APARTMENT, MDU_COMMON, MDU_TECHNICAL, RESIDENTIAL_HOUSE, COMMERCIAL, PUBLIC or UNKNOWN (nor a BYGGTYP code of the CSV 1.1 table)`}},
		{"apartment without number", "A1,Gatan,1,12345,Stad,SE,MDU_APARTMENT,,,,o1,,,YES,YES,,,\n",
			[]string{`line 2: accessId "A1": mduApartmentNumber: premisesType MDU_APARTMENT needs mduApartmentNumber, mduDistinguisher or outletId`}},
		{"apartment number", "A1,Gatan,1,12345,Stad,SE,MDU_APARTMENT,101,,,o1,,,YES,YES,,,\n",
			[]string{`line 2: accessId "A1": mduApartmentNumber: "101" is not four digits`}},
		{"both CPEs", "A1,Gatan,1,12345,Stad,SE,RESIDENTIAL_HOUSE,,,,o1,GS105,R7000,YES,YES,,,\n",
			[]string{`line 2: accessId "A1": coCpeRouter: only one of coCpeSwitch and coCpeRouter may be set`}},
		{"dates", "A1,Gatan,1,12345,Stad,SE,RESIDENTIAL_HOUSE,,,,o1,,,2023-02-29,1969-12-31,,,\n",
			[]string{`line 2: accessId "A1": activationDate: "2023-02-29" is not YES, NO or a date YYYY-MM-DD`,
				`line 2: accessId "A1": salesStartDate: "1969-12-31" is before 1970-01-01`}},
		{"missing dates", "A1,Gatan,1,12345,Stad,SE,RESIDENTIAL_HOUSE,,,,o1,,,,,,,\n",
			[]string{`line 2: accessId "A1": activationDate: is required`, `line 2: accessId "A1": salesStartDate: is required`}},
		{"option82 missing", "A1,Gatan,1,12345,Stad,SE,RESIDENTIAL_HOUSE,,,,,,,YES,YES,,,\n",
			[]string{`line 2: accessId "A1": option82: is required`}},
		{"portSpeed not a number", "A1,Gatan,1,12345,Stad,SE,RESIDENTIAL_HOUSE,,,,o1,,,YES,YES,1 Gbit,,\n",
			[]string{`line 2: accessId "A1": portSpeed: "1 Gbit" is not a whole number of Mbit/s`}},
		{"portSpeed negative", "A1,Gatan,1,12345,Stad,SE,RESIDENTIAL_HOUSE,,,,o1,,,YES,YES,-100,,\n",
			[]string{`line 2: accessId "A1": portSpeed: -100 is negative`}},
		{"too few fields", "A1,Gatan,1,12345,Stad,SE,RESIDENTIAL_HOUSE,,,,o1,,,YES,YES\n",
			[]string{`line 2: the row has 15 fields, the header has 18`}},
		{"too many fields", "A1,Gatan,1,12345,Stad,SE,RESIDENTIAL_HOUSE,,,,o1,,,YES,YES,,,,\n",
			[]string{`line 2: the row has 19 fields, the header has 18`}},
		{"bare quote", "A1,Gat\"an,1,12345,Stad,SE,RESIDENTIAL_HOUSE,,,,o1,,,YES,YES,,,\n",
			[]string{`line 2, column 7: a quote (") inside a field that is not quoted: quote the whole field and double the quote`}},
		{"Latin-1", "A1,G\xf6tgatan,1,12345,Stad,SE,RESIDENTIAL_HOUSE,,,,o1,,,YES,YES,,,\n",
			[]string{`line 2: accessId "A1": streetName: is not valid UTF-8 (at byte 2 of the value)`}},
		{"unclosed quote at the end", "A1,\"Gatan,1,12345,Stad,SE,RESIDENTIAL_HOUSE,,,,o1,,,YES,YES,,,\n",
			[]string{`line 2, column 64: a quoted field is not closed, or a quote is followed by text: double quotes inside a quoted field`}},
	}
}

func TestReadCSVBadRows(t *testing.T) {
	good := "G1,Gatan,1,12345,Stad,SE,RESIDENTIAL_HOUSE,,,,g1,,,YES,YES,,,\n"
	for _, tc := range badCSVCases() {
		t.Run(tc.name, func(t *testing.T) {
			yielded, problems := readAll(t, inventory.CSV, csvHeader+tc.row)
			if diff := cmp.Diff(tc.want, problems); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
			if len(yielded) != 0 {
				t.Errorf("bad row yielded: %+v", yielded)
			}
		})
		if strings.HasPrefix(tc.name, "unclosed") {
			continue // swallows the rest of the file
		}
		t.Run(tc.name+"/between good rows", func(t *testing.T) {
			in := csvHeader + good + tc.row + strings.NewReplacer("G1", "G2", ",g1,", ",g2,").Replace(good)
			yielded, problems := readAll(t, inventory.CSV, in)
			var want []string
			for _, p := range tc.want {
				want = append(want, strings.Replace(p, "line 2", "line 3", 1))
			}
			if diff := cmp.Diff(want, problems); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
			var lines []int
			for _, la := range yielded {
				lines = append(lines, la.Line)
			}
			if diff := cmp.Diff([]int{2, 4}, lines); diff != "" {
				t.Errorf("yielded lines (-want +got):\n%s", diff)
			}
		})
	}
}

func TestReadCSVDuplicates(t *testing.T) {
	in := "accessId,streetName,postalCode,city,countryCode,premisesType,option82,activationDate,salesStartDate,ipv4CircuitId,ipv4RemoteId\n" +
		"A1,Gatan,12345,Stad,SE,PUBLIC,sw1 p1,YES,YES,p1,sw1\n" +
		"A2,Gatan,12345,Stad,SE,PUBLIC,sw1 p2,YES,YES,p2,sw1\n" +
		"A1,Gatan,12345,Stad,SE,PUBLIC,sw1 p3,YES,YES,p3,sw1\n" +
		"A4,Gatan,12345,Stad,SE,PUBLIC,sw1 p1,YES,YES,p4,sw1\n" +
		"A5,Gatan,12345,Stad,SE,PUBLIC,sw1 p5,YES,YES,p2,sw1\n" +
		"A6,Gatan,12345,Stad,SE,PUBLIC,rl-down,YES,YES,rl-down,\n" +
		"A7,Gatan,12345,Stad,SE,PUBLIC,sw2 rl-down,YES,YES,rl-down,\n"
	yielded, problems := readAll(t, inventory.CSV, in)
	want := []string{
		`line 4: accessId: "A1" is also on line 2`,
		`line 5: accessId "A4": option82: "sw1 p1" is also used on line 2 by accessId "A1"`,
		`line 6: accessId "A5": ipv4CircuitId: circuit-id "p2" with remote-id "sw1" is also used on line 3 by accessId "A2"`,
		`line 8: accessId "A7": ipv4CircuitId: circuit-id "rl-down" with remote-id "" is also used on line 7 by accessId "A6"`,
	}
	if diff := cmp.Diff(want, problems); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
	var ids []string
	for _, la := range yielded {
		ids = append(ids, la.Access.AccessID)
	}
	if diff := cmp.Diff([]string{"A1", "A2", "A6"}, ids); diff != "" {
		t.Errorf("yielded (-want +got):\n%s", diff)
	}
}

func TestReadCSVHeader(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     []string
	}{
		{"empty file", "", []string{`line 1: the file is empty: a header row naming the columns is needed`}},
		{"only a BOM", "\ufeff", []string{`line 1: the file is empty: a header row naming the columns is needed`}},
		{"header only", csvHeader, nil},
		{"unknown column", strings.Replace(csvHeader, "rfof", "rfoff", 1),
			[]string{`line 1, column 198: header row: unknown column "rfoff"`}},
		{"duplicated column", strings.Replace(csvHeader, "iptv", "City", 1),
			[]string{`line 1, column 193: header row: column "City" appears twice (columns 5 and 17)`}},
		{"empty column name", strings.Replace(csvHeader, ",rfof", ",", 1),
			[]string{`line 1, column 198: header row: column 18 has no name`}},
		{"missing required columns", "accessId,streetNumber\nA1,1\n",
			[]string{`line 1: header row: required column missing: streetName, postalCode, city, countryCode, premisesType, activationDate, salesStartDate, option82`}},
		{"header on line 2", "\n" + csvHeader + "G1,Gatan,1,12345,Stad,SE,RESIDENTIAL_HOUSE,,,,g1,,,YES,YES,,,NOPE\n", nil},
		{"bad quote in header", "accessId,\"streetName\n", []string{`line 1, column 22: header row: a quoted field is not closed, or a quote is followed by text: double quotes inside a quoted field`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, problems := readAll(t, inventory.CSV, tc.in)
			if diff := cmp.Diff(tc.want, problems); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}

// TestReadCSVLineNumbers: the line of a record is the physical line of its
// start, also after records spanning lines.
func TestReadCSVLineNumbers(t *testing.T) {
	in := csvHeader +
		"A1,Gatan,1,12345,Stad,SE,RESIDENTIAL_HOUSE,,,,o1,,,YES,YES,\"100\n\n\",\"YES\r\n\",\n" + // lines 2-5
		"A2,Gatan,1,1234,Stad,SE,RESIDENTIAL_HOUSE,,,,o2,,,YES,YES,,,\n" + // line 6, bad
		"\r\n\n" + // lines 7-8 blank
		"A3,Gatan,1,12345,Stad,SE,RESIDENTIAL_HOUSE,,,,o3,,,YES,YES,,,\n" // line 9
	yielded, problems := readAll(t, inventory.CSV, in)
	if diff := cmp.Diff([]string{`line 6: accessId "A2": postalCode: "1234" is not five digits`}, problems); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
	var lines []int
	for _, la := range yielded {
		lines = append(lines, la.Line)
	}
	if diff := cmp.Diff([]int{2, 9}, lines); diff != "" {
		t.Errorf("lines (-want +got):\n%s", diff)
	}
}

func TestReadCSVYieldErrors(t *testing.T) {
	in := specExample
	// A Problem from yield is collected, reading goes on.
	var seen []string
	err := inventory.ReadCSV(strings.NewReader(in), func(line int, a inventory.Access) error {
		seen = append(seen, a.AccessID)
		switch a.AccessID {
		case "3333":
			return inventory.Problem{Field: "option82", Message: `"jkl999" is used by access X9 in the store`}
		case "5555":
			return fmt.Errorf("store: %w", &inventory.Problem{Line: 99, Field: "accessId", Message: "is removed"})
		}
		return nil
	})
	if diff := cmp.Diff([]string{
		`line 3: accessId "3333": option82: "jkl999" is used by access X9 in the store`,
		`line 99: accessId: is removed`,
	}, problemStrings(t, err)); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
	if len(seen) != 4 {
		t.Errorf("yield called for %v, want all four", seen)
	}
	// Any other error stops the reading.
	stop := errors.New("store is closed")
	seen = nil
	err = inventory.ReadCSV(strings.NewReader(in), func(line int, a inventory.Access) error {
		seen = append(seen, a.AccessID)
		if len(seen) == 2 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || err.Error() != `line 3: accessId "3333": store is closed` {
		t.Errorf("ReadCSV error = %v, want the yield error with its line", err)
	}
	if len(seen) != 2 {
		t.Errorf("yield called for %v after it failed", seen)
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("disk on fire") }

func TestReadIOError(t *testing.T) {
	for _, f := range []inventory.Format{inventory.CSV, inventory.JSON} {
		err := inventory.Read(f, errReader{}, func(int, inventory.Access) error { return nil })
		var ps *inventory.Problems
		if err == nil || errors.As(err, &ps) || !strings.Contains(err.Error(), "disk on fire") {
			t.Errorf("%s: Read of a failing reader = %v, want the I/O error", f, err)
		}
	}
}

// TestCSVRoundTrip: CSV → Access → CSV → Access gives equal accesses, and the
// second CSV is byte for byte the first.
func TestCSVRoundTrip(t *testing.T) {
	for name, in := range map[string]string{"spec example": specExample, "demo": readFile(t, demoCSV)} {
		t.Run(name, func(t *testing.T) {
			first, problems := readAll(t, inventory.CSV, in)
			if problems != nil {
				t.Fatalf("problems: %q", problems)
			}
			var out1, out2 bytes.Buffer
			if err := inventory.WriteCSV(&out1, accessesOf(first), inventory.ExtendedCSVColumns()...); err != nil {
				t.Fatal(err)
			}
			second, problems := readAll(t, inventory.CSV, out1.String())
			if problems != nil {
				t.Fatalf("problems reading the written CSV: %q\n%s", problems, out1.String())
			}
			if diff := cmp.Diff(accessList(first), accessList(second)); diff != "" {
				t.Errorf("round trip (-want +got):\n%s", diff)
			}
			if err := inventory.WriteCSV(&out2, accessesOf(second), inventory.ExtendedCSVColumns()...); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(out1.String(), out2.String()); diff != "" {
				t.Errorf("second write differs (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCSVWriter(t *testing.T) {
	var b bytes.Buffer
	if err := inventory.WriteCSV(&b, slices.Values([]inventory.Access(nil))); err != nil {
		t.Fatal(err)
	}
	if got, want := b.String(), strings.Join(inventory.CSVColumns(), ",")+"\n"; got != want {
		t.Errorf("empty CSV = %q, want the header %q", got, want)
	}
	if got, want := strings.Join(inventory.CSVColumns(), ",")+"\n", strings.SplitAfter(specExample, "\n")[0]; got != want {
		t.Errorf("CSVColumns = %q, want the spec's header %q", got, want)
	}
	b.Reset()
	a := specExampleAccesses()[0].Access
	a.StreetName = `Gatan "Lilla", norra`
	if err := inventory.WriteCSV(&b, slices.Values([]inventory.Access{a}), "accessId", "streetName", "iptv", "rfof", "portSpeed"); err != nil {
		t.Fatal(err)
	}
	if got, want := b.String(), "accessId,streetName,iptv,rfof,portSpeed\n2222,\"Gatan \"\"Lilla\"\", norra\",YES,NO,100\n"; got != want {
		t.Errorf("WriteCSV = %q, want %q", got, want)
	}
	if _, err := inventory.NewCSVWriter(&b, "accessId", "nope"); err == nil {
		t.Error("NewCSVWriter accepted an unknown column")
	}
	if _, err := inventory.NewCSVWriter(&b, "accessId", "AccessId"); err == nil {
		t.Error("NewCSVWriter accepted a repeated column")
	}
}

func accessList(las []lineAccess) []inventory.Access {
	out := make([]inventory.Access, len(las))
	for i, la := range las {
		out[i] = la.Access
	}
	return out
}

func accessesOf(las []lineAccess) func(func(inventory.Access) bool) {
	return slices.Values(accessList(las))
}
