package inventory_test

import (
	"bytes"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/stadsnat/accessd/internal/testkit"
	"github.com/stadsnat/accessd/store/inventory"
)

const (
	demoCSV  = "../../testdata/demo/accesses.csv"
	demoJSON = "../../testdata/demo/accesses.json"
	badCSV   = "../../testdata/demo/bad.csv"
	badGold  = "testdata/bad.csv.problems"
)

func readFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// golden compares got with the file name (ACCESSD_UPDATE_GOLDEN=1
// rewrites it).
func golden(t *testing.T, name, got string) {
	t.Helper()
	testkit.Golden(t, name, got)
}

func TestDemoCSV(t *testing.T) {
	got, problems := readAll(t, inventory.CSV, readFile(t, demoCSV))
	if problems != nil {
		t.Fatalf("the demo inventory has problems:\n%s", strings.Join(problems, "\n"))
	}
	if len(got) != 24 {
		t.Errorf("demo inventory has %d accesses, want 24", len(got))
	}
	cal := stockholm(t)
	now := time.Date(2026, time.January, 1, 12, 0, 0, 0, time.UTC)
	states := map[string]int{}
	var lab, relay []string
	types := map[inventory.PremisesType]int{}
	for _, la := range got {
		a := la.Access
		states[a.State(cal, now).String()]++
		types[a.PremisesType]++
		if rest, ok := strings.CutPrefix(a.Option82, "127.0.0.1 "); ok {
			lab = append(lab, rest)
		}
		if a.Option82 == "rl-down" {
			relay = append(relay, a.AccessID)
			if a.DHCPIdentifier != (inventory.DHCPIdentifier{IPv4CircuitID: "rl-down"}) {
				t.Errorf("rl-down access has dhcpIdentifier %+v, want circuit-id only", a.DHCPIdentifier)
			}
		}
	}
	for _, s := range []string{"not-sales-started", "future-sales-start", "sales-started", "deliverable"} {
		if states[s] == 0 {
			t.Errorf("no demo access is in state %s at %v (states %v)", s, now, states)
		}
	}
	var wantLab []string
	for i := range 12 {
		wantLab = append(wantLab, "acc"+strconv.Itoa(i))
	}
	slices.Sort(lab)
	slices.Sort(wantLab)
	if diff := cmp.Diff(wantLab, lab); diff != "" {
		t.Errorf("SNMP lab ports 127.0.0.1 accN (-want +got):\n%s", diff)
	}
	if len(relay) != 1 {
		t.Errorf("accesses with Option82 rl-down: %v, want exactly one", relay)
	}
	for _, pt := range []inventory.PremisesType{inventory.MDUApartment, inventory.MDUCommon,
		inventory.ResidentialHouse, inventory.Commercial} {
		if types[pt] == 0 {
			t.Errorf("no demo access of premises type %s", pt)
		}
	}
}

// TestDemoJSON keeps testdata/demo/accesses.json the JSON form of
// accesses.csv, and checks that it reads back to the same accesses.
func TestDemoJSON(t *testing.T) {
	fromCSV, problems := readAll(t, inventory.CSV, readFile(t, demoCSV))
	if problems != nil {
		t.Fatalf("problems: %q", problems)
	}
	var b bytes.Buffer
	if err := inventory.WriteJSON(&b, accessesOf(fromCSV)); err != nil {
		t.Fatal(err)
	}
	golden(t, demoJSON, b.String())
	fromJSON, problems := readAll(t, inventory.JSON, readFile(t, demoJSON))
	if problems != nil {
		t.Fatalf("problems: %q", problems)
	}
	if diff := cmp.Diff(accessList(fromCSV), accessList(fromJSON)); diff != "" {
		t.Errorf("accesses.json and accesses.csv disagree (-csv +json):\n%s", diff)
	}
}

// TestDemoBad checks that bad.csv is refused with its full problem list.
func TestDemoBad(t *testing.T) {
	yielded, problems := readAll(t, inventory.CSV, readFile(t, badCSV))
	if len(problems) < 10 {
		t.Errorf("bad.csv gives only %d problems", len(problems))
	}
	golden(t, badGold, strings.Join(problems, "\n")+"\n")
	var ids []string
	for _, la := range yielded {
		ids = append(ids, la.Access.AccessID)
	}
	if diff := cmp.Diff([]string{"ALS10001", "ALS90001"}, ids); diff != "" {
		t.Errorf("good rows of bad.csv (-want +got):\n%s", diff)
	}
}
