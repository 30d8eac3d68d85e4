package store

import (
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/stadsnat/accessd/store/inventory/invtest"
)

// leafFill is how full bucket name's leaf pages are, 0 to 1.
func leafFill(t *testing.T, d *DB, name []byte) float64 {
	t.Helper()
	var fill float64
	err := d.bolt.View(func(tx *bolt.Tx) error {
		s := tx.Bucket(name).Stats()
		fill = float64(s.LeafInuse) / float64(s.LeafPageN*tx.DB().Info().PageSize)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return fill
}

// A first import only appends to every bucket it writes: their pages are
// packed (appendFill), not left half empty as bbolt's default would, so
// the file and a large commit's dirty pages are about what the data
// needs. A later import that inserts among the keys keeps bbolt's default
// for that bucket; the change log, only ever appended to, stays packed.
func TestImportPacksAppendedPages(t *testing.T) {
	d, _ := openTest(t)
	as := invtest.Generate(4000, 1)
	mustImport(t, d, ImportOptions{}, as[:2000]...)
	for _, b := range [][]byte{bucketAccesses, bucketAccessMtime, bucketAccessOption82, bucketAccessCircuit, bucketChangeLog} {
		if f := leafFill(t, d, b); f < 0.8 {
			t.Errorf("%s after a first import: leaf pages %.0f%% full, want ≥ 80%%", b, 100*f)
		}
	}
	mustImport(t, d, ImportOptions{}, as[2000:]...)
	if f := leafFill(t, d, bucketChangeLog); f < 0.8 {
		t.Errorf("change log after a second import: leaf pages %.0f%% full, want ≥ 80%%", 100*f)
	}
	got, err := d.Inventory().Access(as[3999].AccessID)
	if err != nil || !got.Same(&as[3999]) {
		t.Errorf("access %q after the second import: %v, %v", as[3999].AccessID, got.Access, err)
	}
}
