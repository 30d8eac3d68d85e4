package benchfig

import (
	"math"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestLineParsesBack(t *testing.T) {
	want := []Figure{
		{Name: "option82, wrk", Unit: "req/s", Value: 61870, Peer: "bare net/http", PeerValue: 70000, Higher: true, Goal: 0.9, Source: "#15"},
		{Name: "p99", Unit: "ms", Value: 4.2, Goal: 5},
	}
	out := "=== RUN   TestX\n    load_test.go:12: " + Line(want[0]) + "\n    load_test.go:13: FIGURE something\n" + Line(want[1]) + "\n"
	got, other, err := Parse(strings.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("figures (-want +got):\n%s", diff)
	}
	if len(other) != 2 {
		t.Errorf("other lines: %q", other)
	}
}

func TestParseRefusesABrokenLine(t *testing.T) {
	if _, _, err := Parse(strings.NewReader(Prefix + "{not json\n")); err == nil {
		t.Error("a broken figure line parsed")
	}
}

func TestJudge(t *testing.T) {
	for _, c := range []struct {
		name string
		f    Figure
		want Verdict
	}{
		{"rate at its goal", Figure{Value: 90, Peer: "p", PeerValue: 100, Higher: true, Goal: 0.9}, Met},
		{"rate below", Figure{Value: 80, Peer: "p", PeerValue: 100, Higher: true, Goal: 0.9}, Missed},
		{"rate below half", Figure{Value: 44, Peer: "p", PeerValue: 100, Higher: true, Goal: 0.9}, FarOff},
		{"time within 2× the peer's", Figure{Value: 1.9, Peer: "p", PeerValue: 1, Goal: 0.5}, Met},
		{"time over 4× the peer's", Figure{Value: 4.1, Peer: "p", PeerValue: 1, Goal: 0.5}, FarOff},
		{"no peer value", Figure{Value: 1, Peer: "p", Goal: 0.5}, Failed},
		{"limit met", Figure{Value: 4, Goal: 5}, Met},
		{"limit missed: never far off", Figure{Value: 50, Goal: 5}, Missed},
		{"floor met", Figure{Value: 6000, Higher: true, Goal: 5000}, Met},
		{"floor with nothing", Figure{Value: 0, Higher: true, Goal: 5000}, Failed},
		{"limit without a value", Figure{Value: math.NaN(), Goal: 30}, Failed},
		{"rate without a value", Figure{Value: math.NaN(), Peer: "p", PeerValue: 1, Higher: true, Goal: 0.9}, Failed},
		{"no goal", Figure{Value: 1}, NoGoal},
		{"scaled", Figure{Value: 50, Goal: 5, Scaled: true}, NoGoal},
	} {
		if got := c.f.Judge(); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}

func TestTable(t *testing.T) {
	rows := []Row{
		{Figure: &Figure{Name: "option82", Unit: "req/s", Value: 61870, Peer: "nginx", PeerValue: 118512, Higher: true, Goal: 0.5, Source: "#2"}},
		{Note: "SNMP: skipped: needs root"},
		{Figure: &Figure{Name: "p99", Unit: "ms", Value: 7.6, Goal: 5, Source: "#15"}},
	}
	var b strings.Builder
	if err := Table(&b, rows); err != nil {
		t.Fatal(err)
	}
	want := `figure         accessd  peer (same run)      ratio    goal  verdict  from
-------------------------------------------------------------------------
option82  61,870 req/s  nginx 118,512 req/s   0.52  ≥ 0.50  met      #2
  SNMP: skipped: needs root
p99            7.60 ms  —                        —  ≤ 5 ms  NOT MET  #15
`
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("table (-want +got):\n%s", diff)
	}
}

func TestNumber(t *testing.T) {
	for v, want := range map[float64]string{0: "0.00", 0.004: "0.004", 1.234: "1.23", 12.34: "12.3", 123.4: "123", 1234.5: "1,235", 1234567: "1,234,567"} {
		if got := Number(v); got != want {
			t.Errorf("Number(%v) = %q, want %q", v, got, want)
		}
	}
}
