package store

import (
	"errors"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	bolt "go.etcd.io/bbolt"
)

func TestMigration11CreatesTheClusterBuckets(t *testing.T) {
	path := atSchema(t, 10, nil)
	d, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	d.view(func(tx *bolt.Tx) error {
		for _, b := range clusterBuckets() {
			if tx.Bucket(b) == nil {
				t.Errorf("bucket %s missing", b)
			}
		}
		return nil
	})
	if m, err := d.Cluster().InventoryMark(); err != nil || m != 0 {
		t.Errorf("InventoryMark = %d, %v", m, err)
	}
}

// populateCluster fills every bucket of the cluster's domain for
// TestEveryValueIsSealed: a site's link state and mark (ApplyFacts), the
// published position of this box's inventory, another instance's batch
// applied (its external range and the mark) and a refused batch.
func populateCluster(t *testing.T, d *DB) {
	t.Helper()
	c := d.Cluster()
	_, err := c.ApplyFacts(&ClusterFacts{
		Bindings: []BindingRecord{testBinding(9, "10.64.0.9", BindingBound, "A1", t0)},
		Links:    []RemoteLink{{Site: "pop-norr", PortKey: pk1, Access: "A1", State: up(tp), At: tp}},
		Marks:    map[string]ClusterMark{"pop-norr": {Seq: 2, At: tp}}})
	if err != nil {
		t.Fatal(err)
	}
	bs, err := c.InventoryBatches(100)
	if err != nil || len(bs) == 0 {
		t.Fatalf("inventory batches %v, %v", bs, err)
	}
	if err := c.SetInventoryPublished(bs[len(bs)-1].End); err != nil {
		t.Fatal(err)
	}
	changed := acc("A1", "sw1 ge-0/0/1") // a change of another instance's import
	changed.StreetNumber = "102"
	if _, err := c.ApplyInventory(incoming(changed), nil, 3, true); err != nil {
		t.Fatal(err)
	}
	if err := c.RefuseInventory(4, InventoryRefusal{At: tp, Mark: 4, Changes: 1, Problems: []string{"line 2: option82: taken"}}); err != nil {
		t.Fatal(err)
	}
}

func testBinding(mac byte, ip string, st BindingState, access string, since time.Time) BindingRecord {
	return BindingRecord{MAC: MAC{2, 0, 0, 0, 0, mac}, IP: netip.MustParseAddr(ip), State: st, Access: access,
		Circuit: "sw1 ge-0/0/" + access, FirstSeen: since, LastSeen: since, Since: since, Expires: since.Add(time.Hour),
		Confirmed: st == BindingBound, Option82: []byte{0x52, 3, 1, 1, 'x'}}
}

// A run of facts is applied with its marks in one transaction: the
// bindings with their indexes, the intervals their changes close, the
// last Option 82, the link states with their index by access.
func TestApplyFacts(t *testing.T) {
	d, c := openTest(t)
	t0 := c.t
	b1 := testBinding(1, "10.0.0.1", BindingBound, "A1", t0)
	moved := testBinding(1, "10.0.0.9", BindingBound, "A1", t0.Add(time.Minute)) // the client changed IP
	b2 := testBinding(2, "10.0.0.2", BindingBound, "A2", t0)
	link := RemoteLink{Site: "pop-norr", PortKey: PortKey{Switch: "192.0.2.1:161", Port: "ge-0/0/1"}, Access: "A1",
		State: PortState{Link: LinkUp, SpeedMbps: 1000, Since: t0, Reachable: true}, At: t0}
	got, err := d.Cluster().ApplyFacts(&ClusterFacts{
		Bindings: []BindingRecord{b1, b2, moved},
		Unknown:  []UnknownCircuit{{Key: "sw9 x", Reason: "no access", Count: 1, FirstSeen: t0, LastSeen: t0}},
		Links:    []RemoteLink{link},
		Marks:    map[string]ClusterMark{"pop-norr": {Seq: 3, At: t0}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Bindings) != 2 || got.Bindings[0].IP != moved.IP || len(got.LastOption82) != 2 {
		t.Errorf("applied %+v", got)
	}
	if r, err := d.Bindings().ByIP(netip.MustParseAddr("10.0.0.9")); err != nil || r.Access != "A1" {
		t.Errorf("ByIP(new) = %+v, %v", r, err)
	}
	if _, err := d.Bindings().ByIP(netip.MustParseAddr("10.0.0.1")); !errors.Is(err, ErrNotFound) {
		t.Errorf("the old IP is still indexed: %v", err)
	}
	ivs, _, err := d.Bindings().History(netip.MustParseAddr("10.0.0.1"), time.Time{}, 0)
	if err != nil || len(ivs) != 1 || !ivs[0].From.Equal(t0) || !ivs[0].To.Equal(moved.Since) || ivs[0].Access != "A1" {
		t.Errorf("history of the old IP = %+v, %v", ivs, err)
	}
	if us, _ := d.Bindings().UnknownCircuits(); len(us) != 1 {
		t.Errorf("unknown circuits %+v", us)
	}
	l, ok, err := d.Cluster().RemoteLinkOf("A1")
	if err != nil || !ok || l.State.Link != LinkUp || l.Site != "pop-norr" {
		t.Errorf("RemoteLinkOf(A1) = %+v, %v, %v", l, ok, err)
	}
	marks, err := d.Cluster().Marks()
	if diff := cmp.Diff(map[string]ClusterMark{"pop-norr": {Seq: 3, At: t0}}, marks); diff != "" || err != nil {
		t.Errorf("marks (-want +got):\n%s %v", diff, err)
	}
	// The port now serves another access: the old index entry goes.
	link.Access, link.At = "A2", t0.Add(time.Second)
	if _, err := d.Cluster().ApplyFacts(&ClusterFacts{Links: []RemoteLink{link}}); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := d.Cluster().RemoteLinkOf("A1"); ok {
		t.Error("A1 still names the port")
	}
	if _, ok, _ := d.Cluster().RemoteLinkOf("A2"); !ok {
		t.Error("A2 does not name the port")
	}
}

// A failing part rolls back the whole run, marks included.
func TestApplyFactsIsAtomic(t *testing.T) {
	d, c := openTest(t)
	boom := errors.New("boom")
	_, err := d.Cluster().ApplyFacts(&ClusterFacts{
		Bindings: []BindingRecord{testBinding(1, "10.0.0.1", BindingBound, "A1", c.t)},
		Orders:   func(*OrderTx) error { return boom },
		Marks:    map[string]ClusterMark{"pop-norr": {Seq: 1, At: c.t}},
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err %v", err)
	}
	if marks, _ := d.Cluster().Marks(); len(marks) != 0 {
		t.Errorf("marks written: %v", marks)
	}
	if _, err := d.Bindings().ByMAC(MAC{2, 0, 0, 0, 0, 1}); !errors.Is(err, ErrNotFound) {
		t.Errorf("binding written: %v", err)
	}
}

// An edge refuses imports while it follows a hub; the hub's batches are
// applied with the import's checks and the mark in one transaction.
func TestApplyInventoryAndFollowing(t *testing.T) {
	d, _ := openTest(t)
	mustImport(t, d, ImportOptions{}, acc("A1", "sw1 p1"), acc("A2", "sw1 p2"))
	d.Inventory().SetFollowing("hub")
	var fe *FollowingError
	if _, err := d.Inventory().Import(incoming(acc("A3", "sw1 p3")), ImportOptions{}); !errors.As(err, &fe) || fe.Hub != "hub" {
		t.Errorf("Import while following: %v", err)
	}
	if err := d.Inventory().RemoveAccess("A1"); !errors.As(err, &fe) {
		t.Errorf("RemoveAccess while following: %v", err)
	}
	sum, err := d.Cluster().ApplyInventory(incoming(acc("A3", "sw1 p3"), acc("A2", "sw1 p22")), []string{"A1", "A9"}, 7, false)
	if err != nil {
		t.Fatal(err)
	}
	if want := (ImportSummary{Created: 1, Updated: 1, Removed: 1}); sum != want {
		t.Errorf("summary %+v, want %+v", sum, want)
	}
	if m, _ := d.Cluster().InventoryMark(); m != 7 {
		t.Errorf("mark %d", m)
	}
	// A batch that fails the import's checks changes nothing, mark
	// included.
	_, err = d.Cluster().ApplyInventory(incoming(acc("A4", "sw1 p3")), nil, 9, false)
	var ce *ConflictError
	if !errors.As(err, &ce) {
		t.Fatalf("conflicting batch: %v", err)
	}
	if _, err := d.Inventory().Access("A4"); !errors.Is(err, ErrNotFound) {
		t.Errorf("A4 stored: %v", err)
	}
	if m, _ := d.Cluster().InventoryMark(); m != 7 {
		t.Errorf("mark %d after a refused batch", m)
	}
	if err := d.Cluster().RefuseInventory(9, InventoryRefusal{Mark: 9, Changes: 1, Problems: []string{ce.Error()}}); err != nil {
		t.Fatal(err)
	}
	r, ok, err := d.Cluster().LastInventoryRefusal()
	if err != nil || !ok || r.Refused != 1 || r.Mark != 9 {
		t.Errorf("refusal %+v %v %v", r, ok, err)
	}
	if m, _ := d.Cluster().InventoryMark(); m != 9 {
		t.Errorf("mark %d after the refusal", m)
	}
	d.Inventory().SetFollowing("")
	mustImport(t, d, ImportOptions{}, acc("A5", "sw1 p5"))
}

// A hub publishes its own imports batch by batch, never what it applied
// from another hub instance.
func TestInventoryBatches(t *testing.T) {
	d, c := openTest(t)
	mustImport(t, d, ImportOptions{}, acc("A1", "sw1 p1"), acc("A2", "sw1 p2"))
	c.t = c.t.Add(time.Second)
	if err := d.Inventory().RemoveAccess("A1"); err != nil {
		t.Fatal(err)
	}
	c.t = c.t.Add(time.Second)
	if _, err := d.Cluster().ApplyInventory(incoming(acc("A7", "sw1 p7")), nil, 3, true); err != nil {
		t.Fatal(err)
	}
	c.t = c.t.Add(time.Second)
	mustImport(t, d, ImportOptions{}, acc("A3", "sw1 p3"))
	bs, err := d.Cluster().InventoryBatches(1000)
	if err != nil {
		t.Fatal(err)
	}
	var got [][]string
	for _, b := range bs {
		var ids []string
		for _, ch := range b.Changes {
			id := ch.AccessID
			if ch.Removed {
				id = "-" + id
			}
			ids = append(ids, id)
		}
		got = append(got, ids)
	}
	want := [][]string{{"A2"}, {"-A1"}, nil, {"A3"}} // A1's import is replaced by its removal; A7 is not ours
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("batches (-want +got):\n%s", diff)
	}
	if bs[3].Seq <= bs[1].Seq {
		t.Errorf("batch numbers %d, %d do not increase", bs[1].Seq, bs[3].Seq)
	}
	// Limit: whole batches until the limit is reached.
	if small, _ := d.Cluster().InventoryBatches(1); len(small) != 1 {
		t.Errorf("limit 1: %d batches", len(small))
	}
	if err := d.Cluster().SetInventoryPublished(bs[2].End); err != nil {
		t.Fatal(err)
	}
	rest, err := d.Cluster().InventoryBatches(1000)
	if err != nil || len(rest) != 1 || rest[0].Changes[0].AccessID != "A3" {
		t.Errorf("after publishing: %+v, %v", rest, err)
	}
}

// The hooks of every owner run; a kind nobody hooks costs nothing.
func TestHooksOfSeveralOwners(t *testing.T) {
	d, c := openTest(t)
	var calls []string
	d.Outbox().SetHooks(ChangeHooks{Access: func(x *OutboxTx, ch AccessChange) error {
		calls = append(calls, "upstream:"+ch.Access.AccessID)
		return nil
	}})
	d.Outbox().SetHooksFor("cluster", ChangeHooks{
		Access: func(x *OutboxTx, ch AccessChange) error {
			calls = append(calls, "cluster:"+ch.Access.AccessID)
			return nil
		},
		Bindings: func(x *OutboxTx, bc *BindingCommit) error {
			calls = append(calls, "bindings")
			return x.Append(OutboxEntry{Sink: "facts", Key: bc.Bindings[0].MAC.String(), IdempotencyKey: "b", Kind: "binding"})
		},
	})
	mustImport(t, d, ImportOptions{}, acc("A1", "sw1 p1"))
	commit(t, d, &BindingCommit{Bindings: []BindingRecord{testBinding(1, "10.0.0.1", BindingBound, "A1", c.t)}})
	commit(t, d, &BindingCommit{Events: []BindingEvent{{Kind: EventIPChanged, Time: c.t}}}) // no binding: no call
	if diff := cmp.Diff([]string{"upstream:A1", "cluster:A1", "bindings"}, calls); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
	if st, _ := d.Outbox().Stats("facts"); st.Pending != 1 {
		t.Errorf("facts pending %d", st.Pending)
	}
	d.Outbox().SetHooksFor("cluster", ChangeHooks{})
	calls = nil
	commit(t, d, &BindingCommit{Bindings: []BindingRecord{testBinding(2, "10.0.0.2", BindingBound, "A1", c.t)}})
	if len(calls) != 0 || len(d.outboxSettings().calls.bindings) != 0 {
		t.Errorf("calls after removal %v", calls)
	}
}

// The port writer hands every port it writes or removes to the Ports
// hooks, with the history entry a change made.
func TestPortsHook(t *testing.T) {
	d, c := openTest(t)
	var got []PortChange
	d.Outbox().SetHooksFor("cluster", ChangeHooks{Ports: func(x *OutboxTx, cs []PortChange) error {
		got = append(got, cs...)
		return nil
	}})
	w := d.Ports().NewWriter(PortWriterOptions{})
	k := PortKey{Switch: "192.0.2.1:161", Port: "ge-0/0/1"}
	up := PortState{Link: LinkUp, Admin: "up", Oper: "up", SpeedMbps: 1000, Since: c.t, PolledAt: c.t, Reachable: true}
	for _, u := range []PortUpdate{{Key: k, State: up, Access: "A1"}, {Key: k, State: up, Access: "A1"}, {Key: k, Removed: true}} {
		if _, err := w.write([]PortUpdate{u}); err != nil {
			t.Fatal(err)
		}
	}
	if len(got) != 3 || got[0].Access != "A1" || got[0].Record == nil || got[0].Record.Link != LinkUp || got[1].Transition != nil ||
		got[2].Record != nil {
		t.Errorf("changes %+v", got)
	}
	if !slices.ContainsFunc(got, func(p PortChange) bool { return p.Transition != nil && p.Transition.Link == LinkUp }) {
		t.Error("no transition to UP")
	}
}

// The port writer's caller names the access on a changed port from the
// inventory's names of its switch.
func TestAccessesOfPorts(t *testing.T) {
	d, _ := openTest(t)
	mustImport(t, d, ImportOptions{}, acc("A1", "sw1 ge-0/0/1"), withIdent(acc("A2", "port2"), "ge-0/0/2", "sw1"))
	us := []PortUpdate{{Key: PortKey{Switch: "192.0.2.1:161", Port: "ge-0/0/1"}}, {Key: PortKey{Port: "ge-0/0/2"}}, {Key: PortKey{Port: "ge-0/0/3"}}}
	got, err := d.Ports().AccessesOfPorts([]string{"192.0.2.1", "sw1"}, us)
	if diff := cmp.Diff([]string{"A1", "A2", ""}, got); diff != "" || err != nil {
		t.Errorf("accesses (-want +got):\n%s %v", diff, err)
	}
}
