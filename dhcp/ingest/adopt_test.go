package ingest

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/stadsnat/accessd/store"
)

// A hub adopts its sites' bindings: the answers see them at once, the
// service writes nothing of them, and with Follow its sweep never ends
// them (the site does and says so).
func TestAdoptAndFollow(t *testing.T) { synctest.Test(t, testAdoptAndFollow) }

func testAdoptAndFollow(t *testing.T) {
	h := newHarness(t, Config{Follow: true, SweepInterval: 10 * time.Millisecond}, access("A1", "sw1 ge-0/0/1"))
	defer h.stop()
	past := time.Now().Add(-2 * time.Hour)
	rec := store.BindingRecord{MAC: store.MAC(mac(1)), IP: addr("10.0.0.1"), State: store.BindingBound, Access: "A1",
		FirstSeen: past, LastSeen: past, Since: past, Expires: past.Add(time.Hour), Confirmed: true, Source: store.SourceRelay}
	h.s.Adopt([]store.BindingRecord{rec}, []store.UnknownCircuit{{Key: "sw9 x", Reason: "no access", LastSeen: past}}, nil,
		[]store.LastOption82{{Access: "A1", Hex: "5203010178", Seen: past}})
	if a, err := h.s.AccessOfIP(addr("10.0.0.1")); err != nil || a != "A1" {
		t.Errorf("AccessOfIP = %q, %v", a, err)
	}
	if ls := h.s.Leases("A1"); len(ls) != 1 {
		t.Errorf("leases %+v", ls)
	}
	if hx, ok := h.s.LastOption82("A1"); !ok || hx != "5203010178" {
		t.Errorf("LastOption82 = %q %v", hx, ok)
	}
	if _, ok := h.s.UnknownCircuit("sw9 x"); !ok {
		t.Error("unknown circuit not adopted")
	}
	time.Sleep(time.Second) // a hundred sweeps: the lease ran out an hour ago
	synctest.Wait()
	if b, ok := h.s.Binding(mac(1)); !ok || b.State != store.BindingBound {
		t.Errorf("binding %+v after sweeps, want it still bound", b)
	}
	h.s.Adopt(nil, nil, []string{"sw9 x"}, nil)
	if _, ok := h.s.UnknownCircuit("sw9 x"); ok {
		t.Error("unknown circuit not forgotten")
	}
	if len(h.stored()) != 0 {
		t.Error("adopted bindings were written by the service")
	}
}
