package cluster

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/stadsnat/accessd/cmd/accessd/internal/cluster/wire"
)

func testOrder(seq uint64, id string) *wire.Message {
	return &wire.Message{Seq: seq, At: testT0, Payload: &wire.Order{OrderID: id, Owner: "comhem", Channel: "on-api-2.6",
		AccessID: "A1", Service: "BB100100", Operation: "ACTIVATE", Due: testT0, Created: testT0}}
}

// Two hub instances: "a" runs the embedded server, "b" connects to it as
// an external server. Both take orders from the one work queue.
func TestOrdersRunOnceAcrossTwoHubInstances(t *testing.T) {
	root := t.TempDir()
	log := newOrderLog()
	aDir := filepath.Join(root, "hub-a")
	aOpts := hubOptions(t, aDir, "127.0.0.1:0", nil, nil)
	aOpts.Instance, aOpts.NATS.Listen = "a", "127.0.0.1:0"
	a := startNode(t, "hub-a", aDir, aOpts, Deps{Orders: recordingOrders{instance: "a", log: log}})

	bDir := filepath.Join(root, "hub-b")
	bOpts := Options{Site: "hub", Role: Hub, Instance: "b", StatusInterval: aOpts.StatusInterval,
		NATS: NATSOptions{URL: "nats://" + a.node.ClientAddr()}}
	bOpts.SetDefaults(bDir)
	b := startNode(t, "hub-b", bDir, bOpts, Deps{Orders: recordingOrders{instance: "b", log: log}})

	ctx := context.Background()
	const n = 200
	want := map[string]bool{}
	for i := range n {
		id := fmt.Sprintf("O-%d", i)
		if i%40 == 0 {
			id = "later-" + id
		}
		want[id] = true
		enq := a.node
		if i%2 == 1 {
			enq = b.node
		}
		if err := enq.EnqueueOrder(ctx, testOrder(uint64(i+1), id)); err != nil {
			t.Fatal(err)
		}
	}
	// A repeat of an order within the de-duplication window is dropped.
	if err := a.node.EnqueueOrder(ctx, testOrder(1, "O-0-again")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "every order carried out", func() error {
		log.mu.Lock()
		defer log.mu.Unlock()
		if len(log.ran) != n {
			return fmt.Errorf("%d orders ran, want %d", len(log.ran), n)
		}
		return nil
	})
	log.mu.Lock()
	per := map[string]int{}
	for id, who := range log.ran {
		if !want[id] {
			t.Errorf("order %s ran, but was never enqueued", id)
		}
		if len(who) != 1 {
			t.Errorf("order %s ran %d times, by %v", id, len(who), who)
		}
		per[who[0]]++
	}
	deferred := len(log.deferred)
	log.mu.Unlock()
	if per["a"] == 0 || per["b"] == 0 {
		t.Errorf("orders per instance %v: both should take orders", per)
	}
	if deferred != 5 {
		t.Errorf("%d orders were deferred once, want 5", deferred)
	}
	waitFor(t, "the work queue to empty", func() error {
		if st := streamOf(a.node.Status(), StreamOrders); st.Messages != 0 {
			return fmt.Errorf("ORDERS holds %d messages", st.Messages)
		}
		return nil
	})
	// An instance counts an order done once its acknowledgement returned,
	// which may be after the queue is empty.
	waitFor(t, "every order counted done", func() error {
		done := a.counter("accessd_cluster_orders_taken_total", "result", "done") + b.counter("accessd_cluster_orders_taken_total", "result", "done")
		if done != n {
			return fmt.Errorf("orders counted done: %v, want %d", done, n)
		}
		return nil
	})
	t.Logf("orders per instance: %v", per)
}
