package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/netip"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	bolt "go.etcd.io/bbolt"

	"github.com/stadsnat/accessd/store/inventory"
)

var addrCmp = cmp.Comparer(func(a, b netip.Addr) bool { return a == b })

var t0 = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

func mac(last byte) MAC { return MAC{0x02, 0, 0, 0, 0, last} }

func ip(s string) netip.Addr { return netip.MustParseAddr(s) }

func rec(m byte, addr string, st BindingState, access string) BindingRecord {
	r := BindingRecord{
		MAC: mac(m), State: st, Access: access, Circuit: "10.0.0.1 ge-0/0/1", GIAddr: ip("10.0.0.1"),
		FirstSeen: t0, LastSeen: t0.Add(time.Minute), Since: t0, Expires: t0.Add(time.Hour),
		LeaseTime: time.Hour, Confirmed: st == BindingBound, Source: SourceRelay,
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
		rec(1, "10.64.0.1", BindingBound, "A1"),
		rec(2, "10.64.0.2", BindingExpired, ""),
		{MAC: mac(3), State: BindingTentative}, // no IP, no times
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

// Hostname is personal data accessd has no use for: never stored. The
// store's record has no field that could hold it (dhcp/ingest drops it
// when it converts a binding to this record; its tests check that).
func TestBindingRecordDropsHostname(t *testing.T) {
	rt := reflect.TypeFor[BindingRecord]()
	for i := range rt.NumField() {
		if f := rt.Field(i); strings.Contains(strings.ToLower(f.Name), "host") {
			t.Errorf("BindingRecord has a field %s: a hostname must never be stored", f.Name)
		}
	}
}

func TestBindingRecordCorrupt(t *testing.T) {
	good := encodeBinding(nil, new(rec(1, "10.64.0.1", BindingBound, "A1")))
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
	for _, r := range []BindingRecord{rec(1, "10.64.0.1", BindingBound, "A1"), rec(2, "", BindingReleased, "")} {
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
	iv := BindingInterval{IP: ip("10.64.0.1"), MAC: mac(1), Access: "A1", Circuit: "c", From: t0, To: t0.Add(time.Hour), Confirmed: true}
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

// indexDump lists the IP index entries, then what OfAccess answers for
// every access a stored binding names (by access, then MAC: the order of
// the access index before migration 12).
func indexDump(t *testing.T, d *DB) []string {
	t.Helper()
	var out []string
	accesses := map[string]bool{}
	d.view(func(tx *bolt.Tx) error {
		tx.Bucket(bucketBindingIP).ForEach(func(k, v []byte) error {
			out = append(out, "ip "+netip.AddrFrom4([4]byte(k)).String()+" "+MAC(v).String())
			return nil
		})
		return tx.Bucket(bucketBindings).ForEach(func(k, v []byte) error {
			r, err := openBinding(k, v)
			if err != nil {
				t.Fatal(err)
			}
			accesses[r.Access] = true
			return nil
		})
	})
	for _, a := range slices.Sorted(maps.Keys(accesses)) {
		rs, err := d.Bindings().OfAccess(a)
		if err != nil {
			t.Fatalf("OfAccess(%q): %v", a, err)
		}
		for _, r := range rs {
			out = append(out, "access "+a+" "+r.MAC.String())
		}
	}
	return out
}

func commit(t *testing.T, d *DB, c *BindingCommit) uint64 {
	t.Helper()
	seq, err := d.Bindings().Commit(c)
	if err != nil {
		t.Fatal(err)
	}
	return seq
}

// The IP index and the bindings of an access follow each binding's latest
// value and hold active bindings only; an IP another MAC took is not
// unindexed by the loser.
func TestCommitBindingsIndexes(t *testing.T) {
	d, _ := openTest(t)
	steps := []struct {
		name string
		c    BindingCommit
		want []string
	}{
		{"two bound", BindingCommit{Bindings: []BindingRecord{rec(1, "10.64.0.1", BindingBound, "A1"), rec(2, "10.64.0.2", BindingTentative, "")}},
			[]string{"ip 10.64.0.1 02:00:00:00:00:01", "ip 10.64.0.2 02:00:00:00:00:02", "access A1 02:00:00:00:00:01"}},
		{"1 moves to another IP and access", BindingCommit{Bindings: []BindingRecord{rec(1, "10.64.0.9", BindingBound, "A2")}},
			[]string{"ip 10.64.0.2 02:00:00:00:00:02", "ip 10.64.0.9 02:00:00:00:00:01", "access A2 02:00:00:00:00:01"}},
		{"3 takes 2's IP, 2 ends", BindingCommit{Bindings: []BindingRecord{rec(3, "10.64.0.2", BindingBound, "A3"), rec(2, "10.64.0.2", BindingExpired, "")}},
			[]string{"ip 10.64.0.2 02:00:00:00:00:03", "ip 10.64.0.9 02:00:00:00:00:01", "access A2 02:00:00:00:00:01", "access A3 02:00:00:00:00:03"}},
		{"1 released", BindingCommit{Bindings: []BindingRecord{rec(1, "10.64.0.9", BindingReleased, "A2")}},
			[]string{"ip 10.64.0.2 02:00:00:00:00:03", "access A3 02:00:00:00:00:03"}},
		{"forget 1 and 3", BindingCommit{Forget: []MAC{mac(1), mac(3)}},
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
	seq, err := d.Bindings().Load(func(r *BindingRecord) error { macs = append(macs, r.MAC.String()+" "+r.State.String()); return nil })
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
		rec(1, "10.64.0.1", BindingBound, "A1"), rec(2, "10.64.0.2", BindingTentative, "A1"), rec(3, "10.64.0.3", BindingExpired, "A1"),
	}})
	r, err := d.Bindings().ByIP(ip("10.64.0.2"))
	if err != nil || r.MAC != mac(2) {
		t.Errorf("BindingByIP = %v, %v", r.MAC, err)
	}
	if _, err := d.Bindings().ByIP(ip("10.64.0.3")); !errors.Is(err, ErrNotFound) {
		t.Errorf("BindingByIP of an ended binding's IP: %v, want ErrNotFound", err)
	}
	if _, err := d.Bindings().ByMAC(mac(9)); !errors.Is(err, ErrNotFound) {
		t.Errorf("BindingByMAC(unknown): %v", err)
	}
	rs, err := d.Bindings().OfAccess("A1")
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
	h := func(m byte, from, to int, access string) BindingInterval {
		return BindingInterval{IP: ip("10.64.0.1"), MAC: mac(m), Access: access, Circuit: "k",
			From: t0.Add(time.Duration(from) * time.Hour), To: t0.Add(time.Duration(to) * time.Hour), Confirmed: true}
	}
	other := h(9, 0, 10, "B")
	other.IP = ip("10.64.0.2")
	commit(t, d, &BindingCommit{History: []BindingInterval{h(2, 5, 8, "A2"), h(1, 0, 5, "A1"), other, h(3, 9, 12, "A3")}})
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
		ivs, _, err := d.Bindings().History(ip("10.64.0.1"), c.at, 0)
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
	ivs, _, _ := d.Bindings().History(ip("10.64.0.1"), t0.Add(time.Hour), 0)
	if diff := cmp.Diff([]BindingInterval{h(1, 0, 5, "A1")}, ivs, addrCmp); diff != "" {
		t.Errorf("interval round trip (-want +got):\n%s", diff)
	}

	commit(t, d, &BindingCommit{Events: []BindingEvent{
		{Kind: "mac-moved", Time: t0.Add(time.Hour), MAC: mac(1), Access: "A2", PrevAccess: "A1"},
		{Kind: EventCircuitConflict, Time: t0.Add(10 * time.Hour), Circuit: "k", Accesses: []string{"A1", "A2"}},
	}})
	ni, ne, err := d.Bindings().PurgeHistory(t0.Add(9 * time.Hour))
	if err != nil || ni != 2 || ne != 1 {
		t.Errorf("purge = %d intervals, %d events, %v; want 2, 1", ni, ne, err)
	}
	ivs, _, _ = d.Bindings().History(ip("10.64.0.1"), time.Time{}, 0)
	if len(ivs) != 1 || ivs[0].Access != "A3" {
		t.Errorf("after purge: %+v", ivs)
	}
	evs, err := d.Bindings().LastEvents(10)
	if err != nil || len(evs) != 1 || evs[0].Seq != 2 || evs[0].Kind != EventCircuitConflict {
		t.Errorf("events after purge: %+v, %v", evs, err)
	}
	if _, _, err := d.Bindings().History(ip("2001:db8::1"), time.Time{}, 0); err == nil {
		t.Error("history of an IPv6 address: no error")
	}
}

// A history query with a limit reads the newest intervals only, and says
// that older ones exist.
func TestBindingHistoryLimit(t *testing.T) {
	d, _ := openTest(t)
	var ivs []BindingInterval
	for i := range 5 {
		ivs = append(ivs, BindingInterval{IP: ip("10.64.0.1"), MAC: mac(byte(i + 1)), Access: fmt.Sprintf("A%d", i+1), Circuit: "k",
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
		got, more, err := d.Bindings().History(ip("10.64.0.1"), c.at, c.limit)
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
	us, err := d.Bindings().UnknownCircuits()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]UnknownCircuit{u}, us, addrCmp); diff != "" {
		t.Errorf("unknown circuits (-want +got):\n%s", diff)
	}
	ls, err := d.Bindings().LastOption82s()
	if err != nil || len(ls) != 1 || ls[0].Hex != "520401026162" || !ls[0].Seen.Equal(t0) {
		t.Errorf("last option 82: %+v, %v", ls, err)
	}
	if l, err := d.Bindings().LastOption82Of("A1"); err != nil || l.Hex != "520401026162" {
		t.Errorf("LastOption82Of(A1) = %+v, %v", l, err)
	}
	if _, err := d.Bindings().LastOption82Of("A9"); !errors.Is(err, ErrNotFound) {
		t.Errorf("LastOption82Of(A9): %v", err)
	}
	evs, err := d.Bindings().Events(0, 10)
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
	g0, err := d.Inventory().Generation()
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
		got, err := d.Inventory().ResolveCircuit(c.key, c.cid, c.rid)
		c.want.Generation = g0
		if diff := cmp.Diff(c.want, got); diff != "" || err != nil {
			t.Errorf("ResolveCircuit(%q, %q, %q) (-want +got):\n%s %v", c.key, c.cid, c.rid, diff, err)
		}
	}
	if err := d.Inventory().RemoveAccess("A2"); err != nil {
		t.Fatal(err)
	}
	if g1, _ := d.Inventory().Generation(); g1 == g0 {
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
		if err := ix.put(&a, nil); err != nil {
			return err
		}
		return oldLayout(tx)
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
	if _, err := d.Inventory().Access("A1"); err != nil {
		t.Errorf("access after migration: %v", err)
	}
	if seq := commit(t, d, &BindingCommit{Bindings: []BindingRecord{rec(1, "10.64.0.1", BindingBound, "A1")}}); seq != 1 {
		t.Errorf("first commit after migration: sequence %d", seq)
	}
}

// The MAC's JSON form is the one files already hold ("02:00:5e:…",
// written by the events and unknown circuits before the store had its own
// MAC type); upper-case hex is read too.
func TestMACText(t *testing.T) {
	m := MAC{0x02, 0x00, 0x5e, 0xab, 0xcd, 0xef}
	if got := m.String(); got != "02:00:5e:ab:cd:ef" {
		t.Errorf("String() = %q", got)
	}
	var e BindingEvent
	if err := json.Unmarshal([]byte(`{"seq":1,"kind":"mac-moved","mac":"02:00:5E:AB:CD:EF","prevMac":"02:00:5e:00:00:01"}`), &e); err != nil {
		t.Fatal(err)
	}
	if e.MAC != m || e.PrevMAC != (MAC{2, 0, 0x5e, 0, 0, 1}) || e.Kind != EventMACMoved {
		t.Errorf("decoded %+v", e)
	}
	out, err := json.Marshal(BindingEvent{Kind: EventIPChanged, MAC: m})
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"seq":0,"kind":"ip-changed","time":"0001-01-01T00:00:00Z","mac":"02:00:5e:ab:cd:ef"}`; string(out) != want {
		t.Errorf("encoded %s, want %s", out, want)
	}
	for _, bad := range []string{"", "02:00:5e:ab:cd", "02-00-5e-ab-cd-ef", "02:00:5e:ab:cd:eg", "0200.5eab.cdef"} {
		var m MAC
		if err := m.UnmarshalText([]byte(bad)); !errors.Is(err, ErrCorrupt) {
			t.Errorf("UnmarshalText(%q) = %v, want ErrCorrupt", bad, err)
		}
	}
}

// The state and source bytes are on disk: their numbers and names never
// change.
func TestBindingEnumsStable(t *testing.T) {
	var got []string
	for _, s := range BindingStates {
		got = append(got, fmt.Sprintf("%d=%s active=%v", s, s, s.Active()))
	}
	for _, s := range BindingSources {
		got = append(got, fmt.Sprintf("%d=%s", s, s))
	}
	got = append(got, BindingState(9).String(), BindingSource(0).String())
	want := []string{"1=tentative active=true", "2=bound active=true", "3=released active=false", "4=expired active=false",
		"5=declined active=false", "1=relay", "2=snoop", "3=kea", "state(9)", "source(0)"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// writeBindingAccessIndexV4 writes the access index of the bindings as
// schemas 4 to 11 kept it: AccessId 0x00 MAC ⇒ ∅ for every active binding
// with an IPv4 address and an access.
func writeBindingAccessIndexV4(tx *bolt.Tx) error {
	acc, err := tx.CreateBucketIfNotExists(bucketBindingAccessV4)
	if err != nil {
		return err
	}
	return tx.Bucket(bucketBindings).ForEach(func(k, v []byte) error {
		r, err := openBinding(k, v)
		if err != nil {
			return err
		}
		if !r.State.Active() || !r.IP.Is4() || r.Access == "" {
			return nil
		}
		return acc.Put(append(append([]byte(r.Access), 0), r.MAC[:]...), nil)
	})
}

// Migration 12 drops the access index of the bindings from a file at
// schema 11; the bindings of an access read back as the index listed them.
func TestMigration12DropsTheBindingAccessIndex(t *testing.T) {
	bindings := []BindingRecord{rec(1, "10.64.0.1", BindingBound, "A1"), rec(2, "10.64.0.2", BindingTentative, "A1"),
		rec(3, "10.64.0.3", BindingExpired, "A1"), rec(4, "10.64.0.4", BindingBound, "A2"), rec(5, "10.64.0.5", BindingBound, "")}
	indexed := map[string][]string{}
	path := atSchema(t, 11, func(tx *bolt.Tx) error {
		if tx.Bucket(bucketBindingAccessV4) == nil {
			t.Error("no dhcp_binding_access bucket at schema 11")
		}
		if err := putBindings(tx, bindings); err != nil {
			return err
		}
		if err := writeBindingAccessIndexV4(tx); err != nil {
			return err
		}
		return tx.Bucket(bucketBindingAccessV4).ForEach(func(k, _ []byte) error {
			a := string(k[:len(k)-7])
			indexed[a] = append(indexed[a], MAC(k[len(k)-6:]).String())
			return nil
		})
	})
	if diff := cmp.Diff(map[string][]string{"A1": {mac(1).String(), mac(2).String()}, "A2": {mac(4).String()}}, indexed); diff != "" {
		t.Fatalf("the schema 11 index (-want +got):\n%s", diff)
	}
	d, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	d.view(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketBindingAccessV4) != nil {
			t.Error("dhcp_binding_access still there after migration 12")
		}
		return nil
	})
	for _, a := range []string{"A1", "A2", "A3", ""} {
		rs, err := d.Bindings().OfAccess(a)
		if err != nil {
			t.Fatalf("OfAccess(%q): %v", a, err)
		}
		var got []string
		for _, r := range rs {
			got = append(got, r.MAC.String())
		}
		if diff := cmp.Diff(indexed[a], got); diff != "" {
			t.Errorf("OfAccess(%q) after migration 12 (-the schema 11 index +got):\n%s", a, diff)
		}
	}
	if seq := commit(t, d, &BindingCommit{Bindings: []BindingRecord{rec(6, "10.64.0.6", BindingBound, "A2")}}); seq != 1 {
		t.Errorf("first commit after migration: sequence %d", seq)
	}
	if rs, err := d.Bindings().OfAccess("A2"); err != nil || len(rs) != 2 {
		t.Errorf("OfAccess(A2) after a commit: %d bindings, %v; want 2", len(rs), err)
	}
}
