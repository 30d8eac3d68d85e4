package store

import (
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/stadsnat/accessd/store/inventory"
)

func oe(sink, key, idem string) OutboxEntry {
	return OutboxEntry{Sink: sink, Key: key, IdempotencyKey: idem, Kind: "test", Payload: []byte(idem)}
}

func pendingIdems(t *testing.T, d *DB, sink string) []string {
	t.Helper()
	es, err := d.Outbox().Pending(sink, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	out := []string{}
	for _, e := range es {
		out = append(out, e.IdempotencyKey)
	}
	return out
}

// An order hook appends in the order's transaction: the entry exists
// exactly when the change does, the notify comes after the commit, and a
// hook's error rolls the order back.
func TestOrderHookAppendsInTheTransaction(t *testing.T) {
	d, _ := openTest(t)
	mustImport(t, d, ImportOptions{}, acc("A1", "sw1 p1"))
	var notified []string
	d.Outbox().SetNotify(func(sink string) { notified = append(notified, sink) })
	fail := false
	d.Outbox().SetHooks(ChangeHooks{Order: func(x *OutboxTx, c OrderChange) error {
		if fail {
			return errors.New("hook refused")
		}
		from := "new"
		if c.Old != nil {
			from = string(c.Old.State)
		}
		return x.Append(oe("portal", "order/"+c.Order.ID, from+">"+string(c.Order.State)))
	}})
	ord := Order{ID: "o1", AccessID: "A1", Owner: "atlas", Service: "BB", Operation: Activate, Atlas: &AtlasRef{Order: "4711"}}
	if errs := d.Orders().Batch([]func(*OrderTx) error{func(o *OrderTx) error {
		if len(notified) != 0 {
			t.Error("notified before the commit")
		}
		return o.CreateOrder(&ord, "")
	}}); errs[0] != nil {
		t.Fatal(errs[0])
	}
	ord.State = InProgress
	if errs := d.Orders().Batch([]func(*OrderTx) error{func(o *OrderTx) error { return o.UpdateOrder(&ord) }}); errs[0] != nil {
		t.Fatal(errs[0])
	}
	fail = true
	done := ord
	done.State = DoneSuccess
	if errs := d.Orders().Batch([]func(*OrderTx) error{func(o *OrderTx) error { return o.UpdateOrder(&done) }}); errs[0] == nil {
		t.Fatal("the hook's error did not fail the order's transaction")
	}
	if diff := cmp.Diff([]string{"new>RECEIVED", "RECEIVED>IN_PROGRESS"}, pendingIdems(t, d, "portal")); diff != "" {
		t.Errorf("entries (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"portal", "portal"}, notified); diff != "" {
		t.Errorf("notified (-want +got):\n%s", diff)
	}
	d.Orders().View(func(o *OrderTx) error {
		got, _ := o.Order("o1")
		if got.State != InProgress {
			t.Errorf("the order is %s after the refused change, want IN_PROGRESS", got.State)
		}
		if byAtlas, ok, _ := o.OrderByAtlas("4711"); !ok || byAtlas.ID != "o1" {
			t.Errorf("the order is not indexed by its Atlas order id: %v %v", byAtlas.ID, ok)
		}
		return nil
	})
}

// The access hook sees each change of an import and of a removal, with
// the old record; an unchanged access is not a change.
func TestAccessHookSeesImportAndRemoval(t *testing.T) {
	d, _ := openTest(t)
	var got []string
	d.Outbox().SetHooks(ChangeHooks{Access: func(x *OutboxTx, c AccessChange) error {
		old := "-"
		if c.Old != nil {
			old = c.Old.City
		}
		got = append(got, fmt.Sprintf("%s %s>%s removed=%v", c.Access.AccessID, old, c.Access.City, c.Access.Removed))
		return x.Append(oe("cubit", "plant/"+c.Access.AccessID, fmt.Sprint(len(got))))
	}})
	mustImport(t, d, ImportOptions{}, acc("A1", "sw1 p1"), acc("A2", "sw1 p2"))
	moved := acc("A1", "sw1 p1")
	moved.City = "Gåseborg"
	mustImport(t, d, ImportOptions{Replace: true}, moved)
	mustImport(t, d, ImportOptions{}, moved) // unchanged
	if err := d.Inventory().RemoveAccess("A1"); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"A1 ->Ankeborg removed=false", "A2 ->Ankeborg removed=false",
		"A2 Ankeborg>Ankeborg removed=true", "A1 Ankeborg>Gåseborg removed=false",
		"A1 Gåseborg>Gåseborg removed=true",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("access changes (-want +got):\n%s", diff)
	}
	if n := len(pendingIdems(t, d, "cubit")); n != 5 {
		t.Errorf("%d entries, want 5", n)
	}
	d.Outbox().SetHooks(ChangeHooks{Access: func(*OutboxTx, AccessChange) error { return errors.New("no") }})
	if _, err := d.Inventory().Import(incoming(acc("A3", "sw1 p3")), ImportOptions{}); err == nil {
		t.Error("the hook's error did not refuse the import")
	}
	if _, err := d.Inventory().Access("A3"); !errors.Is(err, ErrNotFound) {
		t.Errorf("a refused import stored A3: %v", err)
	}
}

// Parking a key's latest state leaves its older entries: compaction drops
// an entry only for a later one still pending.
func TestOutboxCompactionAfterParkingTheLatest(t *testing.T) {
	d, _ := openTest(t)
	one := oe("s", "k", "a")
	d.Outbox().SetBudget(4 * one.Size())
	for _, idem := range []string{"a", "b", "c"} {
		if err := d.Outbox().Append(oe("s", "k", idem)); err != nil {
			t.Fatal(err)
		}
	}
	es, _ := d.Outbox().Pending("s", 0, 10)
	if err := d.Outbox().Park(OutboxParked{OutboxEntry: es[2], Error: "refused"}); err != nil {
		t.Fatal(err)
	}
	if err := d.Outbox().Append(oe("s", "other", "x"), oe("s", "other2", "y")); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"a", "b", "x", "y"}, pendingIdems(t, d, "s")); diff != "" {
		t.Errorf("pending (-want +got):\n%s", diff)
	}
	if err := d.Outbox().Append(oe("s", "k", "d")); err != nil {
		t.Fatal(err)
	}
	st, _ := d.Outbox().Stats("s")
	if diff := cmp.Diff([]string{"x", "y", "d"}, pendingIdems(t, d, "s")); diff != "" || st.Compacted != 2 || st.Parked != 1 {
		t.Errorf("after a new state of k: pending (-want +got):\n%s\nstats %+v", diff, st)
	}
	u, _ := d.Outbox().Usage()
	x, y := oe("s", "other", "x"), oe("s", "other2", "y")
	if want := 2*one.Size() + x.Size() + y.Size(); u.Bytes != st.Bytes || u.Bytes != want || !u.OverBudget {
		t.Errorf("usage %+v, sink bytes %d; want %d (c parked, x, y, d), over budget", u, st.Bytes, want)
	}
}

// An import whose source carries no plants (CSV, the pulls) keeps each
// access's plant; a JSON import, which carries them, replaces it.
func TestImportKeepsPlantsUnlessTheSourceCarriesThem(t *testing.T) {
	d, _ := openTest(t)
	a := acc("A1", "sw1 p1")
	a.Plant = &inventory.Plant{MeteringPointID: "707057500026392734", ConsumptionCode: 23, IndustrialClassification: "55.102"}
	mustImport(t, d, ImportOptions{Plants: true}, a)
	plain := acc("A1", "sw1 p1")
	plain.City = "Gåseborg"
	in := incoming(plain)
	if _, err := d.Inventory().Import(in, ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	if in[0].Access.Plant != nil {
		t.Error("Import changed the caller's Incoming")
	}
	rec, _ := d.Inventory().Access("A1")
	if rec.Plant == nil || rec.Plant.MeteringPointID != a.Plant.MeteringPointID || rec.City != "Gåseborg" {
		t.Fatalf("after an import without plants: city %s, plant %+v; want the plant kept", rec.City, rec.Plant)
	}
	if s := mustImport(t, d, ImportOptions{Plants: true}, plain); s.Updated != 1 {
		t.Errorf("a JSON import without the plant: %+v, want it updated", s)
	}
	if rec, _ := d.Inventory().Access("A1"); rec.Plant != nil {
		t.Errorf("the plant is still there: %+v", rec.Plant)
	}
}

// FuzzDecodeOutboxRecord: the outbox's record decoders never panic, and
// what they decode encodes back to the same entry.
func FuzzDecodeOutboxRecord(f *testing.F) {
	e := OutboxEntry{Sink: "s", Seq: 9, Key: "order/1", IdempotencyKey: "atlas-portal/1/active", Kind: "atlas-portal.order",
		Payload: []byte(`{"order":"1","status":"active"}`), Attempts: 2}
	f.Add(encodeOutboxEntry(&e))
	f.Add(encodeOutboxParked(&OutboxParked{OutboxEntry: e, Error: "HTTP 400", Parked: e.Created}))
	f.Add([]byte{outboxFormat})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, v []byte) {
		got, _, err := decodeOutboxEntry("s", 9, v)
		if err == nil {
			again, _, err := decodeOutboxEntry("s", 9, encodeOutboxEntry(&got))
			if err != nil || !cmp.Equal(got, again) {
				t.Fatalf("re-encoded entry differs: %v", err)
			}
			if _, size, err := outboxKeyAndSize("s", 9, v); err != nil || size != got.Size() {
				t.Fatalf("outboxKeyAndSize = %d, %v; want %d", size, err, got.Size())
			}
		}
		decodeOutboxParked("s", 9, v)
	})
}
