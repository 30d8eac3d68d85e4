package inventory_test

import (
	"bytes"
	"testing"

	"github.com/stadsnat/accessd/store/inventory"
	"github.com/stadsnat/accessd/store/inventory/invtest"
)

// The figures of the import budget (100,000 accesses) come from
//
//	go test ./store/inventory -run '^$' -bench 'ReadCSV100k|ReadJSON100k|Validate|Normalize' -benchmem
//	go test ./store/inventory/invtest -run '^$' -bench . -benchmem

// benchRead reads an inventory of 100,000 generated accesses once per
// iteration; run with -benchmem. The figure for the import budget is ns/op.
func benchRead(b *testing.B, f inventory.Format) {
	var buf bytes.Buffer
	var err error
	if f == inventory.CSV {
		err = invtest.WriteCSV(&buf, 100_000, 1)
	} else {
		err = invtest.WriteJSON(&buf, 100_000, 1)
	}
	if err != nil {
		b.Fatal(err)
	}
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		n := 0
		if err := inventory.Read(f, bytes.NewReader(data), func(int, inventory.Access) error {
			n++
			return nil
		}); err != nil {
			b.Fatal(err)
		}
		if n != 100_000 {
			b.Fatalf("read %d accesses, want 100000", n)
		}
	}
}

func BenchmarkReadCSV100k(b *testing.B)  { benchRead(b, inventory.CSV) }
func BenchmarkReadJSON100k(b *testing.B) { benchRead(b, inventory.JSON) }

// BenchmarkValidate validates one access per op, cycling through 1,000
// generated ones.
func BenchmarkValidate(b *testing.B) {
	as := invtest.Generate(1000, 1)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if err := inventory.Validate(as[i%len(as)], inventory.CSV); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkNormalize normalises one access per op.
func BenchmarkNormalize(b *testing.B) {
	as := invtest.Generate(1000, 1)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		_ = inventory.Normalize(as[i%len(as)])
		i++
	}
}

// BenchmarkWriteCSV100k writes 100,000 accesses per op.
func BenchmarkWriteCSV100k(b *testing.B) {
	as := invtest.Generate(100_000, 1)
	var buf bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		if err := inventory.WriteCSV(&buf, sliceSeq(as), inventory.ExtendedCSVColumns()...); err != nil {
			b.Fatal(err)
		}
	}
}
