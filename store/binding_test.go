package store

import (
	"errors"
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	bolt "go.etcd.io/bbolt"

	"github.com/stadsnat/accessd/dhcp/binding"
	"github.com/stadsnat/accessd/dhcp/hwaddr"
	"github.com/stadsnat/accessd/store/inventory"
)

var addrCmp = cmp.Comparer(func(a, b netip.Addr) bool { return a == b })

var t0 = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

func mac(last byte) hwaddr.MAC { return hwaddr.MAC{0x02, 0, 0, 0, 0, last} }

func ip(s string) netip.Addr { return netip.MustParseAddr(s) }

func rec(m byte, addr string, st binding.State, access string) BindingRecord {
	r := BindingRecord{
		Binding: binding.Binding{
			MAC: mac(m), State: st, Access: access, Circuit: "10.0.0.1 ge-0/0/1", GIAddr: ip("10.0.0.1"),
			FirstSeen: t0, LastSeen: t0.Add(time.Minute), Since: t0, Expires: t0.Add(time.Hour),
			LeaseTime: time.Hour, Confirmed: st == binding.Bound, Source: binding.SourceRelay,
		},
		RemoteID: "10.0.0.1", CircuitID: "ge-0/0/1", Profile: "default",
		Option82: []byte{82, 4, 1, 2, 'a', 'b'},
	}
	if addr != "" {
		r.IP = ip(addr)
	}
	if !st.Active() {
		r.Ended = t0.Add(2 * time.Minute)
	}
	return r
}

func TestBindingRecordRoundTrip(t *testing.T) {
	for _, r := range []BindingRecord{
		rec(1, "10.64.0.1", binding.Bound, "A1"),
		rec(2, "10.64.0.2", binding.Expired, ""),
		{Binding: binding.Binding{MAC: mac(3), State: binding.Tentative}}, // no IP, no times
	} {
		got, err := decodeBinding(encodeBinding(nil, &r))
		if err != nil {
			t.Fatalf("decode: %v", err)
		}
		if diff := cmp.Diff(r, got, addrCmp); diff != "" {
			t.Errorf("round trip (-want +got):\n%s", diff)
		}
	}
}

// Hostname is personal data accessd has no use for: never stored.
func TestBindingRecordDropsHostname(t *testing.T) {
	d, _ := openTest(t)
	r := rec(1, "10.64.0.1", binding.Bound, "A1")
	r.Hostname = "familjen-svensson"
	if _, err := d.CommitBindings(&BindingCommit{Bindings: []BindingRecord{r}}); err != nil {
		t.Fatal(err)
	}
	got, err := d.BindingByMAC(mac(1))
	if err != nil || got.Hostname != "" {
		t.Errorf("stored binding: hostname %q, %v", got.Hostname, err)
	}
}

func TestBindingRecordCorrupt(t *testing.T) {
	good := encodeBinding(nil, new(rec(1, "10.64.0.1", binding.Bound, "A1")))
	for name, v := range map[string][]byte{
		"empty":          nil,
		"short":          good[:10],
		"format":         append([]byte{9}, good[1:]...),
		"length too big": append(append([]byte(nil), good[:len(good)-7]...), 0xff, 0xff, 0x03),
	} {
		if _, err := decodeBinding(v); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: err %v, want ErrCorrupt", name, err)
		}
	}
	// A record that ends after the fixed part decodes the rest as zero.
	r, err := decodeBinding(good[:bindingFixed])
	if err != nil || r.MAC != mac(1) || r.Access != "" {
		t.Errorf("fixed part only: %+v, %v", r, err)
	}
}

func FuzzBindingRecord(f *testing.F) {
	for _, r := range []BindingRecord{rec(1, "10.64.0.1", binding.Bound, "A1"), rec(2, "", binding.Released, "")} {
		f.Add(encodeBinding(nil, &r))
	}
	f.Add([]byte{1, 2, 3})
	f.Fuzz(func(t *testing.T, v []byte) {
		r, err := decodeBinding(v)
		if err != nil {
			return
		}
		again, err := decodeBinding(encodeBinding(nil, &r))
		if err != nil {
			t.Fatalf("re-encoded record does not decode: %v", err)
		}
		if diff := cmp.Diff(r, again, addrCmp); diff != "" {
			t.Errorf("encode∘decode is not the identity (-first +second):\n%s", diff)
		}
	})
}

func FuzzInterval(f *testing.F) {
	iv := binding.Interval{IP: ip("10.64.0.1"), MAC: mac(1), Access: "A1", Circuit: "c", From: t0, To: t0.Add(time.Hour), Confirmed: true}
	f.Add(intervalKey(&iv), encodeInterval(&iv))
	f.Fuzz(func(t *testing.T, k, v []byte) {
		iv, err := decodeInterval(k, v)
		if err != nil {
			return
		}
		again, err := decodeInterval(intervalKey(&iv), encodeInterval(&iv))
		if err != nil {
			t.Fatalf("re-encoded interval does not decode: %v", err)
		}
		if diff := cmp.Diff(iv, again, addrCmp); diff != "" {
			t.Errorf("(-first +second):\n%s", diff)
		}
	})
}

// indexDump lists the IP and access index entries.
func indexDump(t *testing.T, d *DB) []string {
	t.Helper()
	var out []string
	d.view(func(tx *bolt.Tx) error {
		tx.Bucket(bucketBindingIP).ForEach(func(k, v []byte) error {
			out = append(out, "ip "+netip.AddrFrom4([4]byte(k)).String()+" "+hwaddr.MAC(v).String())
			return nil
		})
		tx.Bucket(bucketBindingAccess).ForEach(func(k, _ []byte) error {
			out = append(out, "access "+string(k[:len(k)-7])+" "+hwaddr.MAC(k[len(k)-6:]).String())
			return nil
		})
		return nil
	})
	return out
}

func commit(t *testing.T, d *DB, c *BindingCommit) uint64 {
	t.Helper()
	seq, err := d.CommitBindings(c)
	if err != nil {
		t.Fatal(err)
	}
	return seq
}

// The IP and access indexes follow each binding's latest value and hold
// active bindings only; an IP another MAC took is not unindexed by the
// loser.
func TestCommitBindingsIndexes(t *testing.T) {
	d, _ := openTest(t)
	steps := []struct {
		name string
		c    BindingCommit
		want []string
	}{
		{"two bound", BindingCommit{Bindings: []BindingRecord{rec(1, "10.64.0.1", binding.Bound, "A1"), rec(2, "10.64.0.2", binding.Tentative, "")}},
			[]string{"ip 10.64.0.1 02:00:00:00:00:01", "ip 10.64.0.2 02:00:00:00:00:02", "access A1 02:00:00:00:00:01"}},
		{"1 moves to another IP and access", BindingCommit{Bindings: []BindingRecord{rec(1, "10.64.0.9", binding.Bound, "A2")}},
			[]string{"ip 10.64.0.2 02:00:00:00:00:02", "ip 10.64.0.9 02:00:00:00:00:01", "access A2 02:00:00:00:00:01"}},
		{"3 takes 2's IP, 2 ends", BindingCommit{Bindings: []BindingRecord{rec(3, "10.64.0.2", binding.Bound, "A3"), rec(2, "10.64.0.2", binding.Expired, "")}},
			[]string{"ip 10.64.0.2 02:00:00:00:00:03", "ip 10.64.0.9 02:00:00:00:00:01", "access A2 02:00:00:00:00:01", "access A3 02:00:00:00:00:03"}},
		{"1 released", BindingCommit{Bindings: []BindingRecord{rec(1, "10.64.0.9", binding.Released, "A2")}},
			[]string{"ip 10.64.0.2 02:00:00:00:00:03", "access A3 02:00:00:00:00:03"}},
		{"forget 1 and 3", BindingCommit{Forget: []hwaddr.MAC{mac(1), mac(3)}},
			nil},
	}
	for i, s := range steps {
		if seq := commit(t, d, &s.c); seq != uint64(i+1) {
			t.Errorf("%s: commit sequence %d, want %d", s.name, seq, i+1)
		}
		if diff := cmp.Diff(s.want, indexDump(t, d)); diff != "" {
			t.Errorf("%s: indexes (-want +got):\n%s", s.name, diff)
		}
	}
	var macs []string
	seq, err := d.LoadBindings(func(r *BindingRecord) error { macs = append(macs, r.MAC.String()+" "+r.State.String()); return nil })
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"02:00:00:00:00:02 expired"}, macs); diff != "" || seq != 5 {
		t.Errorf("LoadBindings at seq %d (-want +got):\n%s", seq, diff)
	}
}

func TestBindingLookups(t *testing.T) {
	d, _ := openTest(t)
	commit(t, d, &BindingCommit{Bindings: []BindingRecord{
		rec(1, "10.64.0.1", binding.Bound, "A1"), rec(2, "10.64.0.2", binding.Tentative, "A1"), rec(3, "10.64.0.3", binding.Expired, "A1"),
	}})
	r, err := d.BindingByIP(ip("10.64.0.2"))
	if err != nil || r.MAC != mac(2) {
		t.Errorf("BindingByIP = %v, %v", r.MAC, err)
	}
	if _, err := d.BindingByIP(ip("10.64.0.3")); !errors.Is(err, ErrNotFound) {
		t.Errorf("BindingByIP of an ended binding's IP: %v, want ErrNotFound", err)
	}
	if _, err := d.BindingByMAC(mac(9)); !errors.Is(err, ErrNotFound) {
		t.Errorf("BindingByMAC(unknown): %v", err)
	}
	rs, err := d.BindingsOfAccess("A1")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range rs {
		got = append(got, r.IP.String())
	}
	if diff := cmp.Diff([]string{"10.64.0.1", "10.64.0.2"}, got); diff != "" {
		t.Errorf("BindingsOfAccess (-want +got):\n%s", diff)
	}
}

func TestBindingHistoryAt(t *testing.T) {
	d, _ := openTest(t)
	h := func(m byte, from, to int, access string) binding.Interval {
		return binding.Interval{IP: ip("10.64.0.1"), MAC: mac(m), Access: access, Circuit: "k",
			From: t0.Add(time.Duration(from) * time.Hour), To: t0.Add(time.Duration(to) * time.Hour), Confirmed: true}
	}
	other := h(9, 0, 10, "B")
	other.IP = ip("10.64.0.2")
	commit(t, d, &BindingCommit{History: []binding.Interval{h(2, 5, 8, "A2"), h(1, 0, 5, "A1"), other, h(3, 9, 12, "A3")}})
	for _, c := range []struct {
		at   time.Time
		want []string
	}{
		{time.Time{}, []string{"A1", "A2", "A3"}},
		{t0.Add(time.Hour), []string{"A1"}},
		{t0.Add(5 * time.Hour), []string{"A1", "A2"}}, // the hand-over instant belongs to both
		{t0.Add(8*time.Hour + time.Minute), nil},
		{t0.Add(12 * time.Hour), []string{"A3"}},
		{t0.Add(-time.Hour), nil},
	} {
		ivs, _, err := d.BindingHistory(ip("10.64.0.1"), c.at, 0)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, iv := range ivs {
			got = append(got, iv.Access)
		}
		if diff := cmp.Diff(c.want, got); diff != "" {
			t.Errorf("at %v (-want +got):\n%s", c.at, diff)
		}
	}
	ivs, _, _ := d.BindingHistory(ip("10.64.0.1"), t0.Add(time.Hour), 0)
	if diff := cmp.Diff([]binding.Interval{h(1, 0, 5, "A1")}, ivs, addrCmp); diff != "" {
		t.Errorf("interval round trip (-want +got):\n%s", diff)
	}

	commit(t, d, &BindingCommit{Events: []BindingEvent{
		{Kind: "mac-moved", Time: t0.Add(time.Hour), MAC: mac(1), Access: "A2", PrevAccess: "A1"},
		{Kind: EventCircuitConflict, Time: t0.Add(10 * time.Hour), Circuit: "k", Accesses: []string{"A1", "A2"}},
	}})
	ni, ne, err := d.PurgeBindingHistory(t0.Add(9 * time.Hour))
	if err != nil || ni != 2 || ne != 1 {
		t.Errorf("purge = %d intervals, %d events, %v; want 2, 1", ni, ne, err)
	}
	ivs, _, _ = d.BindingHistory(ip("10.64.0.1"), time.Time{}, 0)
	if len(ivs) != 1 || ivs[0].Access != "A3" {
		t.Errorf("after purge: %+v", ivs)
	}
	evs, err := d.LastBindingEvents(10)
	if err != nil || len(evs) != 1 || evs[0].Seq != 2 || evs[0].Kind != EventCircuitConflict {
		t.Errorf("events after purge: %+v, %v", evs, err)
	}
	if _, _, err := d.BindingHistory(ip("2001:db8::1"), time.Time{}, 0); err == nil {
		t.Error("history of an IPv6 address: no error")
	}
}

// A history query with a limit reads the newest intervals only, and says
// that older ones exist.
func TestBindingHistoryLimit(t *testing.T) {
	d, _ := openTest(t)
	var ivs []binding.Interval
	for i := range 5 {
		ivs = append(ivs, binding.Interval{IP: ip("10.64.0.1"), MAC: mac(byte(i + 1)), Access: fmt.Sprintf("A%d", i+1), Circuit: "k",
			From: t0.Add(time.Duration(2*i) * time.Hour), To: t0.Add(time.Duration(2*i+1) * time.Hour)})
	}
	other := ivs[0]
	other.IP = ip("10.64.0.2")
	commit(t, d, &BindingCommit{History: append(ivs, other)})
	for _, c := range []struct {
		at    time.Time
		limit int
		want  []string
		more  bool
	}{
		{time.Time{}, 0, []string{"A1", "A2", "A3", "A4", "A5"}, false},
		{time.Time{}, 5, []string{"A1", "A2", "A3", "A4", "A5"}, false},
		{time.Time{}, 2, []string{"A4", "A5"}, true},
		{t0.Add(4*time.Hour + time.Minute), 1, []string{"A3"}, false},
		{t0.Add(5*time.Hour + 30*time.Minute), 1, nil, false},
	} {
		got, more, err := d.BindingHistory(ip("10.64.0.1"), c.at, c.limit)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, iv := range got {
			ids = append(ids, iv.Access)
		}
		if diff := cmp.Diff(c.want, ids); diff != "" || more != c.more {
			t.Errorf("at %v limit %d: more %v, want %v; (-want +got):\n%s", c.at, c.limit, more, c.more, diff)
		}
	}
}

func TestBindingEventsUnknownLastOption82(t *testing.T) {
	d, _ := openTest(t)
	u := UnknownCircuit{Key: "10.0.0.9 ge-0/0/1", Reason: "no access", Count: 3, FirstSeen: t0, LastSeen: t0.Add(time.Second), LastMAC: mac(1)}
	commit(t, d, &BindingCommit{
		Events:       []BindingEvent{{Kind: "ip-taken-over", Time: t0, MAC: mac(2), IP: ip("10.64.0.1"), PrevMAC: mac(1)}},
		Unknown:      []UnknownCircuit{u, {Key: "gone", Reason: "no access"}},
		LastOption82: []LastOption82{{Access: "A1", Hex: "520401026162", Seen: t0}},
	})
	commit(t, d, &BindingCommit{UnknownGone: []string{"gone"}})
	us, err := d.UnknownCircuits()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]UnknownCircuit{u}, us, addrCmp); diff != "" {
		t.Errorf("unknown circuits (-want +got):\n%s", diff)
	}
	ls, err := d.LastOption82s()
	if err != nil || len(ls) != 1 || ls[0].Hex != "520401026162" || !ls[0].Seen.Equal(t0) {
		t.Errorf("last option 82: %+v, %v", ls, err)
	}
	if l, err := d.LastOption82Of("A1"); err != nil || l.Hex != "520401026162" {
		t.Errorf("LastOption82Of(A1) = %+v, %v", l, err)
	}
	if _, err := d.LastOption82Of("A9"); !errors.Is(err, ErrNotFound) {
		t.Errorf("LastOption82Of(A9): %v", err)
	}
	evs, err := d.BindingEvents(0, 10)
	want := []BindingEvent{{Seq: 1, Kind: "ip-taken-over", Time: t0, MAC: mac(2), IP: ip("10.64.0.1"), PrevMAC: mac(1)}}
	if diff := cmp.Diff(want, evs, addrCmp); diff != "" || err != nil {
		t.Errorf("events (-want +got):\n%s %v", diff, err)
	}
}

func TestResolveCircuit(t *testing.T) {
	d, _ := openTest(t)
	a3 := acc("A3", "sw9 port1")
	a3.DHCPIdentifier = inventory.DHCPIdentifier{IPv4CircuitID: "ge-0/0/1", IPv4RemoteID: "10.0.0.9"}
	mustImport(t, d, ImportOptions{}, acc("A1", "10.0.0.1 ge-0/0/1"), acc("A2", "rl-down"), a3, acc("A4", "10.0.0.5 shared"), acc("A5", "10.0.0.6 shared"))
	g0, err := d.AccessGeneration()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		key, cid, rid string
		want          CircuitMatch
	}{
		{"10.0.0.1 ge-0/0/1", "ge-0/0/1", "10.0.0.1", CircuitMatch{ByKey: "A1", ByPair: "A1"}},
		{"rl-down", "rl-down", "", CircuitMatch{ByKey: "A2", ByPair: "A2"}},
		{"10.0.0.9 ge-0/0/1", "ge-0/0/1", "10.0.0.9", CircuitMatch{ByPair: "A3"}},
		{"shared", "shared", "", CircuitMatch{PairAmbiguous: true}},
		{"nothing", "nothing", "", CircuitMatch{}},
	} {
		got, err := d.ResolveCircuit(c.key, c.cid, c.rid)
		c.want.Generation = g0
		if diff := cmp.Diff(c.want, got); diff != "" || err != nil {
			t.Errorf("ResolveCircuit(%q, %q, %q) (-want +got):\n%s %v", c.key, c.cid, c.rid, diff, err)
		}
	}
	if err := d.RemoveAccess("A2"); err != nil {
		t.Fatal(err)
	}
	if g1, _ := d.AccessGeneration(); g1 == g0 {
		t.Error("removing an access did not change the generation")
	}
}

// Migration 4 adds the DHCP buckets to a file at schema 3 and keeps its
// accesses.
func TestMigration4CreatesBindingBuckets(t *testing.T) {
	path := atSchema(t, 3, func(tx *bolt.Tx) error {
		for _, b := range bindingBuckets() {
			if tx.Bucket(b) != nil {
				t.Errorf("bucket %s exists before migration 4", b)
			}
		}
		ix := openIndexes(tx)
		a := AccessRecord{Access: acc("A1", "rl-down"), Seq: 1, Modified: t0}
		return ix.put(&a, nil)
	})
	d, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	d.view(func(tx *bolt.Tx) error {
		for _, b := range bindingBuckets() {
			if tx.Bucket(b) == nil {
				t.Errorf("bucket %s missing after migration 4", b)
			}
		}
		return nil
	})
	if _, err := d.Access("A1"); err != nil {
		t.Errorf("access after migration: %v", err)
	}
	if seq := commit(t, d, &BindingCommit{Bindings: []BindingRecord{rec(1, "10.64.0.1", binding.Bound, "A1")}}); seq != 1 {
		t.Errorf("first commit after migration: sequence %d", seq)
	}
}
