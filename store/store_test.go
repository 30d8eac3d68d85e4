package store

import (
	"bytes"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/stadsnat/accessd/store/inventory"
)

// clock is a settable test clock.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func openTest(t *testing.T) (*DB, *clock) {
	t.Helper()
	c := &clock{t: time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)}
	d, err := Open(filepath.Join(t.TempDir(), FileName), Options{Now: c.now, NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d, c
}

func acc(id, opt82 string) inventory.Access {
	return inventory.Access{
		AccessID: id, StreetName: "Testvägen", StreetNumber: "100", PostalCode: "10000", City: "Ankeborg",
		CountryCode: "SE", PremisesType: inventory.ResidentialHouse, Activatable: inventory.Yes,
		Sellable: inventory.Yes, Option82: opt82,
	}
}

func incoming(as ...inventory.Access) []Incoming {
	in := make([]Incoming, len(as))
	for i, a := range as {
		in[i] = Incoming{Line: i + 2, Access: a}
	}
	return in
}

func mustImport(t *testing.T, d *DB, opts ImportOptions, as ...inventory.Access) ImportSummary {
	t.Helper()
	s, err := d.Inventory().Import(incoming(as...), opts)
	if err != nil {
		t.Fatalf("Import: %v", err)
	}
	return s
}

func exportIDs(t *testing.T, d *DB, since time.Time) (ids []string, lm time.Time, count int) {
	t.Helper()
	s, err := d.Inventory().Accesses(since)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	err = s.Each(func(r *AccessRecord) error {
		id := r.AccessID
		if r.Removed {
			id += "(removed)"
		}
		ids = append(ids, id)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return ids, s.LastModified, s.Count
}

func TestImportSummaries(t *testing.T) {
	d, c := openTest(t)
	got := mustImport(t, d, ImportOptions{}, acc("A1", "10.0.0.1 ge-0/0/1"), acc("A2", "10.0.0.1 ge-0/0/2"))
	if diff := cmp.Diff(ImportSummary{Created: 2}, got); diff != "" {
		t.Errorf("first import (-want +got):\n%s", diff)
	}
	c.t = c.t.Add(time.Minute)
	a2 := acc("A2", "10.0.0.1 ge-0/0/2")
	a2.City = "Storstad"
	got = mustImport(t, d, ImportOptions{}, acc("A1", "10.0.0.1 ge-0/0/1"), a2, acc("A3", "10.0.0.1 ge-0/0/3"))
	if diff := cmp.Diff(ImportSummary{Created: 1, Updated: 1, Unchanged: 1}, got); diff != "" {
		t.Errorf("upsert (-want +got):\n%s", diff)
	}
	got = mustImport(t, d, ImportOptions{Replace: true}, acc("A3", "10.0.0.1 ge-0/0/3"))
	if diff := cmp.Diff(ImportSummary{Unchanged: 1, Removed: 2}, got); diff != "" {
		t.Errorf("replace (-want +got):\n%s", diff)
	}
	st, err := d.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if st.Accesses != 1 || st.Tombstones != 2 {
		t.Errorf("stats = %+v, want 1 access and 2 tombstones", st)
	}
	if _, err := d.Inventory().Access("A1"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Access(removed A1) = %v, want ErrNotFound", err)
	}
	// The removed access's Option82 is free again, and re-importing revives A1.
	got = mustImport(t, d, ImportOptions{}, acc("A9", "10.0.0.1 ge-0/0/2"), acc("A1", "10.0.0.1 ge-0/0/1"))
	if diff := cmp.Diff(ImportSummary{Created: 2}, got); diff != "" {
		t.Errorf("revive (-want +got):\n%s", diff)
	}
	st, _ = d.Stats()
	if st.Accesses != 3 || st.Tombstones != 1 {
		t.Errorf("stats = %+v, want 3 accesses and 1 tombstone", st)
	}
}

func TestImportDryRunChangesNothing(t *testing.T) {
	d, _ := openTest(t)
	got, err := d.Inventory().Import(incoming(acc("A1", "x 1")), ImportOptions{DryRun: true})
	if err != nil || got.Created != 1 {
		t.Fatalf("dry run = %+v, %v; want 1 created", got, err)
	}
	if _, err := d.Inventory().Access("A1"); !errors.Is(err, ErrNotFound) {
		t.Errorf("dry run stored A1: %v", err)
	}
}

func TestImportConflictsChangeNothing(t *testing.T) {
	d, _ := openTest(t)
	mustImport(t, d, ImportOptions{}, acc("A1", "sw1 p1"), acc("A2", "sw1 p2"))
	before := backupBytes(t, d)
	tests := []struct {
		name string
		in   []inventory.Access
		want []Conflict
	}{
		{"duplicate id", []inventory.Access{acc("B1", "sw2 p1"), acc("B1", "sw2 p2")},
			[]Conflict{{Line: 3, AccessID: "B1", Field: "accessId", Message: "appears twice (also line 2)"}}},
		{"option82 of another access", []inventory.Access{acc("B1", "sw1 p1")},
			[]Conflict{{Line: 2, AccessID: "B1", Field: "option82", Message: `"sw1 p1" is already the Option82 of access "A1"`}}},
		{"option82 twice in the set", []inventory.Access{acc("B1", "sw3 p1"), acc("B2", "sw3 p1")},
			[]Conflict{{Line: 3, AccessID: "B2", Field: "option82", Message: `"sw3 p1" is also the Option82 of "B1" (line 2)`}}},
		{"same circuit, other text", []inventory.Access{withIdent(acc("B1", "x"), "p1", "sw1")},
			[]Conflict{{Line: 2, AccessID: "B1", Field: "dhcpIdentifier", Message: `circuit-id "p1" remote-id "sw1" is already the circuit of access "A1"`}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := d.Inventory().Import(incoming(tt.in...), ImportOptions{})
			var ce *ConflictError
			if !errors.As(err, &ce) {
				t.Fatalf("Import = %v, want a ConflictError", err)
			}
			if diff := cmp.Diff(tt.want, ce.Conflicts); diff != "" {
				t.Errorf("conflicts (-want +got):\n%s", diff)
			}
			if !bytes.Equal(before, backupBytes(t, d)) {
				t.Error("a refused import changed the store")
			}
		})
	}
}

func withIdent(a inventory.Access, circuit, remote string) inventory.Access {
	a.DHCPIdentifier = inventory.DHCPIdentifier{IPv4CircuitID: circuit, IPv4RemoteID: remote}
	return a
}

func backupBytes(t *testing.T, d *DB) []byte {
	t.Helper()
	var b bytes.Buffer
	if _, err := d.Backup(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestImportSwapsOption82(t *testing.T) {
	d, _ := openTest(t)
	mustImport(t, d, ImportOptions{}, acc("A1", "sw1 p1"), acc("A2", "sw1 p2"))
	mustImport(t, d, ImportOptions{}, acc("A1", "sw1 p2"), acc("A2", "sw1 p1"))
	for text, want := range map[string]string{"sw1 p1": "A2", "sw1 p2": "A1"} {
		if got, err := d.Inventory().AccessByOption82(text); err != nil || got != want {
			t.Errorf("AccessByOption82(%q) = %q, %v; want %q", text, got, err, want)
		}
	}
	// Replace may hand the Option82 of a removed access to a new one.
	mustImport(t, d, ImportOptions{Replace: true}, acc("A3", "sw1 p1"))
	if got, err := d.Inventory().AccessByOption82("sw1 p1"); err != nil || got != "A3" {
		t.Errorf("after replace: %q, %v; want A3", got, err)
	}
}

func TestAccessByCircuit(t *testing.T) {
	d, _ := openTest(t)
	mustImport(t, d, ImportOptions{},
		acc("A1", "10.10.10.10 eth 0/1"),
		acc("A2", "10.10.10.10 eth 0/2"),
		acc("A3", "rl-down"),
		withIdent(acc("A4", "opaque-4"), "CO-1234", ""),
	)
	tests := []struct {
		circuit, remote string
		want            string
		err             error
	}{
		{"eth 0/1", "10.10.10.10", "A1", nil},
		{"eth 0/1", "", "A1", nil},
		{"", "10.10.10.10", "", ErrAmbiguous},
		{"eth 0/9", "10.10.10.10", "", ErrNotFound},
		{"rl-down", "", "A3", nil},
		{"rl-down", "10.250.1.1", "", ErrNotFound},
		{"CO-1234", "", "A4", nil},
		{"", "", "", ErrNotFound},
	}
	for _, tt := range tests {
		got, err := d.Inventory().AccessByCircuit(tt.circuit, tt.remote)
		if got != tt.want || !errors.Is(err, tt.err) {
			t.Errorf("AccessByCircuit(%q, %q) = %q, %v; want %q, %v", tt.circuit, tt.remote, got, err, tt.want, tt.err)
		}
	}
}

// An answer covers the changes made before its own second (its cut-off):
// Last-Modified is the newest such change's second, never later than the
// second before the answer (RFC 9110 §8.8.2.1: not later than Date), and a
// change made in the answer's own second comes with the next answer
// (ON-API events.md: "up to the previous second … the current second is
// omitted"), so nothing is missed and no stamp is in the future.
func TestExportFullAndIncremental(t *testing.T) {
	d, c := openTest(t)
	t0 := c.t
	mustImport(t, d, ImportOptions{}, acc("A2", "s p2"), acc("A1", "s p1"), acc("A3", "s p3"))
	c.t = t0.Add(time.Second)
	ids, lm, n := exportIDs(t, d, time.Time{})
	if diff := cmp.Diff([]string{"A1", "A2", "A3"}, ids); diff != "" {
		t.Errorf("full export (-want +got):\n%s", diff)
	}
	if n != 3 || !lm.Equal(t0) {
		t.Errorf("full export count %d Last-Modified %v; want 3, %v", n, lm, t0)
	}
	// Nothing changed since Last-Modified: empty.
	if ids, _, n := exportIDs(t, d, lm); len(ids) != 0 || n != 0 {
		t.Errorf("incremental with nothing changed = %v (count %d)", ids, n)
	}
	// A change in the second of an answer: not in that answer, whose
	// Last-Modified stays before its second …
	c.t = t0.Add(1300 * time.Millisecond)
	a2 := acc("A2", "s p2")
	a2.City = "Annanstad"
	mustImport(t, d, ImportOptions{}, a2)
	ids, lm2, n := exportIDs(t, d, lm)
	if len(ids) != 0 || n != 0 || !lm2.Equal(t0) {
		t.Errorf("incremental in the second of a change = %v (count %d), Last-Modified %v; want nothing yet, %v", ids, n, lm2, t0)
	}
	// … but in the next one.
	c.t = t0.Add(2 * time.Second)
	ids, lm3, n := exportIDs(t, d, lm)
	if diff := cmp.Diff([]string{"A2"}, ids); diff != "" || n != 1 {
		t.Errorf("incremental after a change (-want +got):\n%s (count %d)", diff, n)
	}
	if want := t0.Add(time.Second); !lm3.Equal(want) {
		t.Errorf("Last-Modified %v, want %v (the change's second)", lm3, want)
	}
	c.t = t0.Add(10 * time.Second)
	mustImport(t, d, ImportOptions{Replace: true}, acc("A1", "s p1"), a2)
	c.t = t0.Add(11 * time.Second)
	ids, _, _ = exportIDs(t, d, lm3)
	if diff := cmp.Diff([]string{"A3(removed)"}, ids); diff != "" {
		t.Errorf("incremental shows the tombstone (-want +got):\n%s", diff)
	}
	ids, _, n = exportIDs(t, d, time.Time{})
	if diff := cmp.Diff([]string{"A1", "A2"}, ids); diff != "" || n != 2 {
		t.Errorf("full export skips tombstones (-want +got):\n%s count %d", diff, n)
	}
	// Purging forgets the tombstone.
	if n, err := d.Inventory().PurgeTombstones(c.t.Add(time.Second)); err != nil || n != 1 {
		t.Errorf("PurgeTombstones = %d, %v; want 1", n, err)
	}
	if ids, _, _ := exportIDs(t, d, t0.Add(-time.Hour)); len(ids) != 2 {
		t.Errorf("after purge, everything since long ago = %v; want A1 and A2 only", ids)
	}
}

// A change made after an answer is never stamped before that answer's
// cut-off, even when the clock steps back: it is found with the answer's
// Last-Modified.
func TestStampNotBeforeCutoff(t *testing.T) {
	d, c := openTest(t)
	t0 := c.t
	c.t = t0.Add(4 * time.Second)
	mustImport(t, d, ImportOptions{}, acc("A1", "s p1"))
	c.t = t0.Add(5 * time.Second)
	_, lm, _ := exportIDs(t, d, time.Time{}) // t0+4s
	c.t = t0.Add(2 * time.Second)            // NTP steps the clock back
	mustImport(t, d, ImportOptions{}, acc("A2", "s p2"))
	c.t = t0.Add(6 * time.Second)
	if ids, _, _ := exportIDs(t, d, lm); !cmp.Equal(ids, []string{"A2"}) {
		t.Errorf("a change after a clock step back, asked since %v: %v", lm, ids)
	}
}

func TestReopenKeepsDataAndStamps(t *testing.T) {
	dir := t.TempDir()
	c := &clock{t: time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)}
	path := filepath.Join(dir, FileName)
	d, err := Open(path, Options{Now: c.now})
	if err != nil {
		t.Fatal(err)
	}
	mustImport(t, d, ImportOptions{}, acc("A1", "s p1"))
	_, lm, _ := exportIDs(t, d, time.Time{})
	// A second process cannot open the file while the first holds it.
	if _, err := Open(path, Options{LockTimeout: 50 * time.Millisecond}); err == nil {
		t.Error("second Open succeeded while the file was held")
	}
	d.Close()
	d, err = Open(path, Options{Now: c.now})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if _, err := d.Inventory().Access("A1"); err != nil {
		t.Errorf("after reopen: %v", err)
	}
	if _, lm2, _ := exportIDs(t, d, time.Time{}); !lm2.Equal(lm) {
		t.Errorf("Last-Modified after reopen %v, want %v", lm2, lm)
	}
	if err := d.Ping(); err != nil {
		t.Errorf("Ping: %v", err)
	}
}

// A Follow export covers the changes of its own second, which an answer's
// export leaves to the next second; reading again from its LastModified
// less a second finds what came later in that second.
func TestExportFollow(t *testing.T) {
	d, c := openTest(t)
	follow := func(since time.Time) (ids []string, lm time.Time) {
		t.Helper()
		s, err := d.Inventory().Export(ExportOptions{Since: since, Follow: true})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if err := s.Each(func(r *AccessRecord) error { ids = append(ids, r.AccessID); return nil }); err != nil {
			t.Fatal(err)
		}
		return ids, s.LastModified
	}
	if ids, lm := follow(time.Time{}); len(ids) != 0 || !lm.IsZero() {
		t.Fatalf("empty store: %v, LastModified %v (want zero: read from the start)", ids, lm)
	}
	mustImport(t, d, ImportOptions{}, acc("A1", "sw1 p1"))
	if ids, _, _ := exportIDs(t, d, c.t.Add(-time.Hour)); len(ids) != 0 {
		t.Fatalf("an answer's incremental export has the change of its own second: %v", ids)
	}
	ids, lm := follow(time.Time{})
	if diff := cmp.Diff([]string{"A1"}, ids); diff != "" {
		t.Fatalf("follow (-want +got):\n%s", diff)
	}
	c.t = c.t.Add(300 * time.Millisecond) // the same second
	mustImport(t, d, ImportOptions{}, acc("A2", "sw1 p2"))
	ids, _ = follow(lm.Add(-time.Second))
	if diff := cmp.Diff([]string{"A1", "A2"}, ids); diff != "" {
		t.Errorf("follow again from the same second (-want +got):\n%s", diff)
	}
}
