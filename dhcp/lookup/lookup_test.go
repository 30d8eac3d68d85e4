package lookup

import (
	"errors"
	"fmt"
	"net/netip"
	"path/filepath"
	"testing"

	"github.com/stadsnat/accessd/dhcp/circuit"
	"github.com/stadsnat/accessd/dhcp/option82"
	"github.com/stadsnat/accessd/store"
	"github.com/stadsnat/accessd/store/inventory"
)

func access(id, option82 string) inventory.Access {
	return inventory.Access{
		AccessID: id, StreetName: "Testvägen", StreetNumber: "1", PostalCode: "10000", City: "Ankeborg",
		CountryCode: "SE", PremisesType: inventory.ResidentialHouse, Activatable: inventory.Yes,
		Sellable: inventory.Yes, Option82: option82,
	}
}

// testInventory is a real store with the accesses the tables look up.
func testInventory(t testing.TB) store.Inventory {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), store.FileName), store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	var in []store.Incoming
	for i, a := range []inventory.Access{
		access("SPEC", "10.10.10.10 eth 0/1"), access("CISCO", "bs3g2 4/4"), access("RL", "rl-down"),
		access("UNIQ", "uniq-sw ge-0/0/1"), access("S1", "10.0.0.5 shared"), access("S2", "10.0.0.6 shared"),
	} {
		in = append(in, store.Incoming{Line: i + 2, Access: a})
	}
	if _, err := db.Inventory().Import(in, store.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	return db.Inventory()
}

// testProfiles are the decoder profiles of the tables: binary Cisco
// circuits (selected by giaddr in the packet path) and relays that send
// only the port.
func testProfiles(t testing.TB) *Profiles {
	t.Helper()
	p, err := NewProfiles([]circuit.Profile{
		{Name: "cisco", GIAddr: []netip.Prefix{netip.MustParsePrefix("10.9.0.0/16")}, Format: circuit.FormatCisco, Key: "{remote_id} {module}/{port}"},
		{Name: "by-giaddr", GIAddr: []netip.Prefix{netip.MustParsePrefix("10.8.0.0/16")}, Key: "{giaddr}/{circuit_id}"},
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func sub(code option82.Code, s string) option82.SubOption {
	return option82.SubOption{Code: code, Data: []byte(s)}
}

// hexOf encodes instances, each a list of sub-options, as TLV hex.
func hexOf(t testing.TB, instances ...[]option82.SubOption) string {
	t.Helper()
	var opts []option82.Option
	for _, subs := range instances {
		opts = append(opts, option82.Option{Subs: subs})
	}
	h, err := option82.FormatHex(opts...)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// resolveCase is one look-up of the tables: hex, or circuit-id and
// remote-id text when hex is empty.
type resolveCase struct {
	name     string
	hex      string
	cid, rid string
	want     string
	err      error
}

func resolveCases(t testing.TB) []resolveCase {
	const spec = "5216010765746820302F31020B31302E31302E31302E3130"
	cid, rid := sub(option82.CircuitID, "eth 0/1"), sub(option82.RemoteID, "10.10.10.10")
	emptyC, emptyR := option82.SubOption{Code: option82.CircuitID}, option82.SubOption{Code: option82.RemoteID}
	cisco := []option82.SubOption{{Code: option82.CircuitID, Data: []byte{0, 4, 0x09, 0x49, 4, 4}}, sub(option82.RemoteID, "\x01\x05bs3g2")}
	return []resolveCase{
		{name: "PI-API spec example", hex: spec, want: "SPEC"},
		{name: "spec, lower case", hex: "5216010765746820302f31020b31302e31302e31302e3130", want: "SPEC"},
		{name: "spec with an empty circuit-id first", hex: hexOf(t, []option82.SubOption{emptyC, cid, rid}), want: "SPEC"},
		{name: "spec with an empty remote-id last", hex: hexOf(t, []option82.SubOption{cid, rid, emptyR}), want: "SPEC"},
		{name: "an empty hop before the spec's", hex: hexOf(t, []option82.SubOption{emptyC, emptyR}, []option82.SubOption{cid, rid}), want: "SPEC"},
		{name: "the spec's identity over two hops (the profiles read across hops)", hex: hexOf(t, []option82.SubOption{emptyC, rid}, []option82.SubOption{cid, emptyR}), want: "SPEC"},
		{name: "only empty sub-options", hex: hexOf(t, []option82.SubOption{emptyC, emptyR}), err: store.ErrNotFound},
		{name: "circuit-id only", hex: hexOf(t, []option82.SubOption{sub(option82.CircuitID, "rl-down")}), want: "RL"},
		{name: "circuit-id and an empty remote-id", hex: hexOf(t, []option82.SubOption{sub(option82.CircuitID, "rl-down"), emptyR}), want: "RL"},
		{name: "a unique remote-id alone", hex: hexOf(t, []option82.SubOption{sub(option82.RemoteID, "uniq-sw")}), want: "UNIQ"},
		{name: "a shared circuit-id", hex: hexOf(t, []option82.SubOption{sub(option82.CircuitID, "shared")}), err: store.ErrAmbiguous},
		{name: "Cisco binary through its profile", hex: "52110106000409490404020701056273336732", want: "CISCO"},
		{name: "Cisco binary after an empty circuit-id", hex: hexOf(t, append([]option82.SubOption{emptyC}, cisco...)), want: "CISCO"},
		{name: "giaddr profile without a packet", hex: hexOf(t, []option82.SubOption{sub(option82.CircuitID, "port-7")}), err: store.ErrNotFound},
		{name: "nothing", hex: hexOf(t, []option82.SubOption{sub(option82.CircuitID, "nowhere"), sub(option82.RemoteID, "10.1.1.1")}), err: store.ErrNotFound},
		{name: "not found, then ambiguous", hex: hexOf(t, []option82.SubOption{sub(option82.CircuitID, "nowhere")}, []option82.SubOption{sub(option82.CircuitID, "shared")}), err: store.ErrAmbiguous},
		{name: "dhcplookup pair", cid: "eth 0/1", rid: "10.10.10.10", want: "SPEC"},
		{name: "dhcplookup circuit-id only", cid: "rl-down", want: "RL"},
		{name: "dhcplookup remote-id only", rid: "uniq-sw", want: "UNIQ"},
		{name: "dhcplookup shared circuit-id", cid: "shared", err: store.ErrAmbiguous},
		{name: "dhcplookup nothing", cid: "nowhere", rid: "10.1.1.1", err: store.ErrNotFound},
	}
}

func (c resolveCase) run(t testing.TB, r *Resolver) (string, error) {
	t.Helper()
	if c.hex == "" {
		return r.Resolve(nil, c.cid, c.rid)
	}
	opts, err := option82.ParseHex(c.hex)
	if err != nil {
		t.Fatalf("%s: %v", c.name, err)
	}
	return r.Resolve(opts, "", "")
}

func TestResolve(t *testing.T) {
	ps := testProfiles(t)
	r := New(testInventory(t), func() *Profiles { return ps }, nil)
	for _, c := range resolveCases(t) {
		id, err := c.run(t, r)
		if id != c.want || (c.err == nil) != (err == nil) || (c.err != nil && !errors.Is(err, c.err)) {
			t.Errorf("%s: Resolve = %q, %v; want %q, %v", c.name, id, err, c.want, c.err)
		}
	}
}

// Without profiles the built-in default profile applies: the binary Cisco
// circuit is not found, the text ones are.
func TestResolveDefaultProfile(t *testing.T) {
	r := New(testInventory(t), nil, nil)
	for _, c := range resolveCases(t) {
		id, err := c.run(t, r)
		if c.want == "CISCO" {
			if !errors.Is(err, store.ErrNotFound) {
				t.Errorf("%s without the cisco profile: %q, %v", c.name, id, err)
			}
			continue
		}
		if id != c.want || (c.err == nil) != (err == nil) || (c.err != nil && !errors.Is(err, c.err)) {
			t.Errorf("%s: Resolve = %q, %v; want %q, %v", c.name, id, err, c.want, c.err)
		}
	}
}

type liveMap map[string]string

func (m liveMap) LiveAccess(key string) (string, bool) { id, ok := m[key]; return id, ok }

// The live step answers what the inventory's text does not, by the
// identity of the Option 82: empty sub-options do not change its key.
func TestResolveLive(t *testing.T) {
	port7 := []option82.Option{{Subs: []option82.SubOption{sub(option82.CircuitID, "port-7")}}}
	k, ok := LiveKey(port7)
	if !ok {
		t.Fatal("no live key")
	}
	spec := []option82.Option{{Subs: []option82.SubOption{sub(option82.CircuitID, "eth 0/1"), sub(option82.RemoteID, "10.10.10.10")}}}
	ks, _ := LiveKey(spec)
	r := New(testInventory(t), nil, liveMap{k: "GI", ks: "STALE"})
	for _, c := range []struct {
		name string
		opts []option82.Option
		want string
	}{
		{"learned", port7, "GI"},
		{"learned, with an empty remote-id", []option82.Option{{Subs: []option82.SubOption{sub(option82.CircuitID, "port-7"), {Code: option82.RemoteID}}}}, "GI"},
		{"learned, after an empty hop", []option82.Option{{Subs: []option82.SubOption{{Code: option82.CircuitID}}}, port7[0]}, "GI"},
		{"the inventory's text comes first", spec, "SPEC"},
	} {
		if id, err := r.Resolve(c.opts, "", ""); id != c.want || err != nil {
			t.Errorf("%s: Resolve = %q, %v; want %q", c.name, id, err, c.want)
		}
	}
	if id, err := r.Resolve(nil, "port-7", ""); id != "GI" || err != nil {
		t.Errorf("dhcplookup circuit-id port-7: %q, %v; want GI", id, err)
	}
}

func TestLiveKey(t *testing.T) {
	a := []option82.Option{{Subs: []option82.SubOption{sub(1, "c"), sub(2, "r")}}}
	same := [][]option82.Option{
		{{Subs: []option82.SubOption{{Code: 1}, sub(1, "c"), sub(2, "r"), {Code: 2}}}},
		{{Subs: []option82.SubOption{{Code: 1}, {Code: 2}}}, a[0]},
	}
	other := [][]option82.Option{
		{{Subs: []option82.SubOption{sub(1, "c")}}, {Subs: []option82.SubOption{sub(2, "r")}}},
		{{Subs: []option82.SubOption{sub(2, "r"), sub(1, "c")}}},
		{{Subs: []option82.SubOption{sub(1, "c"), sub(2, "r"), {Code: 9}}}},
		{{Subs: []option82.SubOption{sub(1, "cr")}}},
	}
	ka, _ := LiveKey(a)
	for i, o := range same {
		if k, _ := LiveKey(o); k != ka {
			t.Errorf("same identity %d: another key", i)
		}
	}
	for i, o := range other {
		if k, _ := LiveKey(o); k == ka {
			t.Errorf("other option %d: the same key", i)
		}
	}
	if _, ok := LiveKey([]option82.Option{{Subs: []option82.SubOption{{Code: 1}}}}); ok {
		t.Error("an option of empty sub-options has a key")
	}
}

func TestMatchCircuit(t *testing.T) {
	for _, c := range []struct {
		m    store.CircuitMatch
		want Match
	}{
		{store.CircuitMatch{ByKey: "A", ByPair: "A"}, Match{Access: "A"}},
		{store.CircuitMatch{ByKey: "A", ByPair: "B"}, Match{Access: "A", Conflict: "B"}},
		{store.CircuitMatch{ByKey: "A", PairAmbiguous: true}, Match{Access: "A"}},
		{store.CircuitMatch{ByPair: "B"}, Match{Access: "B"}},
		{store.CircuitMatch{PairAmbiguous: true}, Match{Ambiguous: true}},
		{store.CircuitMatch{}, Match{}},
	} {
		if got := MatchCircuit(c.m); got != c.want {
			t.Errorf("MatchCircuit(%+v) = %+v, want %+v", c.m, got, c.want)
		}
	}
}

// answer is a look-up's outcome: an access, or the kind of failure.
func answer(id string, err error) string {
	switch {
	case err == nil:
		return "access " + id
	case errors.Is(err, store.ErrAmbiguous):
		return "ambiguous"
	case errors.Is(err, store.ErrNotFound):
		return "not found"
	}
	return "error " + err.Error()
}

// withoutEmpty is opts without their zero-length circuit-id and
// remote-id sub-options (never nil: nil asks for the text look-up).
func withoutEmpty(opts []option82.Option) []option82.Option {
	out := []option82.Option{}
	for _, o := range opts {
		var n option82.Option
		for _, s := range o.Subs {
			if len(s.Data) > 0 || (s.Code != option82.CircuitID && s.Code != option82.RemoteID) {
				n.Subs = append(n.Subs, s)
			}
		}
		if len(n.Subs) > 0 {
			out = append(out, n)
		}
	}
	return out
}

// textOf is the circuit-id and remote-id of an Option 82 that a text
// look-up can express: one instance of at most one non-empty circuit-id
// and one non-empty remote-id, and empty ones.
func textOf(opts []option82.Option) (cid, rid string, ok bool) {
	w := withoutEmpty(opts)
	if len(w) != 1 {
		return "", "", false
	}
	var c, r int
	for _, s := range w[0].Subs {
		switch s.Code {
		case option82.CircuitID:
			c++
			cid = string(s.Data)
		case option82.RemoteID:
			r++
			rid = string(s.Data)
		default:
			return "", "", false
		}
	}
	if c > 1 || r > 1 {
		return "", "", false
	}
	// A text look-up builds circuit-id before remote-id.
	if c == 1 && r == 1 && w[0].Subs[0].Code != option82.CircuitID {
		return "", "", false
	}
	return cid, rid, true
}

// FuzzResolve checks the rules on any Option 82: empty circuit-id and
// remote-id sub-options never change the answer (with or without the
// live step), and the text look-up of the same identity gets the same
// answer as its hex.
func FuzzResolve(f *testing.F) {
	for _, c := range resolveCases(f) {
		if c.hex == "" {
			if opts := TextOption(c.cid, c.rid); opts != nil {
				b, _ := option82.EncodeTLV(opts...)
				f.Add(b)
			}
			continue
		}
		b, err := option82.DecodeHex(c.hex)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	inv := testInventory(f)
	ps := testProfiles(f)
	plain := New(inv, func() *Profiles { return ps }, nil)
	f.Fuzz(func(t *testing.T, b []byte) {
		opts, err := option82.ParseTLV(b)
		if err != nil {
			return
		}
		want := answer(plain.Resolve(opts, "", ""))
		if got := answer(plain.Resolve(withoutEmpty(opts), "", "")); got != want {
			t.Errorf("%X: %s, without its empty sub-options %s", b, want, got)
		}
		if k, ok := LiveKey(opts); ok {
			live := New(inv, func() *Profiles { return ps }, liveMap{k: "LIVE"})
			a, b2 := answer(live.Resolve(opts, "", "")), answer(live.Resolve(withoutEmpty(opts), "", ""))
			if a != b2 {
				t.Errorf("%X with a live binding: %s, without its empty sub-options %s", b, a, b2)
			}
		}
		if cid, rid, ok := textOf(opts); ok {
			if got := answer(plain.Resolve(nil, cid, rid)); got != want {
				t.Errorf("%X: %s, as text (%q, %q) %s", b, want, cid, rid, got)
			}
		}
	})
}

// failingInventory finds nothing by text and cannot read circuits.
type failingInventory struct{ err error }

func (f failingInventory) AccessByCircuit(string, string) (string, error) {
	return "", fmt.Errorf("nothing: %w", store.ErrNotFound)
}

func (f failingInventory) AccessByCircuitBytes(c, r []byte) (string, error) {
	return f.AccessByCircuit(string(c), string(r))
}

func (f failingInventory) ResolveCircuit(string, string, string) (store.CircuitMatch, error) {
	return store.CircuitMatch{}, f.err
}

// A store that fails is an error, never a "not found".
func TestResolveStoreFails(t *testing.T) {
	boom := errors.New("disk on fire")
	r := New(failingInventory{boom}, nil, nil)
	_, err := r.Resolve(nil, "eth 0/1", "10.10.10.10")
	if !errors.Is(err, boom) || errors.Is(err, store.ErrNotFound) {
		t.Errorf("Resolve = %v, want the store's error", err)
	}
}
