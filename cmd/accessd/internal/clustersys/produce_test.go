package clustersys

import (
	"log/slog"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"

	"github.com/stadsnat/accessd/cmd/accessd/internal/cluster"
	"github.com/stadsnat/accessd/cmd/accessd/internal/cluster/wire"
	"github.com/stadsnat/accessd/store"
)

// A change whose fact the wire refuses (a circuit over its bound) is
// written; its fact is left out and counted, the others of the commit
// are appended, and what is appended decodes as the wire's message.
func TestHookLeavesOutAFactTheWireRefuses(t *testing.T) {
	db := openDB(t)
	s := &System{opts: cluster.Options{Role: cluster.Edge, Site: "pop-norr"}, log: slog.New(slog.DiscardHandler), m: mustMetrics(t)}
	db.Outbox().SetHooksFor(hookOwner, s.hooks())
	good, bad := testBinding(), testBinding()
	bad.MAC[5] = 2
	bad.Circuit = strings.Repeat("c", 300)
	if _, err := db.Bindings().Commit(&store.BindingCommit{Bindings: []store.BindingRecord{bad, good}}); err != nil {
		t.Fatal(err)
	}
	es, err := db.Outbox().Pending(SinkFacts, 0, 10)
	if err != nil || len(es) != 1 {
		t.Fatalf("entries %d, %v; want the good binding's only", len(es), err)
	}
	var dropped dto.Metric
	if err := s.m.factsDropped.Write(&dropped); err != nil || dropped.GetCounter().GetValue() != 1 {
		t.Errorf("facts dropped %v (%v), want 1", dropped.GetCounter().GetValue(), err)
	}
	m, err := factMessage(&es[0])
	if err != nil {
		t.Fatal(err)
	}
	m.Site = "pop-norr"
	enc, err := wire.Encode(m)
	if err != nil {
		t.Fatal(err)
	}
	back, err := wire.DecodeKind(enc, wire.KindBinding)
	if err != nil {
		t.Fatal(err)
	}
	if mac := back.Payload.(*wire.Binding).MAC; mac != good.MAC.String() {
		t.Errorf("fact of %s, want %s", mac, good.MAC)
	}
}
