package invpull

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/stadsnat/accessd/store/inventory"
)

// entry is a PI V1 <Entry> of a good access, with extra inside <Access>.
func entry(id, option82, extra string) string {
	return `<Entry><AccessId>` + id + `</AccessId><Access><StreetName>Testvägen</StreetName><PostalCode>10000</PostalCode>` +
		`<City>Ankeborg</City><CountryCode>SE</CountryCode><PremisesType>PUBLIC</PremisesType><Activatable>YES</Activatable>` +
		`<Sellable>YES</Sellable><Option82>` + option82 + `</Option82>` + extra + `</Access></Entry>`
}

var piv1Cases = []struct {
	name    string
	in      string
	n       int
	probs   []inventory.Problem
	ignored []string
}{
	{"spec example", "@piv1.xml", 1, nil, nil},
	{"three", "@piv1-three.xml", 3, nil, nil},
	{"no count", `<Entries>` + entry("A1", "s p1", "") + `</Entries>`, 1, nil, nil},
	{"escaped", `<Entries>` + entry("A1", "s &amp; p1", "<Population>P&lt;1&gt;</Population>") + `</Entries>`, 1, nil, nil},
	{"count too high", "<Entries>\n<Count>2</Count>\n" + entry("A1", "s p1", "") + `</Entries>`, 0,
		[]inventory.Problem{{Line: 2, Field: "Count", Message: "says 2 but the export holds 1 entries: it may be cut short"}}, nil},
	{"bad count", `<Entries><Count>many</Count></Entries>`, 0, []inventory.Problem{{Line: 1, Field: "Count", Message: `"many" is not one count of entries`}}, nil},
	{"unknown elements", `<Entries><Generated>now</Generated>` + entry("A1", "s p1", "<Color>red</Color>") + `</Entries>`, 1, nil, []string{"Color", "Generated"}},
	{"repeated field", `<Entries>` + entry("A1", "s p1", "<City>Other</City>") + `</Entries>`, 0,
		[]inventory.Problem{{Line: 1, AccessID: "A1", Field: "City", Message: "appears twice in one access"}}, nil},
	{"rules", "<Entries>\n" + entry("A-1", "", "<CpeSwitch>x</CpeSwitch><CpeRouter>y</CpeRouter>") + `</Entries>`, 0, []inventory.Problem{
		{Line: 2, AccessID: "A-1", Field: "AccessId", Message: `"A-1" contains '-': only a-z, A-Z and 0-9 are allowed`},
		{Line: 2, AccessID: "A-1", Field: "CpeRouter", Message: "only one of coCpeSwitch and coCpeRouter may be set"},
		{Line: 2, AccessID: "A-1", Field: "Option82", Message: "is required"},
	}, nil},
	{"wrong root", `<Accesses/>`, 0, []inventory.Problem{{Line: 1, Message: "the root element is not <Entries>"}}, nil},
	{"empty", ``, 0, []inventory.Problem{{Line: 1, Message: "the export is empty: an <Entries> element is needed"}}, nil},
	{"cut", "<Entries>\n<Entry><AccessId>A1", 0, []inventory.Problem{{Line: 2, Message: "invalid XML: XML syntax error on line 2: unexpected EOF"}}, nil},
	{"element in field", `<Entries><Entry><AccessId><b>A1</b></AccessId></Entry></Entries>`, 0,
		[]inventory.Problem{{Line: 1, Message: "invalid XML: element <b> inside a field"}}, nil},
	{"trailing", `<Entries></Entries><Entries></Entries>`, 0, []inventory.Problem{{Line: 1, Message: "something follows </Entries>"}}, nil},
}

func TestParsePIV1(t *testing.T) {
	for _, tc := range piv1Cases {
		t.Run(tc.name, func(t *testing.T) {
			in, ignored, err := ParsePIV1(strings.NewReader(string(piv1Input(t, tc.in))))
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
			if d := cmp.Diff(tc.ignored, sorted(ignored)); tc.ignored != nil && d != "" {
				t.Errorf("ignored (-want +got):\n%s", d)
			}
		})
	}
	in, _, _ := ParsePIV1(strings.NewReader(`<Entries>` + entry("A1", "s &amp; p1", "<Population>P&lt;1&gt;</Population>") + `</Entries>`))
	if a := in[0].Access; a.Option82 != "s & p1" || a.Population != "P<1>" {
		t.Errorf("entities: %+v", a)
	}
}

func piv1Input(t testing.TB, in string) []byte {
	if strings.HasPrefix(in, "@") {
		return golden(t, in[1:])
	}
	return []byte(in)
}

func FuzzParsePIV1(f *testing.F) {
	for _, tc := range piv1Cases {
		f.Add(piv1Input(f, tc.in))
	}
	f.Add(golden(f, "piv1-three-bad.xml"))
	f.Fuzz(func(t *testing.T, b []byte) {
		in, _, err := ParsePIV1(strings.NewReader(string(b)))
		if err != nil {
			var ps *inventory.Problems
			if !errors.As(err, &ps) || len(ps.List) == 0 {
				t.Fatalf("error %v is not a list of problems", err)
			}
			if in != nil {
				t.Fatal("accesses returned with problems")
			}
			return
		}
		for _, x := range in {
			if err := inventory.Validate(x.Access, inventory.JSON); err != nil {
				t.Fatalf("an accepted access is invalid: %v", err)
			}
			if x.Access != inventory.Normalize(x.Access) {
				t.Fatalf("an accepted access is not normalised: %+v", x.Access)
			}
		}
	})
}

func FuzzParseAccessesJSON(f *testing.F) {
	for _, tc := range jsonCases {
		f.Add(tc.in, tc.f == ONAPI)
	}
	f.Add(string(golden(f, "piapi-accesses.json")), false)
	f.Add(string(golden(f, "onapi-accesses.json")), true)
	today := inventory.Date{Year: 2025, Month: 6, Day: 1}
	f.Fuzz(func(t *testing.T, body string, on bool) {
		format := PIAPI
		if on {
			format = ONAPI
		}
		in, _, err := ParseAccessesJSON([]byte(body), format, known, today)
		if err != nil {
			var ps *inventory.Problems
			if !errors.As(err, &ps) || len(ps.List) == 0 || in != nil {
				t.Fatalf("error %v is not a list of problems, or accesses came with it", err)
			}
			return
		}
		for _, x := range in {
			if err := inventory.Validate(x.Access, inventory.JSON); err != nil {
				t.Fatalf("an accepted access is invalid: %v", err)
			}
			if x.Line < 1 {
				t.Fatalf("line %d", x.Line)
			}
		}
	})
}

// FuzzPullCSV runs the CSV path of a pull: the inventory's own reader.
func FuzzPullCSV(f *testing.F) {
	f.Add(golden(f, "accesses.csv"))
	f.Add([]byte("accessId\n1\n"))
	p := &Puller{cfg: Config{Format: CSV}}
	f.Fuzz(func(t *testing.T, b []byte) {
		in, _, err := p.parse(b)
		if err == nil {
			for _, x := range in {
				if err := inventory.Validate(x.Access, inventory.CSV); err != nil {
					t.Fatalf("an accepted access is invalid: %v", err)
				}
			}
		}
	})
}
