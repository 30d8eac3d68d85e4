package store

import (
	"fmt"
	"net/netip"
	"path/filepath"
	"syscall"
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
		if _, err := d.Inventory().Import(incoming(as...), ImportOptions{}); err != nil {
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
		if _, err := d.Inventory().Import(in, ImportOptions{}); err != nil {
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
		if _, err := d.Inventory().Import(in, ImportOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkExportFull100k walks every record of a full export.
func BenchmarkExportFull100k(b *testing.B) {
	d, _, _ := benchStore(b, 100_000)
	for b.Loop() {
		s, err := d.Inventory().Accesses(time.Time{})
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
	c.t = c.t.Add(time.Second) // an answer covers the changes before its second
	s, _ := d.Inventory().Accesses(time.Time{})
	lm := s.LastModified
	s.Close()
	c.t = c.t.Add(time.Minute)
	changed := make([]inventory.Access, 100)
	for i := range changed {
		changed[i] = as[i*997]
		changed[i].City = "Ändrad"
	}
	if _, err := d.Inventory().Import(incoming(changed...), ImportOptions{}); err != nil {
		b.Fatal(err)
	}
	c.t = c.t.Add(time.Second)
	for b.Loop() {
		s, err := d.Inventory().Accesses(lm)
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
		if _, err := d.Inventory().AccessByCircuit(c, r); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEventsPoll100of100k: ON-API events/ polled with the last
// Last-Modified, after 100 changes, in a change log holding the import of
// 100,000 accesses (events.md: "fairly lightweight … to allow rapid
// requests"): a range scan of the span only.
func BenchmarkEventsPoll100of100k(b *testing.B) {
	d, c, as := benchStore(b, 100_000)
	c.t = c.t.Add(time.Second)
	s, _ := d.Inventory().Accesses(time.Time{})
	lm := s.LastModified
	s.Close()
	c.t = c.t.Add(time.Minute)
	changed := make([]inventory.Access, 100)
	for i := range changed {
		changed[i] = as[i*997]
		changed[i].City = "Ändrad"
	}
	if _, err := d.Inventory().Import(incoming(changed...), ImportOptions{}); err != nil {
		b.Fatal(err)
	}
	c.t = c.t.Add(time.Second)
	cal, _ := inventory.Stockholm()
	for b.Loop() {
		a, err := d.Changes().Events(EventsOptions{Since: lm, Owner: "sp", Dates: &cal})
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		a.Each(func(Change) error { n++; return nil })
		a.Close()
		if n < 100 {
			b.Fatalf("%d events, want at least the 100 changes", n)
		}
	}
}

// BenchmarkBindingsCommit1000 is the CPU of one DHCP group commit of
// 1,000 changed bindings (no fsync: NoSync), into a store of 20,000. A
// standalone box runs no change hook here; compare with the cluster's
// BenchmarkEdgeCommit for what an edge's facts add.
//
//	go test ./store -run '^$' -bench BindingsCommit1000 -count 10
func BenchmarkBindingsCommit1000(b *testing.B) {
	d, err := Open(filepath.Join(b.TempDir(), FileName), Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	recs := make([]BindingRecord, 20000)
	t0 := time.Unix(1_700_000_000, 0).UTC()
	for i := range recs {
		recs[i] = BindingRecord{MAC: MAC{2, 0, 0, byte(i >> 16), byte(i >> 8), byte(i)}, IP: netip.AddrFrom4([4]byte{10, 64, byte(i >> 8), byte(i)}),
			State: BindingBound, Access: fmt.Sprintf("A%05d", i%480), FirstSeen: t0, LastSeen: t0, Since: t0, Expires: t0.Add(time.Hour)}
	}
	if _, err := d.Bindings().Commit(&BindingCommit{Bindings: recs}); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := range b.N {
		batch := make([]BindingRecord, 1000)
		for j := range batch {
			r := recs[(i*1000+j)%len(recs)]
			r.LastSeen = t0.Add(time.Duration(i+1) * time.Second)
			batch[j] = r
		}
		if _, err := d.Bindings().Commit(&BindingCommit{Bindings: batch}); err != nil {
			b.Fatal(err)
		}
	}
}

// newBinding is client n of a load run: a sequential MAC and address
// (cmd/dhcpload's), or with random set a MAC spread over the key space as
// real clients' are, on access n mod 480, as the ingest writes a new
// client: tentative, with its circuit and option 82.
func newBinding(n int, random bool, t time.Time) BindingRecord {
	acc := fmt.Sprintf("SW%02d-P%02d", n%480/48, n%48)
	m := MAC{2, 0, byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}
	if random {
		// A bijection of the 32 bits: distinct clients, distinct MACs.
		h := uint32(n) * 0x9e3779b1
		h ^= h >> 15
		h *= 0x85ebca77
		h ^= h >> 13
		m = MAC{2, 0x5e, byte(h >> 24), byte(h >> 16), byte(h >> 8), byte(h)}
	}
	return BindingRecord{MAC: m,
		IP: netip.AddrFrom4([4]byte{10, 64 + byte(n>>16), byte(n >> 8), byte(n)}), State: BindingTentative, Access: acc,
		Circuit: acc, GIAddr: netip.AddrFrom4([4]byte{10, 0, 0, 1}), FirstSeen: t, LastSeen: t, Since: t, Expires: t.Add(time.Hour),
		Source: SourceRelay, RemoteID: acc[:4], CircuitID: acc[5:], Profile: "default", Option82: []byte{1, 3, 'P', '0', '1', 2, 4, 'S', 'W', '0', '1'}}
}

// BenchmarkBindingsCommitNew is the CPU of one DHCP group commit of
// 5,000 new clients (no fsync: NoSync) into a store that already holds
// 200,000 or 1,000,000 bindings over 480 accesses (issue 15, "a million
// clients": 50,000 new bindings a second). Its µs/binding is the commit
// time each new client costs. MACs come in order (cmd/dhcpload's) or
// random (real clients'): random keys dirty a page of dhcp_bindings per
// client instead of appending.
//
//	go test ./store -run '^$' -bench BindingsCommitNew -benchtime 40x
func BenchmarkBindingsCommitNew(b *testing.B) {
	for _, random := range []bool{false, true} {
		for _, held := range []int{200_000, 1_000_000} {
			b.Run(fmt.Sprintf("macs=%s/held=%d", map[bool]string{false: "ordered", true: "random"}[random], held), func(b *testing.B) {
				benchCommitNew(b, held, random)
			})
		}
	}
}

func benchCommitNew(b *testing.B, held int, random bool) {
	d, err := Open(filepath.Join(b.TempDir(), FileName), Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	t0 := time.Unix(1_700_000_000, 0).UTC()
	const per = 5000
	batch := make([]BindingRecord, per)
	n := 0
	commit := func() {
		for j := range batch {
			batch[j] = newBinding(n, random, t0)
			n++
		}
		if _, err := d.Bindings().Commit(&BindingCommit{Bindings: batch}); err != nil {
			b.Fatal(err)
		}
	}
	for n < held {
		commit()
	}
	b.ResetTimer()
	cpu0 := processCPU(b)
	for range b.N {
		commit()
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*per), "µs/binding")
	// The process's CPU (the collector's too): what a busy shared machine
	// moves least.
	b.ReportMetric(float64((processCPU(b)-cpu0).Microseconds())/float64(b.N*per), "cpu-µs/binding")
}

// processCPU is the CPU time (user and system) the process used so far.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
