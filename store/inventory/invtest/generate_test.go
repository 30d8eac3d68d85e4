package invtest_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/stadsnat/accessd/store/inventory"
	"github.com/stadsnat/accessd/store/inventory/invtest"
)

func TestGenerateValidUniqueDeterministic(t *testing.T) {
	const n = 20_000
	as := invtest.Generate(n, 7)
	if len(as) != n {
		t.Fatalf("Generate(%d) gave %d accesses", n, len(as))
	}
	cal, err := inventory.Stockholm()
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, time.June, 1, 12, 0, 0, 0, time.UTC)
	ids, opts := map[string]bool{}, map[string]bool{}
	states := map[string]int{}
	types := map[inventory.PremisesType]int{}
	for i, a := range as {
		if err := inventory.Validate(a, inventory.JSON); err != nil {
			t.Fatalf("access %d is invalid: %v", i, err)
		}
		if inventory.Normalize(a) != a {
			t.Fatalf("access %d is not normalised: %+v", i, a)
		}
		if ids[a.AccessID] || opts[a.Option82] {
			t.Fatalf("access %d repeats accessId %q or option82 %q", i, a.AccessID, a.Option82)
		}
		ids[a.AccessID], opts[a.Option82] = true, true
		if want := invtest.SwitchAddress(i/48) + " " + invtest.PortName(i%48); a.Option82 != want {
			t.Fatalf("access %d has option82 %q, want %q", i, a.Option82, want)
		}
		states[a.State(cal, now).String()]++
		types[a.PremisesType]++
	}
	for _, s := range []string{"not-sales-started", "future-sales-start", "sales-started", "deliverable"} {
		if states[s] < n/100 {
			t.Errorf("state %s: %d accesses, want at least 1%% (%v)", s, states[s], states)
		}
	}
	for _, pt := range []inventory.PremisesType{inventory.MDUApartment, inventory.MDUCommon, inventory.ResidentialHouse,
		inventory.Commercial, inventory.Public} {
		if types[pt] == 0 {
			t.Errorf("no access of premises type %s (%v)", pt, types)
		}
	}
	if diff := cmp.Diff(as[:500], invtest.Generate(500, 7)); diff != "" {
		t.Errorf("Generate is not deterministic (-first +second):\n%s", diff)
	}
	other := invtest.Generate(500, 8)
	same := 0
	for i := range other {
		if other[i].AccessID != as[i].AccessID || other[i].Option82 != as[i].Option82 {
			t.Fatalf("access %d: another seed changed accessId or option82", i)
		}
		if other[i] == as[i] {
			same++
		}
	}
	if same > 50 {
		t.Errorf("another seed left %d of 500 accesses unchanged", same)
	}
}

func TestSwitchAddresses(t *testing.T) {
	got := []string{invtest.SwitchAddress(0), invtest.SwitchAddress(249), invtest.SwitchAddress(250),
		invtest.SwitchAddress(62499), invtest.SwitchAddress(62500)}
	want := []string{"10.20.0.1", "10.20.0.250", "10.20.1.1", "10.20.249.250", "10.21.0.1"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("SwitchAddress (-want +got):\n%s", diff)
	}
	if got := invtest.AccessID(42); got != "GEN00000042" {
		t.Errorf("AccessID(42) = %q", got)
	}
}

// TestWriters: the CSV and JSON forms read back to the generated accesses.
func TestWriters(t *testing.T) {
	const n = 2000
	want := invtest.Generate(n, 3)
	for _, f := range []inventory.Format{inventory.CSV, inventory.JSON} {
		var buf bytes.Buffer
		var err error
		if f == inventory.CSV {
			err = invtest.WriteCSV(&buf, n, 3)
		} else {
			err = invtest.WriteJSON(&buf, n, 3)
		}
		if err != nil {
			t.Fatal(err)
		}
		var got []inventory.Access
		if err := inventory.Read(f, &buf, func(_ int, a inventory.Access) error {
			got = append(got, a)
			return nil
		}); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s round trip (-want +got):\n%s", f, diff)
		}
	}
	var buf bytes.Buffer
	if err := invtest.WriteCSV(&buf, 3, 1); err != nil {
		t.Fatal(err)
	}
	if header, _, _ := strings.Cut(buf.String(), "\n"); header != strings.Join(inventory.ExtendedCSVColumns(), ",") {
		t.Errorf("CSV header = %q", header)
	}
}

func BenchmarkGenerate100k(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		n := 0
		for range invtest.All(100_000, 1) {
			n++
		}
		if n != 100_000 {
			b.Fatal(n)
		}
	}
}

func BenchmarkWriteCSV100k(b *testing.B) {
	var buf bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		if err := invtest.WriteCSV(&buf, 100_000, 1); err != nil {
			b.Fatal(err)
		}
	}
}
