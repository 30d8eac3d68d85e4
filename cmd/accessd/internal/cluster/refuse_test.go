package cluster

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/stadsnat/accessd/cmd/accessd/internal/cluster/wire"
)

// rawPublish stores data on subject in the node's JetStream as anyone
// reaching the subject could, with msgID as Nats-Msg-Id ("" none).
func rawPublish(t *testing.T, n *Node, subject string, data []byte, msgID string) {
	t.Helper()
	c, err := n.current()
	if err != nil {
		t.Fatal(err)
	}
	m := &nats.Msg{Subject: subject, Data: data, Header: nats.Header{}}
	if msgID != "" {
		m.Header.Set(jetstream.MsgIDHeader, msgID)
	}
	if _, err := c.js.PublishMsg(context.Background(), m); err != nil {
		t.Fatalf("publish on %s: %v", subject, err)
	}
}

func encode(t *testing.T, m *wire.Message) []byte {
	t.Helper()
	b, err := wire.Encode(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// hubAndEdge runs a hub that lists pop-norr and takes orders, and the
// edge pop-norr.
func hubAndEdge(t *testing.T) (hub, edge *testNode) {
	t.Helper()
	root := t.TempDir()
	hubDir := filepath.Join(root, "hub")
	hub = startNode(t, "hub", hubDir, hubOptions(t, hubDir, "127.0.0.1:0", []string{"pop-norr"}, nil),
		Deps{Orders: recordingOrders{instance: "hub", log: newOrderLog()}})
	dir := filepath.Join(root, "pop-norr")
	edge = startNode(t, "pop-norr", dir, edgeOptions(t, dir, "pop-norr", hub.node.LeafAddr(), nil), Deps{})
	return hub, edge
}

func TestBadFactsAreCountedAndSkipped(t *testing.T) {
	hub, _ := hubAndEdge(t)
	// Facts: everything here lands in the hub's aggregate on the hub's
	// own subjects, as an intruder on the subject space could put it.
	hubSubject := factSubject("hub", wire.KindBinding)
	foreign := map[string]any{"v": 1, "site": "hub", "kind": "gossip", "seq": 1, "id": "hub/gossip/1", "at": testT0, "payload": map[string]any{}}
	foreignJSON, _ := json.Marshal(foreign)
	rogue := testFact(3)
	rogue.Site = "pop-rogue"
	norrOnHub := testFact(3)
	norrOnHub.Site = "pop-norr"
	good := testFact(3)
	good.Site = "hub"
	link := testFact(4) // a link fact
	link.Site = "hub"
	commit := &wire.Message{Site: "hub", Seq: 9, At: testT0, Payload: &wire.InventoryCommit{}}
	for _, m := range []struct {
		subject string
		data    []byte
		id      string
	}{
		{hubSubject, []byte("not json at all"), ""},        // malformed
		{hubSubject, foreignJSON, "hub/gossip/1"},          // kind unknown
		{hubSubject, encode(t, commit), commit.ID()},       // kind not a fact
		{hubSubject, encode(t, rogue), rogue.ID()},         // unlisted site
		{hubSubject, encode(t, norrOnHub), norrOnHub.ID()}, // another site's fact on the hub's subject
		{hubSubject, encode(t, good), "hub/binding/999"},   // id and header disagree
		{hubSubject, encode(t, link), link.ID()},           // kind and subject disagree
		{hubSubject, encode(t, good), good.ID()},           // the one good fact
	} {
		rawPublish(t, hub.node, m.subject, m.data, m.id)
	}
	waitFor(t, "the good fact applied", func() error {
		if got := hub.facts.seqs("hub"); !slices.Equal(got, []uint64{3}) {
			return fmt.Errorf("hub facts applied: %v", got)
		}
		return nil
	})
	for reason, want := range map[wire.Reason]float64{wire.ReasonMalformed: 1, wire.ReasonKind: 2, wire.ReasonUnlisted: 1, wire.ReasonSubject: 3} {
		waitFor(t, "refusals counted", func() error {
			if got := hub.counter("accessd_cluster_messages_refused_total", "stream", StreamFacts, "reason", string(reason)); got != want {
				return fmt.Errorf("refused %s: %v, want %v", reason, got, want)
			}
			return nil
		})
	}
	if hub.facts.count() != 1 {
		t.Errorf("the hub's store holds %d facts, want 1", hub.facts.count())
	}
	// The refused ones were acknowledged with the good one: nothing left.
	waitFor(t, "the facts consumer to be drained", func() error {
		for _, c := range streamOf(hub.node.Status(), StreamFacts).Consumers {
			if c.Name == "apply" && (c.Pending != 0 || c.AckPending != 0) {
				return fmt.Errorf("consumer %+v", c)
			}
		}
		return nil
	})
}

func TestBadInventoryIsCountedAndSkipped(t *testing.T) {
	hub, edge := hubAndEdge(t)
	// Inventory: a bad message on the hub's stream reaches the edge's
	// mirror, which refuses it and applies the good batch after it.
	rawPublish(t, hub.node, accessSubject("A1"), []byte(`{"v":7}`), "")
	notHub := &wire.Message{Site: "pop-norr", Seq: 5, At: testT0, Payload: &wire.AccessChange{Batch: 5, AccessID: "A2", Removed: true}}
	rawPublish(t, hub.node, accessSubject("A2"), encode(t, notHub), notHub.ID())
	p := newInvPublisher()
	p.seq = 100
	p.batch(t, hub.node, "Umeå", ids(3, 5), nil)
	waitFor(t, "the good batch at the edge", func() error { return sameInventory(edge, p.want) })
	for reason, want := range map[wire.Reason]float64{wire.ReasonVersion: 1, wire.ReasonUnlisted: 1} {
		if got := edge.counter("accessd_cluster_messages_refused_total", "stream", StreamInventory, "reason", string(reason)); got != want {
			t.Errorf("edge refused %s: %v, want %v", reason, got, want)
		}
	}
}

func TestBadOrdersAreDropped(t *testing.T) {
	hub, _ := hubAndEdge(t)
	// Orders: a malformed order is dropped from the queue, not retried.
	rawPublish(t, hub.node, orderSubject("hub"), []byte(`{"v":1,"kind":"order"}`), "")
	waitFor(t, "the bad order to leave the queue", func() error {
		if got := hub.counter("accessd_cluster_orders_taken_total", "result", "refused"); got != 1 {
			return fmt.Errorf("refused orders %v", got)
		}
		if st := streamOf(hub.node.Status(), StreamOrders); st.Messages != 0 {
			return fmt.Errorf("ORDERS holds %d", st.Messages)
		}
		return nil
	})
}
