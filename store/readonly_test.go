package store

import (
	"errors"
	"testing"
)

// goReadOnlyForTest makes the store read-only as a full disk would (less
// free than it wants) and returns a func that gives the room back.
func goReadOnlyForTest(t *testing.T, d *DB) (room func()) {
	t.Helper()
	d.SetMinFreeBytes(1 << 62)
	if d.Probe() {
		t.Fatal("the store stays writable with less free space than it wants")
	}
	return func() {
		t.Helper()
		d.SetMinFreeBytes(1)
		if !d.Probe() {
			t.Fatal("the store stays read-only with room again")
		}
	}
}

// The upstream outbox's and the Atlas portal's writes (main's issue 10)
// go through read-only mode as every other write: refused at once with a
// ReadOnlyError (503 in the APIs), nothing half written, reads go on; once
// there is room they work again.
func TestOutboxAndPortalWritesWaitForRoom(t *testing.T) {
	d, _ := openTest(t)
	populate(t, d)
	room := goReadOnlyForTest(t, d)
	ob := d.Outbox()
	for what, err := range map[string]error{
		"append":         ob.Append(OutboxEntry{Sink: "cubit", Key: "k", IdempotencyKey: "i", Kind: "plant"}),
		"advance":        ob.Advance("cubit", 2),
		"park":           ob.Park(OutboxParked{OutboxEntry: OutboxEntry{Seq: 2, Sink: "cubit", Key: "plant-1", IdempotencyKey: "i2", Kind: "plant"}, Error: "x"}),
		"portal check":   d.AtlasPortal().SetLastCheck("2026-03-02"),
		"portal order":   d.AtlasPortal().PutPortalOrder(PortalOrder{ID: "1"}),
		"compact":        func() error { _, err := ob.Compact(); return err }(),
		"requeue parked": func() error { _, err := ob.Requeue("cubit", nil); return err }(),
	} {
		var ro *ReadOnlyError
		if !errors.As(err, &ro) || !errors.Is(err, ErrReadOnly) || ro.PublicStatus() != 503 {
			t.Errorf("%s while read-only: %v, want a ReadOnlyError", what, err)
		}
	}
	if es, err := ob.Pending("cubit", 0, 10); err != nil || len(es) != 2 {
		t.Errorf("pending while read-only: %d entries, %v; want the 2 there were", len(es), err)
	}
	if c, err := ob.Cursor("cubit"); err != nil || c != 0 {
		t.Errorf("cursor while read-only: %d, %v", c, err)
	}
	room()
	if err := ob.Advance("cubit", 2); err != nil {
		t.Errorf("advance with room again: %v", err)
	}
	if c, _ := ob.Cursor("cubit"); c != 2 {
		t.Errorf("cursor %d after the advance, want 2", c)
	}
	if len(d.Errors()) != 0 {
		t.Errorf("store errors: %v", d.Errors())
	}
}
