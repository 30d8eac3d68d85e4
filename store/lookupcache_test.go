package store

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
)

// lookupIs checks one AccessByCircuit answer, and AccessByCircuitBytes's
// before and after it (from the store, then from the cache, or the other
// way round).
func lookupIs(t *testing.T, d *DB, circuit, remote, want string, wantErr error) {
	t.Helper()
	for i := range 3 {
		var got string
		var err error
		if i == 1 {
			got, err = d.Inventory().AccessByCircuit(circuit, remote)
		} else {
			got, err = d.Inventory().AccessByCircuitBytes([]byte(circuit), []byte(remote))
		}
		if got != want || !errors.Is(err, wantErr) || (wantErr == nil && err != nil) {
			t.Fatalf("look-up %d of (%q, %q) = %q, %v; want %q, %v", i, circuit, remote, got, err, want, wantErr)
		}
	}
}

// A look-up answered from the cache is what the store holds: every
// import, removal and cluster batch that changes a circuit is seen by the
// next look-up, found and not found alike.
func TestCircuitLookupsFollowEveryChange(t *testing.T) {
	d, _ := openTest(t)
	mustImport(t, d, ImportOptions{}, acc("A1", "sw1 eth 0/1"), acc("A2", "sw1 eth 0/2"))
	for range 2 { // the second time from the cache
		lookupIs(t, d, "eth 0/1", "sw1", "A1", nil)
		lookupIs(t, d, "eth 0/3", "sw1", "", ErrNotFound)
		lookupIs(t, d, "", "sw1", "", ErrAmbiguous)
	}
	if d.lookups.m == nil || len(d.lookups.m) != 3 {
		t.Fatalf("the cache holds %d answers, want 3", len(d.lookups.m))
	}

	// A1 moves to port 3: both its old and new circuit change answers.
	mustImport(t, d, ImportOptions{}, acc("A1", "sw1 eth 0/3"))
	lookupIs(t, d, "eth 0/1", "sw1", "", ErrNotFound)
	lookupIs(t, d, "eth 0/3", "sw1", "A1", nil)
	lookupIs(t, d, "", "sw1", "", ErrAmbiguous)

	if err := d.Inventory().RemoveAccess("A1"); err != nil {
		t.Fatal(err)
	}
	lookupIs(t, d, "eth 0/3", "sw1", "", ErrNotFound)
	lookupIs(t, d, "", "sw1", "A2", nil) // one access is left on sw1

	// A batch of the hub's inventory (an edge) goes through the same door.
	if _, err := d.Cluster().ApplyInventory(incoming(acc("A3", "sw1 eth 0/1")), []string{"A2"}, 1, true); err != nil {
		t.Fatal(err)
	}
	lookupIs(t, d, "eth 0/1", "sw1", "A3", nil)
	lookupIs(t, d, "eth 0/2", "sw1", "", ErrNotFound)

	// A refused import changes nothing, and the cache keeps answering.
	if _, err := d.Inventory().Import(incoming(acc("A4", "sw1 eth 0/1")), ImportOptions{}); err == nil {
		t.Fatal("an import of a second access on A3's circuit was accepted")
	}
	lookupIs(t, d, "eth 0/1", "sw1", "A3", nil)
}

// hasIs checks Orders.HasAccess twice (the second from the cache).
func hasIs(t *testing.T, d *DB, id string, want bool) {
	t.Helper()
	for i := range 2 {
		if got, err := d.Orders().HasAccess(id); got != want || err != nil {
			t.Fatalf("HasAccess(%q) #%d = %v, %v; want %v", id, i+1, got, err, want)
		}
	}
}

// An access's existence answered from the cache is what the store holds:
// an import, a removal and a cluster batch are seen by the next question,
// and an existence answer never stands for a circuit's or the other way
// round.
func TestHasAccessFollowsEveryChange(t *testing.T) {
	d, _ := openTest(t)
	mustImport(t, d, ImportOptions{}, acc("A1", "sw1 eth 0/1"))
	hasIs(t, d, "A1", true)
	hasIs(t, d, "A2", false)
	mustImport(t, d, ImportOptions{}, acc("A2", "sw1 eth 0/2"))
	hasIs(t, d, "A2", true)
	if err := d.Inventory().RemoveAccess("A1"); err != nil {
		t.Fatal(err)
	}
	hasIs(t, d, "A1", false)
	if _, err := d.Cluster().ApplyInventory(incoming(acc("A1", "sw1 eth 0/1")), []string{"A2"}, 1, true); err != nil {
		t.Fatal(err)
	}
	hasIs(t, d, "A1", true)
	hasIs(t, d, "A2", false)

	// Access ids that look like circuit keys and circuits that look like
	// access keys stay apart.
	mustImport(t, d, ImportOptions{}, withIdent(acc("c", "o1"), "a", ""), withIdent(acc("A3", "o3"), "A1", ""))
	for range 2 {
		hasIs(t, d, "c", true)
		lookupIs(t, d, "a", "", "c", nil)
		lookupIs(t, d, "A1", "", "A3", nil)
		hasIs(t, d, "A1", true)
		lookupIs(t, d, "c", "", "", ErrNotFound)
	}
}

// Circuit-id and remote-id are kept apart in the cache's key: a circuit
// "x" and a remote "x" are other circuits, and so are "ab"+"c" and
// "a"+"bc".
func TestLookupCacheKeysAreUnambiguous(t *testing.T) {
	d, _ := openTest(t)
	mustImport(t, d, ImportOptions{}, withIdent(acc("A1", "o1"), "x", ""), withIdent(acc("A2", "o2"), "ab", "c"))
	for range 2 {
		lookupIs(t, d, "x", "", "A1", nil)
		lookupIs(t, d, "", "x", "", ErrNotFound)
		lookupIs(t, d, "ab", "c", "A2", nil)
		lookupIs(t, d, "a", "bc", "", ErrNotFound)
	}
}

// bbolt runs commit handlers after the next writer may have committed:
// an older generation told late never hides a newer one.
func TestLookupCacheGenerationOnlyGrows(t *testing.T) {
	var c lookupCache
	c.committed(6)
	c.committed(5)
	if g := c.gen.Load(); g != 6 {
		t.Fatalf("generation %d after 6 then 5, want 6", g)
	}
	c.put(5, []byte("k"), lookupAnswer{id: "old"})
	if _, ok := c.get([]byte("k")); ok {
		t.Fatal("an answer of an older generation was kept")
	}
	c.put(6, []byte("k"), lookupAnswer{id: "new"})
	if a, ok := c.get([]byte("k")); !ok || a.id != "new" {
		t.Fatalf("get = %+v, %v", a, ok)
	}
	c.committed(7)
	if _, ok := c.get([]byte("k")); ok {
		t.Fatal("an answer of generation 6 was given at 7")
	}
}

// The cache is bounded: when full it starts again.
func TestLookupCacheIsBounded(t *testing.T) {
	var c lookupCache
	c.committed(1)
	for i := range lookupCacheSize + 10 {
		c.put(1, fmt.Appendf(nil, "k%d", i), lookupAnswer{id: "A"})
	}
	if n := len(c.m); n > lookupCacheSize || n == 0 {
		t.Fatalf("%d answers kept, want 1..%d", n, lookupCacheSize)
	}

	// Accesses with their services, larger, are fewer: the first ones
	// stay, the rest are read each time.
	c.committed(2)
	for i := range viewCacheSize + 10 {
		c.put(2, fmt.Appendf(nil, "p%d", i), lookupAnswer{view: &AccessServices{}})
	}
	c.put(2, []byte("k"), lookupAnswer{id: "A"})
	if n := len(c.m); n != viewCacheSize+1 || c.views != viewCacheSize {
		t.Fatalf("%d answers (%d views) kept, want %d views and the circuit", n, c.views, viewCacheSize)
	}
	if _, ok := c.get([]byte("p0")); !ok {
		t.Fatal("the first view was not kept")
	}
}

// Under -race: look-ups from many goroutines while accesses move; after
// each import returns, every look-up gives the new answer.
func TestCircuitLookupsDuringImports(t *testing.T) {
	d, _ := openTest(t)
	mustImport(t, d, ImportOptions{}, acc("A1", "sw1 eth 0/1"))
	var stop atomic.Bool
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				for p := 1; p <= 2; p++ {
					id, err := d.Inventory().AccessByCircuit(fmt.Sprintf("eth 0/%d", p), "sw1")
					if err != nil && !errors.Is(err, ErrNotFound) || err == nil && id != "A1" {
						t.Errorf("look-up: %q, %v", id, err)
						return
					}
				}
			}
		}()
	}
	for i := range 50 {
		port := 1 + (i+1)%2
		mustImport(t, d, ImportOptions{}, acc("A1", fmt.Sprintf("sw1 eth 0/%d", port)))
		lookupIs(t, d, fmt.Sprintf("eth 0/%d", port), "sw1", "A1", nil)
		lookupIs(t, d, fmt.Sprintf("eth 0/%d", 3-port), "sw1", "", ErrNotFound)
	}
	stop.Store(true)
	wg.Wait()
}

// servicesIs checks Orders.AccessServices twice (the second from the
// cache): the subscriptions of the access's services, or ErrNotFound.
func servicesIs(t *testing.T, d *DB, id string, want ...string) {
	t.Helper()
	for i := range 2 {
		v, err := d.Orders().AccessServices(id)
		if want == nil {
			if !errors.Is(err, ErrNotFound) {
				t.Fatalf("AccessServices(%q) #%d = %+v, %v; want ErrNotFound", id, i+1, v, err)
			}
			continue
		}
		if err != nil || v.Access.AccessID != id {
			t.Fatalf("AccessServices(%q) #%d = %+v, %v", id, i+1, v, err)
		}
		got := []string{}
		for _, s := range v.Services {
			got = append(got, s.SubscriptionID)
		}
		if fmt.Sprint(got) != fmt.Sprint(want[1:]) {
			t.Fatalf("AccessServices(%q) #%d: services %v, want %v", id, i+1, got, want[1:])
		}
	}
}

// inOrders runs fn in one order transaction.
func inOrders(t *testing.T, d *DB, fn func(*OrderTx) error) {
	t.Helper()
	if errs := d.Orders().Batch([]func(*OrderTx) error{fn}); errs[0] != nil {
		t.Fatal(errs[0])
	}
}

// An access and its services answered from the cache are what the store
// holds: a service started, changed or ended, an access changed, removed
// or imported again is seen by the next question.
func TestAccessServicesFollowEveryChange(t *testing.T) {
	d, _ := openTest(t)
	mustImport(t, d, ImportOptions{}, acc("A1", "sw1 eth 0/1"))
	servicesIs(t, d, "A1", "")
	servicesIs(t, d, "A2")
	inOrders(t, d, func(o *OrderTx) error {
		return o.PutService(&Service{SubscriptionID: "s1", AccessID: "A1", UID: "S", Owner: "sp"})
	})
	servicesIs(t, d, "A1", "", "s1")
	inOrders(t, d, func(o *OrderTx) error {
		return o.PutService(&Service{SubscriptionID: "s2", AccessID: "A1", UID: "S", Owner: "sp"})
	})
	servicesIs(t, d, "A1", "", "s1", "s2")
	inOrders(t, d, func(o *OrderTx) error {
		return o.PutService(&Service{SubscriptionID: "s2", AccessID: "A1", UID: "T", Owner: "sp"})
	})
	if v, _ := d.Orders().AccessServices("A1"); v.Services[1].UID != "T" {
		t.Fatalf("a changed service answers %+v", v.Services[1])
	}
	inOrders(t, d, func(o *OrderTx) error { return o.EndService("s1", "") })
	servicesIs(t, d, "A1", "", "s2")

	a := acc("A1", "sw1 eth 0/1")
	a.City = "Elsewhere"
	mustImport(t, d, ImportOptions{}, a)
	if v, _ := d.Orders().AccessServices("A1"); v.Access.City != "Elsewhere" {
		t.Fatalf("a changed access answers %+v", v.Access)
	}
	if err := d.Inventory().RemoveAccess("A1"); err != nil {
		t.Fatal(err)
	}
	servicesIs(t, d, "A1")
	mustImport(t, d, ImportOptions{}, acc("A1", "sw1 eth 0/1"))
	servicesIs(t, d, "A1", "", "s2")
}
