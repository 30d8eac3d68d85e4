package clustersys

import (
	"context"
	"errors"
	"log/slog"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/stadsnat/accessd/cmd/accessd/internal/cluster"
	"github.com/stadsnat/accessd/cmd/accessd/internal/cluster/wire"
	"github.com/stadsnat/accessd/cmd/accessd/internal/subsys"
	"github.com/stadsnat/accessd/cmd/internal/config"
	"github.com/stadsnat/accessd/store"
	"github.com/stadsnat/accessd/store/inventory"
)

func openDB(t *testing.T) *store.DB {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), store.FileName), store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func parse(t *testing.T, y string) *config.Config {
	t.Helper()
	cfg, err := config.Parse("c.yaml", []byte("state_dir: /var/lib/accessd\n"+y), config.WithCheck(Check))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 123456789, time.UTC)

func testBinding() store.BindingRecord {
	return store.BindingRecord{MAC: store.MAC{2, 0, 0, 0, 0, 1}, IP: netip.MustParseAddr("10.0.0.1"), State: store.BindingBound,
		Access: "A1", Circuit: "sw1 p1", GIAddr: netip.MustParseAddr("10.0.0.254"), FirstSeen: t0, LastSeen: t0.Add(time.Minute),
		Since: t0, Expires: t0.Add(time.Hour), LeaseTime: time.Hour, Confirmed: true, Source: store.SourceRelay,
		RemoteID: "sw1", CircuitID: "p1", Profile: "default", Option82: []byte{0x52, 4, 1, 2, 'p', '1'}}
}

// A standalone box builds nothing: no node, no hooks, so its DHCP
// commits append no entry at all.
func TestStandaloneAppendsNothing(t *testing.T) {
	db := openDB(t)
	s, err := New(parse(t, ""), db, subsys.Env{Log: slog.New(slog.DiscardHandler)}, Peers{})
	if err != nil {
		t.Fatal(err)
	}
	if s.Node() != nil || len(s.Parts().Tasks) != 0 {
		t.Fatal("standalone built a node")
	}
	if _, err := db.Bindings().Commit(&store.BindingCommit{Bindings: []store.BindingRecord{testBinding()}}); err != nil {
		t.Fatal(err)
	}
	if st, _ := db.Outbox().Stats(SinkFacts); st.Pending != 0 {
		t.Errorf("%d facts appended by a standalone box", st.Pending)
	}
}

// An edge's hooks append each fact in the transaction of its change, and
// each converts to the wire and back to what the store held.
func TestEdgeFactsRoundTrip(t *testing.T) {
	db := openDB(t)
	s := &System{opts: cluster.Options{Role: cluster.Edge, Site: "pop-norr"}}
	db.Outbox().SetHooksFor(hookOwner, s.hooks())
	b := testBinding()
	if _, err := db.Bindings().Commit(&store.BindingCommit{Bindings: []store.BindingRecord{b},
		Unknown:     []store.UnknownCircuit{{Key: "sw9 x", Reason: "no access", Count: 2, FirstSeen: t0, LastSeen: t0, Option82: "5203010178"}},
		UnknownGone: []string{"sw8 y"}}); err != nil {
		t.Fatal(err)
	}
	w := db.Ports().NewWriter(store.PortWriterOptions{})
	ctx, cancel := context.WithCancel(context.Background())
	go w.Run(ctx)
	defer cancel()
	ps := store.PortState{Admin: "up", Oper: "up", Link: store.LinkUp, SpeedMbps: 1000, Since: t0, SinceExact: true, PolledAt: t0,
		Source: "poll", Reachable: true}
	w.Submit(store.PortUpdate{Key: store.PortKey{Switch: "192.0.2.1:161", Port: "p1"}, State: ps, Access: "A1"})
	if err := w.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	es, err := db.Outbox().Pending(SinkFacts, 0, 100)
	if err != nil || len(es) != 4 {
		t.Fatalf("entries %d, %v", len(es), err)
	}
	var msgs []*wire.Message
	for i := range es {
		m, err := factMessage(&es[i])
		if err != nil {
			t.Fatal(err)
		}
		m.Site = "pop-norr"
		enc, err := wire.Encode(m) // what the wire takes
		if err != nil {
			t.Fatalf("entry %d (%s): %v", i, es[i].Kind, err)
		}
		back, err := wire.Decode(enc)
		if err != nil {
			t.Fatal(err)
		}
		msgs = append(msgs, back)
	}
	got, err := storeBinding(msgs[0].Payload.(*wire.Binding))
	if diff := cmp.Diff(b, got, cmpopts.EquateComparable(netip.Addr{})); diff != "" || err != nil {
		t.Errorf("binding round trip (-want +got):\n%s %v", diff, err)
	}
	if u := msgs[2].Payload.(*wire.UnknownCircuit); !u.Gone || u.Key != "sw8 y" {
		t.Errorf("gone circuit %+v", u)
	}
	l := storeLink("pop-norr", msgs[3].At, msgs[3].Payload.(*wire.Link))
	if diff := cmp.Diff(ps, l.State); diff != "" || l.Access != "A1" {
		t.Errorf("link round trip (-want +got):\n%s access %q", diff, l.Access)
	}
}

// A batch that fails the import's checks here is refused whole, kept in
// the store with its problems, and the position moves past it.
func TestInventoryBatchRefused(t *testing.T) {
	db := openDB(t)
	a := &invApplier{db: db, log: slog.New(slog.DiscardHandler), m: mustMetrics(t)}
	good := func(id, o82 string) *wire.AccessChange {
		return &wire.AccessChange{Batch: 1, AccessID: id, Access: &wire.Access{AccessID: id, StreetName: "Storgatan", StreetNumber: "1",
			PostalCode: "90325", City: "Umeå", CountryCode: "SE", PremisesType: string(inventory.ResidentialHouse),
			Activatable: "YES", Sellable: "YES", Option82: o82}}
	}
	ctx := context.Background()
	if err := a.ApplyInventory(ctx, []*wire.AccessChange{good("A1", "sw1 p1"), good("A2", "sw1 p2")}, 3); err != nil {
		t.Fatal(err)
	}
	bad := good("A4", "sw1 p4")
	bad.Access.CountryCode = "Sverige"
	err := a.ApplyInventory(ctx, []*wire.AccessChange{good("A3", "sw1 p1"), bad, {Batch: 2, AccessID: "A1", Removed: true}}, 7)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Inventory().Access("A3"); err == nil {
		t.Error("a refused batch was applied in part")
	}
	if rec, _ := db.Inventory().Access("A1"); rec.Removed {
		t.Error("the refused batch's removal was applied")
	}
	r, ok, err := db.Cluster().LastInventoryRefusal()
	if err != nil || !ok || r.Mark != 7 || r.Changes != 3 || len(r.Problems) != 1 || !strings.Contains(r.Problems[0], "access A4") {
		t.Errorf("refusal %+v %v %v", r, ok, err)
	}
	if m, _ := a.InventoryMark(ctx); m != 7 {
		t.Errorf("mark %d", m)
	}
	// The store's own checks: A3 would take A1's Option82 text.
	if err := a.ApplyInventory(ctx, []*wire.AccessChange{good("A3", "sw1 p1")}, 9); err != nil {
		t.Fatal(err)
	}
	if r, _, _ := db.Cluster().LastInventoryRefusal(); r.Refused != 2 || r.Mark != 9 {
		t.Errorf("second refusal %+v", r)
	}
}

func mustMetrics(t *testing.T) *metrics {
	m, err := newMetrics(nil)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// A hub answers a site's link as the site reported it, and UNKNOWN since
// the site's last contact once the site is stale: never a stale UP.
func TestLinksOfSites(t *testing.T) {
	db := openDB(t)
	in := []store.Incoming{{Access: inventory.Access{AccessID: "A1", StreetName: "S", PostalCode: "1", City: "C", CountryCode: "SE",
		PremisesType: inventory.ResidentialHouse, Activatable: inventory.Yes, Sellable: inventory.Yes, Option82: "sw1 p1"}}}
	if _, err := db.Inventory().Import(in, store.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	l := NewLinks(db)
	if ls, err := l.Link("A1"); err != nil || ls.Link != store.LinkUnknown || ls.Reason != store.NotPolled {
		t.Errorf("before any fact: %+v %v", ls, err)
	}
	_, err := db.Cluster().ApplyFacts(&store.ClusterFacts{Links: []store.RemoteLink{{Site: "pop-norr",
		PortKey: store.PortKey{Switch: "sw1:161", Port: "p1"}, Access: "A1", At: t0,
		State: store.PortState{Link: store.LinkUp, SpeedMbps: 1000, Since: t0, SinceExact: true, Reachable: true}}}})
	if err != nil {
		t.Fatal(err)
	}
	if ls, err := l.Link("A1"); err != nil || ls.Link != store.LinkUp || ls.SpeedMbps != 1000 || !ls.Since.Equal(t0) {
		t.Errorf("reported UP: %+v %v", ls, err)
	}
	since := t0.Add(time.Hour)
	l.setStale("pop-norr", since)
	if ls, _ := l.Link("A1"); ls.Link != store.LinkUnknown || ls.Reason != store.Stale || !ls.Since.Equal(since) {
		t.Errorf("stale site: %+v", ls)
	}
	l.setFresh("pop-norr")
	if ls, _ := l.Link("A1"); ls.Link != store.LinkUp {
		t.Errorf("fresh again: %+v", ls)
	}
	if _, err := l.Link("NOPE"); err == nil {
		t.Error("an unknown access has a link")
	}
}

// -check-config puts the cluster's own rules on their lines, and a hub
// with DHCP sources of its own is refused.
func TestCheck(t *testing.T) {
	y := "site: hub\ndhcp: {relay: {listen: \"127.0.0.1:6767\", allowed_sources: [127.0.0.1/32]}}\ncluster:\n  role: hub\n  nats:\n    leafnode_listen: 0.0.0.0:7422\n"
	_, err := config.Parse("c.yaml", []byte(y), config.WithCheck(Check))
	if err == nil {
		t.Fatal("accepted")
	}
	for _, want := range []string{"c.yaml:4: cluster.role: a hub answers for its sites and has no DHCP sources",
		`c.yaml:6: cluster.nats.leafnode_listen: "0.0.0.0:7422" is off loopback`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("problems lack %q:\n%v", want, err)
		}
	}
	o := Options(parse(t, "site: pop-norr\ncluster: {role: edge, nats: {hub: [\"nats-leaf://127.0.0.1:7422\"]}}\n"))
	if o.NATS.StoreDir != "/var/lib/accessd/nats" || o.Staleness != cluster.DefaultStaleness || *o.NATS.Embedded != true {
		t.Errorf("options %+v", o)
	}
}

// On a read-only store (a full disk) the appliers' errors tell the node to
// wait quietly (cluster.ErrStorePaused) and nothing is written; once the
// store writes again, the same facts and batch apply.
func TestAppliersPauseOnAReadOnlyStore(t *testing.T) {
	db := openDB(t)
	facts := &factApplier{db: db, log: slog.New(slog.DiscardHandler), m: mustMetrics(t)}
	inv := &invApplier{db: db, log: slog.New(slog.DiscardHandler), m: mustMetrics(t)}
	b := testBinding()
	msgs := []*wire.Message{{Site: "pop-norr", Seq: 1, At: t0, Payload: wireBinding(&b)}}
	batch := []*wire.AccessChange{{Batch: 1, AccessID: "A1", Access: &wire.Access{AccessID: "A1", StreetName: "Storgatan",
		StreetNumber: "1", PostalCode: "90325", City: "Umeå", CountryCode: "SE", PremisesType: string(inventory.ResidentialHouse),
		Activatable: "YES", Sellable: "YES", Option82: "sw1 p1"}}}
	db.SetMinFreeBytes(1 << 62)
	if db.Probe() {
		t.Fatal("the store did not go read-only")
	}
	ctx := context.Background()
	if err := facts.ApplyFacts(ctx, msgs); !errors.Is(err, cluster.ErrStorePaused) || !errors.Is(err, store.ErrReadOnly) {
		t.Errorf("ApplyFacts on a read-only store: %v, want a pause", err)
	}
	if err := inv.ApplyInventory(ctx, batch, 3); !errors.Is(err, cluster.ErrStorePaused) {
		t.Errorf("ApplyInventory on a read-only store: %v, want a pause", err)
	}
	if m, _ := facts.FactMarks(ctx); len(m) != 0 {
		t.Errorf("marks %v written on a read-only store", m)
	}
	db.SetMinFreeBytes(1)
	if !db.Probe() {
		t.Fatal("the store did not become writable")
	}
	if err := facts.ApplyFacts(ctx, msgs); err != nil {
		t.Fatal(err)
	}
	if err := inv.ApplyInventory(ctx, batch, 3); err != nil {
		t.Fatal(err)
	}
	if got, err := db.Bindings().ByMAC(b.MAC); err != nil || got.Access != b.Access {
		t.Errorf("binding after the pause: %+v, %v", got, err)
	}
	if m, _ := inv.InventoryMark(ctx); m != 3 {
		t.Errorf("inventory mark %d after the pause, want 3", m)
	}
}
