package store

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	bolt "go.etcd.io/bbolt"

	"github.com/stadsnat/accessd/store/inventory"
)

func exportWith(t *testing.T, d *DB, o ExportOptions) (ids []string, lm time.Time, count int) {
	t.Helper()
	s, err := d.Inventory().Export(o)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	err = s.Each(func(r *AccessRecord) error { ids = append(ids, r.AccessID); return nil })
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != s.Count {
		t.Errorf("Count %d, Each gave %d", s.Count, len(ids))
	}
	return ids, s.LastModified, s.Count
}

// A Sellable or Activatable date coming is a change of the access at
// local midnight (Europe/Stockholm) for the answers computed from dates,
// with that instant as Last-Modified; not for the others.
func TestExportDatesAreChanges(t *testing.T) {
	d, c := openTest(t)
	cal, err := inventory.Stockholm()
	if err != nil {
		t.Fatal(err)
	}
	c.t = time.Date(2026, 3, 31, 12, 0, 0, 0, time.UTC)
	a1, a2, a3 := acc("A1", "s p1"), acc("A2", "s p2"), acc("A3", "s p3")
	a1.Activatable = "2026-04-01"
	a2.Sellable, a2.Activatable = "2026-04-01", "2026-04-02" // two dates: one change each
	mustImport(t, d, ImportOptions{}, a1, a2, a3)
	c.t = c.t.Add(time.Hour)
	_, lm, _ := exportWith(t, d, ExportOptions{Dates: &cal})
	if want := time.Date(2026, 3, 31, 12, 0, 0, 0, time.UTC); !lm.Equal(want) {
		t.Fatalf("Last-Modified before midnight %v, want the import %v", lm, want)
	}
	// 21:59:59 UTC is 23:59:59 in Stockholm (summer time): nothing yet.
	c.t = time.Date(2026, 3, 31, 21, 59, 59, 0, time.UTC)
	if ids, _, _ := exportWith(t, d, ExportOptions{Since: lm, Dates: &cal}); len(ids) != 0 {
		t.Errorf("before local midnight: %v", ids)
	}
	// Local midnight has passed: A1 and A2 changed at 22:00:00 UTC.
	c.t = time.Date(2026, 3, 31, 22, 0, 1, 0, time.UTC)
	midnight := time.Date(2026, 3, 31, 22, 0, 0, 0, time.UTC)
	ids, lm2, _ := exportWith(t, d, ExportOptions{Since: lm, Dates: &cal})
	if diff := cmp.Diff([]string{"A1", "A2"}, ids); diff != "" || !lm2.Equal(midnight) {
		t.Errorf("after local midnight (-want +got):\n%s Last-Modified %v, want %v", diff, lm2, midnight)
	}
	if _, full, _ := exportWith(t, d, ExportOptions{Dates: &cal}); !full.Equal(midnight) {
		t.Errorf("full answer's Last-Modified %v, want %v", full, midnight)
	}
	// Without Dates (PI V1, feasibility) a date is no change.
	if ids, _, _ := exportWith(t, d, ExportOptions{Since: lm}); len(ids) != 0 {
		t.Errorf("without Dates: %v", ids)
	}
	// The next midnight: A2 again (its Activatable), once.
	c.t = time.Date(2026, 4, 2, 3, 0, 0, 0, time.UTC)
	ids, _, _ = exportWith(t, d, ExportOptions{Since: lm2, Dates: &cal})
	if diff := cmp.Diff([]string{"A2"}, ids); diff != "" {
		t.Errorf("the second date (-want +got):\n%s", diff)
	}
	// A span over both dates gives A2 once; a change of A1 in the span
	// gives it once, from the mtime index.
	a1.City = "Annanstad"
	mustImport(t, d, ImportOptions{}, a1)
	c.t = c.t.Add(time.Second)
	ids, _, _ = exportWith(t, d, ExportOptions{Since: lm, Dates: &cal})
	if diff := cmp.Diff([]string{"A1", "A2"}, ids); diff != "" {
		t.Errorf("over both dates (-want +got):\n%s", diff)
	}
}

// A new catalogue (NoteCatalogue with another fingerprint) is a change of
// every access for the answers that list services; the same fingerprint
// again is none.
func TestExportCatalogueChange(t *testing.T) {
	d, c := openTest(t)
	mustImport(t, d, ImportOptions{}, acc("A1", "s p1"), acc("A2", "s p2"))
	if _, err := d.NoteCatalogue("v1"); err != nil {
		t.Fatal(err)
	}
	c.t = c.t.Add(time.Minute)
	_, lm, _ := exportWith(t, d, ExportOptions{Catalogue: true})
	if _, err := d.NoteCatalogue("v1"); err != nil {
		t.Fatal(err)
	}
	c.t = c.t.Add(time.Minute)
	if ids, _, _ := exportWith(t, d, ExportOptions{Since: lm, Catalogue: true}); len(ids) != 0 {
		t.Errorf("the same catalogue again: %v", ids)
	}
	stamp, err := d.NoteCatalogue("v2")
	if err != nil {
		t.Fatal(err)
	}
	c.t = c.t.Add(time.Second)
	ids, lm2, _ := exportWith(t, d, ExportOptions{Since: lm, Catalogue: true})
	if diff := cmp.Diff([]string{"A1", "A2"}, ids); diff != "" || !lm2.Equal(stamp.Truncate(time.Second)) {
		t.Errorf("after a new catalogue (-want +got):\n%s Last-Modified %v, want %v", diff, lm2, stamp)
	}
	if ids, _, _ := exportWith(t, d, ExportOptions{Since: lm}); len(ids) != 0 {
		t.Errorf("an answer without services: %v", ids)
	}
}

// PI V1 cannot name UNKNOWN premises: OnlyPIV1 leaves such accesses out,
// and the full export's count knows it.
func TestExportOnlyPIV1(t *testing.T) {
	d, c := openTest(t)
	u := acc("U1", "s pu")
	u.PremisesType = inventory.Unknown
	tech := acc("T1", "s pt")
	tech.PremisesType = inventory.MDUTechnical
	mustImport(t, d, ImportOptions{}, acc("A1", "s p1"), u, tech)
	c.t = c.t.Add(time.Second)
	ids, _, n := exportWith(t, d, ExportOptions{OnlyPIV1: true})
	if diff := cmp.Diff([]string{"A1", "T1"}, ids); diff != "" || n != 2 {
		t.Errorf("full (-want +got):\n%s count %d", diff, n)
	}
	u.PremisesType = inventory.Commercial
	mustImport(t, d, ImportOptions{}, u)
	c.t = c.t.Add(time.Second)
	if ids, _, n := exportWith(t, d, ExportOptions{OnlyPIV1: true}); n != 3 || len(ids) != 3 {
		t.Errorf("after U1 got a type: %v count %d", ids, n)
	}
}

// Every change of an access, order or subscription is in the change log
// at its stamp, and Purge forgets the old ones.
func TestChangeLog(t *testing.T) {
	d, c := openTest(t)
	t0 := c.t
	mustImport(t, d, ImportOptions{}, acc("A1", "s p1"))
	c.t = t0.Add(time.Second)
	a := acc("A1", "s p1")
	a.City = "X"
	mustImport(t, d, ImportOptions{}, a)
	errs := d.Orders().Batch([]func(*OrderTx) error{func(o *OrderTx) error {
		ord := Order{ID: "o1", Owner: "sp", AccessID: "A1", Service: "S", Operation: Activate}
		if err := o.CreateOrder(&ord, ""); err != nil {
			return err
		}
		if err := o.PutService(&Service{SubscriptionID: "s1", AccessID: "A1", UID: "S", Owner: "sp"}); err != nil {
			return err
		}
		return o.EndService("s1", "o1")
	}})
	if errs[0] != nil {
		t.Fatal(errs[0])
	}
	c.t = t0.Add(2 * time.Second)
	if err := d.Inventory().RemoveAccess("A1"); err != nil {
		t.Fatal(err)
	}
	var got []string
	err := d.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketChangeLog).ForEach(func(k, v []byte) error {
			ch, err := decodeChange(k, v)
			got = append(got, ch.Time.Sub(t0).String()+" "+string(ch.Kind)+" "+ch.Object+" "+ch.ID+" "+ch.Owner)
			return err
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"0s CREATE accesses A1 ", "1s UPDATE accesses A1 ", "1s CREATE orders o1 sp", "1s CREATE subscriptions s1 sp",
		"1s DELETE subscriptions s1 sp", "2s DELETE accesses A1 "}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("change log (-want +got):\n%s", diff)
	}
	if n, err := d.Changes().Purge(t0.Add(1500 * time.Millisecond)); err != nil || n != 5 {
		t.Errorf("Purge = %d, %v; want 5", n, err)
	}
}
