package store

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stadsnat/accessd/store/inventory"
	"github.com/stadsnat/accessd/store/inventory/invtest"
)

// benchStore is a real store file (fsync on) holding n generated accesses.
func benchStore(b *testing.B, n int) (*DB, *clock, []inventory.Access) {
	b.Helper()
	c := &clock{t: time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)}
	d, err := Open(filepath.Join(b.TempDir(), FileName), Options{Now: c.now})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { d.Close() })
	as := invtest.Generate(n, 1)
	if n > 0 {
		if _, err := d.Import(incoming(as...), ImportOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	return d, c, as
}

// BenchmarkImport100k: 100,000 new accesses in one all-or-nothing import
// into an empty store (goal ≤ 10 s including parsing; see the inventory
// package for the parse).
func BenchmarkImport100k(b *testing.B) {
	as := invtest.Generate(100_000, 1)
	in := incoming(as...)
	b.ResetTimer()
	for b.Loop() {
		b.StopTimer()
		d, err := Open(filepath.Join(b.TempDir(), FileName), Options{})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if _, err := d.Import(in, ImportOptions{}); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		d.Close()
		b.StartTimer()
	}
}

// BenchmarkReimportUnchanged100k: the same 100,000 again (nothing to write).
func BenchmarkReimportUnchanged100k(b *testing.B) {
	d, _, as := benchStore(b, 100_000)
	in := incoming(as...)
	for b.Loop() {
		if _, err := d.Import(in, ImportOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkExportFull100k walks every record of a full export.
func BenchmarkExportFull100k(b *testing.B) {
	d, _, _ := benchStore(b, 100_000)
	for b.Loop() {
		s, err := d.Accesses(time.Time{})
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		s.Each(func(*AccessRecord) error { n++; return nil })
		s.Close()
		if n != 100_000 {
			b.Fatalf("exported %d", n)
		}
	}
}

// BenchmarkExportIncremental100of100k: 100 accesses changed since the last
// Last-Modified, in a store of 100,000 (goal ≤ 20 ms for the HTTP answer).
func BenchmarkExportIncremental100of100k(b *testing.B) {
	d, c, as := benchStore(b, 100_000)
	s, _ := d.Accesses(time.Time{})
	lm := s.LastModified
	s.Close()
	c.t = c.t.Add(time.Minute)
	changed := make([]inventory.Access, 100)
	for i := range changed {
		changed[i] = as[i*997]
		changed[i].City = "Ändrad"
	}
	if _, err := d.Import(incoming(changed...), ImportOptions{}); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		s, err := d.Accesses(lm)
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		s.Each(func(*AccessRecord) error { n++; return nil })
		s.Close()
		if n != 100 || s.Count != 100 {
			b.Fatalf("incremental export has %d (count %d), want 100", n, s.Count)
		}
	}
}

func BenchmarkAccessByCircuit(b *testing.B) {
	d, _, as := benchStore(b, 100_000)
	a := as[4242]
	c, r := circuitOf(&a)
	for b.Loop() {
		if _, err := d.AccessByCircuit(c, r); err != nil {
			b.Fatal(err)
		}
	}
}
