package catalog

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/stadsnat/accessd/store/inventory"
)

func TestMediaCodes(t *testing.T) {
	mc := NewMediaCodes(map[string]int{"fttb": 20, "Fiber": 1})
	got := map[string]int{}
	for _, n := range []string{"FTTH", "ftth", " FTTB ", "FIBER", "DSL", "PIGEON", ""} {
		got[n] = mc.Code(n)
	}
	want := map[string]int{"FTTH": 1, "ftth": 1, " FTTB ": 20, "FIBER": 1, "DSL": 4, "PIGEON": 0, "": 0}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("codes (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"FTTH", "FTTB", "ETHERNET", "DSL", "COAX", "RFOF", "RADIO"}, (MediaCodes{}).Names()); diff != "" {
		t.Errorf("default names in code order (-want +got):\n%s", diff)
	}
	var zero MediaCodes
	if zero.Code("FTTB") != 2 {
		t.Errorf("zero MediaCodes: FTTB = %d, want the default 2", zero.Code("FTTB"))
	}
}

func TestHardwareFits(t *testing.T) {
	none := &inventory.Access{}
	sw := &inventory.Access{CPESwitch: "SW"}
	rt := &inventory.Access{CPERouter: "RT"}
	tests := []struct {
		hw   string
		a    *inventory.Access
		want bool
	}{
		{"", none, true}, {"none", none, true}, {"NONE", sw, true},
		{"CPE", none, false}, {"CPE", sw, true}, {"cpe", rt, true},
		{"DRG", none, false}, {"DRG", sw, false}, {"DRG", rt, true},
	}
	for _, tt := range tests {
		if got := (Service{Hardware: tt.hw}).HardwareFits(tt.a); got != tt.want {
			t.Errorf("hardware %q on switch=%q router=%q: %v, want %v", tt.hw, tt.a.CPESwitch, tt.a.CPERouter, got, tt.want)
		}
	}
}

func TestMax(t *testing.T) {
	for _, tt := range []struct{ in, want int }{{0, 1}, {-1, 1}, {1, 1}, {3, 3}} {
		if got := (Service{MaxPerAccess: tt.in}).Max(); got != tt.want {
			t.Errorf("Max(%d) = %d, want %d", tt.in, got, tt.want)
		}
	}
}
