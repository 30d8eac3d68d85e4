package nocsys

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/stadsnat/accessd/store"
	"github.com/stadsnat/accessd/store/inventory"
)

func bigInventory(b *testing.B) *store.DB {
	db, err := store.Open(filepath.Join(b.TempDir(), store.FileName), store.Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	in := make([]store.Incoming, 100_000)
	for i := range in {
		in[i] = store.Incoming{Line: i + 2, Access: inventory.Access{AccessID: fmt.Sprintf("ALS%07d", i), StreetName: "Storgatan",
			StreetNumber: fmt.Sprint(i%250 + 1), PostalCode: "12345", City: "Stadby", CountryCode: "SE", PremisesType: "MDU_APARTMENT",
			MDUApartmentNumber: fmt.Sprint(1001 + i%40), Activatable: "YES", Sellable: "YES", Option82: fmt.Sprintf("10.1.%d.%d ge-0/0/%d", i/48>>8, i/48&255, i%48)}}
	}
	if _, err := db.Inventory().Import(in, store.ImportOptions{}); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	return db
}

// BenchmarkAddressIndexRebuild100k: building the address index of 100,000
// accesses (at start, or after a large import).
func BenchmarkAddressIndexRebuild100k(b *testing.B) {
	db := bigInventory(b)
	var x addrIndex
	b.ReportAllocs()
	for b.Loop() {
		x.built = false
		if err := x.refresh(db); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAddressIndexDelta100k: following one changed access (an
// upsert through the import API) among 100,000.
func BenchmarkAddressIndexDelta100k(b *testing.B) {
	db := bigInventory(b)
	var x addrIndex
	if err := x.refresh(db); err != nil {
		b.Fatal(err)
	}
	rec, err := db.Inventory().Access("ALS0050000")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		b.StopTimer()
		a := rec.Access
		a.StreetNumber = fmt.Sprint(n % 500)
		n++
		if _, err := db.Inventory().Import([]store.Incoming{{Line: 2, Access: a}}, store.ImportOptions{}); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if err := x.refresh(db); err != nil {
			b.Fatal(err)
		}
	}
}
