package portmatch

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var splitTests = []struct {
	text, sw, port string
	ok             bool
}{
	{"192.168.248.85 ge-0/0/10", "192.168.248.85", "ge-0/0/10", true},
	{"  10.0.0.2   Gi1/0/3 ", "10.0.0.2", "Gi1/0/3", true},
	{"sw1.example GigabitEthernet 1/0/3", "sw1.example", "GigabitEthernet 1/0/3", true},
	{"ge-0/0/10", "", "ge-0/0/10", false},
	{"10.0.0.2 ", "", "10.0.0.2", false},
	{"", "", "", false},
}

func TestSplitOption82(t *testing.T) {
	for _, tt := range splitTests {
		sw, port, ok := SplitOption82(tt.text)
		if sw != tt.sw || port != tt.port || ok != tt.ok {
			t.Errorf("SplitOption82(%q) = %q, %q, %v; want %q, %q, %v", tt.text, sw, port, ok, tt.sw, tt.port, tt.ok)
		}
	}
}

func mustRewrite(t *testing.T, p, r string) Rewrite {
	t.Helper()
	rw, err := NewRewrite(p, r)
	if err != nil {
		t.Fatal(err)
	}
	return rw
}

func TestRewrite(t *testing.T) {
	rw := mustRewrite(t, `Gi(\d+/\d+/\d+)`, `GigabitEthernet$1`)
	for in, want := range map[string]string{"Gi1/0/3": "GigabitEthernet1/0/3", "xGi1/0/3": "xGi1/0/3", "Gi1/0/3x": "Gi1/0/3x"} {
		if got, _ := rw.Apply(in); got != want {
			t.Errorf("Apply(%q) = %q, want %q", in, got, want)
		}
	}
	if got := rw.String(); got != `Gi(\d+/\d+/\d+) => GigabitEthernet$1` {
		t.Errorf("String() = %q", got)
	}
	if _, err := NewRewrite(`Gi(`, "x"); err == nil || !strings.Contains(err.Error(), `port rewrite "Gi("`) {
		t.Errorf("NewRewrite(bad) error = %v", err)
	}
}

func TestFind(t *testing.T) {
	ifs := []Interface{
		{IfIndex: 1, Name: "lo", Descr: "lo"},
		{IfIndex: 10101, Name: "Gi1/0/1", Descr: "GigabitEthernet1/0/1", Alias: "desk 1"},
		{IfIndex: 10103, Name: "Gi1/0/3", Descr: "GigabitEthernet1/0/3", Alias: "uplink"},
		{IfIndex: 10104, Name: "Gi1/0/4", Descr: "GigabitEthernet1/0/4", Alias: "uplink"},
		{IfIndex: 500, Name: "", Descr: "ge-0/0/10", Alias: "KUND-4711"},
		{IfIndex: 600, Name: "port 7", Descr: "Port 7 of unit 1"},
	}
	ix := NewIndex(ifs)
	giLong := []Rewrite{mustRewrite(t, `Gi(\d+/\d+/\d+)`, `GigabitEthernet$1`)}
	giShort := []Rewrite{mustRewrite(t, `GigabitEthernet(\d+/\d+/\d+)`, `Gi$1`)}
	tests := []struct {
		name     string
		port     string
		rewrites []Rewrite
		want     Match
		err      string
	}{
		{"ifName", "Gi1/0/1", nil, Match{10101, ByName, "Gi1/0/1"}, ""},
		{"ifDescr fallback", "ge-0/0/10", nil, Match{500, ByDescr, "ge-0/0/10"}, ""},
		{"ifAlias fallback", "KUND-4711", nil, Match{500, ByAlias, "KUND-4711"}, ""},
		{"long name in ifDescr", "GigabitEthernet1/0/3", nil, Match{10103, ByDescr, "GigabitEthernet1/0/3"}, ""},
		{"rewrite to ifName", "GigabitEthernet1/0/3", giShort, Match{10103, ByName, "Gi1/0/3"}, ""},
		{"name wins over rewrite", "Gi1/0/3", giLong, Match{10103, ByName, "Gi1/0/3"}, ""},
		{"case folded", "GI1/0/1", nil, Match{10101, ByName, "GI1/0/1"}, ""},
		{"exact in a later field before folded", "Port 7 of unit 1", nil, Match{600, ByDescr, "Port 7 of unit 1"}, ""},
		{"ambiguous alias", "uplink", nil, Match{}, `ifAlias "uplink" names 2 interfaces (ifIndex [10103 10104])`},
		{"not found", "Gi9/9/9", giLong, Match{}, `port "Gi9/9/9": no interface has this name`},
		{"empty", "", nil, Match{}, "no interface"},
	}
	for _, tt := range tests {
		got, err := ix.Find(tt.port, tt.rewrites)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%s: Find(%q) error = %v, want %q", tt.name, tt.port, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: Find(%q): %v", tt.name, tt.port, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s: Find(%q) (-want +got):\n%s", tt.name, tt.port, diff)
		}
	}
	_, err := ix.Find("nope", nil)
	if !errors.Is(err, ErrNotFound) {
		t.Errorf("not found error %v is not ErrNotFound", err)
	}
	var amb *AmbiguousError
	if _, err := ix.Find("uplink", nil); !errors.As(err, &amb) || amb.By != ByAlias {
		t.Errorf("ambiguous error %v is not an *AmbiguousError on ifAlias", err)
	}
}

func FuzzSplitOption82(f *testing.F) {
	for _, tt := range splitTests {
		f.Add(tt.text)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sw, port, ok := SplitOption82(s)
		if ok && (sw == "" || port == "" || strings.ContainsAny(sw, " ")) {
			t.Fatalf("SplitOption82(%q) = %q, %q, true", s, sw, port)
		}
		if !ok && sw != "" {
			t.Fatalf("SplitOption82(%q) = %q without ok", s, sw)
		}
		NewIndex([]Interface{{IfIndex: 1, Name: port}}).Find(port, nil)
	})
}

func TestGroup(t *testing.T) {
	by, none := Group([]string{"10.0.0.2 ge-0/0/2", "10.0.0.1 Gi1/0/3", "10.0.0.2 ge-0/0/1", "rl-down", "10.0.0.2 ge-0/0/1", "", "rl-down"})
	want := map[string][]string{"10.0.0.1": {"Gi1/0/3"}, "10.0.0.2": {"ge-0/0/1", "ge-0/0/2"}}
	if diff := cmp.Diff(want, by); diff != "" {
		t.Errorf("by switch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"rl-down"}, none); diff != "" {
		t.Errorf("no switch (-want +got):\n%s", diff)
	}
}
