package noc

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// classifyCases are the untyped search values and the kinds tried for
// them, in order.
var classifyCases = []struct {
	in   string
	want []Kind
}{
	{"10.20.0.15", []Kind{KindIP}},
	{"2001:db8::15", []Kind{KindIP}},
	{"02:00:5e:00:00:15", []Kind{KindMAC}},
	{"02-00-5E-00-00-15", []Kind{KindMAC}},
	{"0200.5e00.0015", []Kind{KindMAC}},
	{"02005e000015", []Kind{KindMAC, KindAccess, KindAddress, KindCircuit}},
	{"5206010402030405", []Kind{KindOption82, KindAccess, KindAddress, KindCircuit}},
	{"520401020304", []Kind{KindOption82, KindMAC, KindAccess, KindAddress, KindCircuit}},
	{"52 04 01 02 03 04", []Kind{KindOption82, KindAddress, KindCircuit}},
	{"0x5206010402030405", []Kind{KindOption82, KindAccess, KindAddress, KindCircuit}},
	{"ALS10001", []Kind{KindAccess, KindAddress, KindCircuit}},
	{"7", []Kind{KindAccess, KindCircuit}},
	{"rl-down", []Kind{KindCircuit, KindAddress}},
	{"-", []Kind{KindCircuit}},
	{"ge-0/0/1", []Kind{KindCircuit, KindAddress}},
	{"Östra", []Kind{KindCircuit, KindAddress}},
	{"192.0.2.11 ge-0/0/1", []Kind{KindCircuit, KindAddress}},
	{"sw1.example ge-0/0/1", []Kind{KindCircuit, KindAddress}},
	{"SW7 1/0/7", []Kind{KindCircuit, KindAddress}},
	{"Storgatan 12", []Kind{KindAddress, KindCircuit}},
	{"Östra Långgatan 3", []Kind{KindAddress, KindCircuit}},
	{"Storgatan", []Kind{KindAccess, KindAddress, KindCircuit}},
}

func TestClassify(t *testing.T) {
	for _, tc := range classifyCases {
		if diff := cmp.Diff(tc.want, classify(tc.in)); diff != "" {
			t.Errorf("classify(%q) (-want +got):\n%s", tc.in, diff)
		}
	}
}

func TestParseQuery(t *testing.T) {
	for _, tc := range []struct {
		kind    Kind
		in      string
		want    Query
		wantErr string
	}{
		{KindIP, "10.20.0.15", Query{Kind: KindIP, Text: "10.20.0.15", IP: netip.MustParseAddr("10.20.0.15"), Limit: 9}, ""},
		{KindIP, "::ffff:10.20.0.15", Query{Kind: KindIP, Text: "::ffff:10.20.0.15", IP: netip.MustParseAddr("10.20.0.15"), Limit: 9}, ""},
		{KindIP, "10.20.0.300", Query{}, "parameter q: not an IP address"},
		{KindIP, "fe80::1%eth0", Query{}, "parameter q: not an IP address"},
		{KindMAC, "02-00-5E-00-00-15", Query{Kind: KindMAC, Text: "02-00-5E-00-00-15", MAC: "02:00:5e:00:00:15", Limit: 9}, ""},
		{KindMAC, "0200.5E00.0015", Query{Kind: KindMAC, Text: "0200.5E00.0015", MAC: "02:00:5e:00:00:15", Limit: 9}, ""},
		{KindMAC, "02:00:5e:00-00:15", Query{}, "parameter q: not a MAC address"},
		{KindMAC, "02:00:5e:00:00:1g", Query{}, "parameter q: not a MAC address"},
		{KindOption82, "52 04 01 02 03 04", Query{Kind: KindOption82, Text: "52 04 01 02 03 04", Option82: []byte{82, 4, 1, 2, 3, 4}, Limit: 9}, ""},
		{KindOption82, "5204010203", Query{}, "parameter q: not Option 82: option 82: offset 0: length past the end (option length 4, 3 bytes left)"},
		{KindOption82, "5203010203", Query{}, "parameter q: not Option 82: option 82: offset 2: sub-option 1 (circuit-id): length past the end (length 2, 1 bytes left)"},
		{KindOption82, "0104AABBCCDD", Query{}, "parameter q: not Option 82: option 82: offset 0: option code is not 82 (option code 1)"},
		{KindOption82, "52040102030", Query{}, "parameter q: not Option 82 hex: option 82: offset 10: invalid hex (odd number of hex digits)"},
		{KindOption82, "52zz", Query{}, "parameter q: not Option 82 hex: option 82: offset 2: invalid hex (unexpected 'z')"},
		{KindOption82, "0x", Query{}, "parameter q: not Option 82 hex: option 82: offset 0: empty option (at least one sub-option is required) (no hex digits)"},
		{KindAccess, "ALS10001", Query{Kind: KindAccess, Text: "ALS10001", Limit: 9}, ""},
		{KindAccess, "ALS-10001", Query{}, "parameter q: an AccessId is 1 to 32 letters and digits"},
		{KindAccess, strings.Repeat("A", 33), Query{}, "parameter q: an AccessId is 1 to 32 letters and digits"},
		{KindAddress, "S", Query{}, "parameter q: an address search needs at least 2 characters"},
		{KindAddress, "Storgatan 1", Query{Kind: KindAddress, Text: "Storgatan 1", Limit: 9}, ""},
		{KindCircuit, "192.0.2.11 ge-0/0/1", Query{Kind: KindCircuit, Text: "192.0.2.11 ge-0/0/1", Limit: 9}, ""},
		{Kind("bogus"), "x", Query{}, `parameter kind: "bogus" is not a search kind`},
	} {
		got, err := parseQuery(tc.kind, tc.in, 9)
		if tc.wantErr != "" {
			if err == nil || !strings.HasPrefix(err.Error(), tc.wantErr) {
				t.Errorf("parseQuery(%s, %q) error %v, want %q", tc.kind, tc.in, err, tc.wantErr)
			}
			if err != nil && strings.Contains(err.Error(), tc.in) && len(tc.in) > 2 {
				t.Errorf("parseQuery(%s, %q): the error repeats the value (it may be personal data): %v", tc.kind, tc.in, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("parseQuery(%s, %q): %v", tc.kind, tc.in, err)
			continue
		}
		if diff := cmp.Diff(tc.want, got, cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); diff != "" {
			t.Errorf("parseQuery(%s, %q) (-want +got):\n%s", tc.kind, tc.in, diff)
		}
	}
}

func TestCheckText(t *testing.T) {
	for _, tc := range []struct{ in, wantErr string }{
		{"ok value", ""},
		{strings.Repeat("x", maxQueryLen), ""},
		{strings.Repeat("x", maxQueryLen+1), "parameter q: 1025 bytes, at most 1024"},
		{"a\x00b", "parameter q: control character at byte 1"},
		{"a\nb", "parameter q: control character at byte 1"},
		{"\xff", "parameter q: not UTF-8"},
	} {
		err := checkText(tc.in)
		if got := errText(err); got != tc.wantErr {
			t.Errorf("checkText(%.20q) = %q, want %q", tc.in, got, tc.wantErr)
		}
	}
}

func TestParsePage(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int
		ok   bool
	}{{"", 1, true}, {"1", 1, true}, {"25", 25, true}, {"0", 0, false}, {"-1", 0, false}, {"x", 0, false}, {"1000001", 0, false}} {
		got, err := parsePage(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("parsePage(%q) = %d, %v; want %d, ok %v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// FuzzClassify: every kind a value is classified as parses as that kind,
// and nothing panics.
func FuzzClassify(f *testing.F) {
	for _, tc := range classifyCases {
		f.Add(tc.in)
	}
	f.Add("52 04 01 02 03")
	f.Add("0x")
	f.Fuzz(func(t *testing.T, s string) {
		if checkText(s) != nil {
			return
		}
		s = strings.TrimSpace(s)
		if s == "" {
			return
		}
		ks := classify(s)
		if len(ks) == 0 {
			t.Fatalf("classify(%q): no kind", s)
		}
		for _, k := range ks {
			if _, err := parseQuery(k, s, 1); err != nil {
				t.Fatalf("classify(%q) gave %s, which does not parse: %v", s, k, err)
			}
		}
	})
}

// FuzzParseOption82: what parses is well-formed TLVs whose option
// lengths add up to the whole.
func FuzzParseOption82(f *testing.F) {
	for _, s := range []string{"5206010402030405", "52 04 01 02 03 04", "0x5204010203", "52zz", "5203FF0102", "52020100", "520401020304520401020304"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b, err := parseOption82(s)
		if err != nil {
			return
		}
		for i := 0; i < len(b); i += 2 + int(b[i+1]) {
			if b[i] != 82 || b[i+1] == 0 || i+2+int(b[i+1]) > len(b) {
				t.Fatalf("parseOption82(%q) accepted % x", s, b)
			}
		}
	})
}

// FuzzParseMAC: what parses is the canonical form, which parses to itself.
func FuzzParseMAC(f *testing.F) {
	for _, s := range []string{"02:00:5e:00:00:15", "02-00-5E-00-00-15", "0200.5e00.0015", "02005e000015", "02:00:5e:00-00:15", "zz"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := parseMAC(s)
		if err != nil {
			return
		}
		again, err := parseMAC(m)
		if err != nil || again != m || len(m) != 17 || strings.ToLower(m) != m {
			t.Fatalf("parseMAC(%q) = %q, which gives %q, %v", s, m, again, err)
		}
	})
}
