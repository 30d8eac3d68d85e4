package cluster

import (
	"context"
	"fmt"
	"maps"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/stadsnat/accessd/cmd/accessd/internal/cluster/wire"
)

// invPublisher publishes batches as the hub's import path would, with a
// change sequence like the store's.
type invPublisher struct {
	seq  uint64
	want map[string]string // AccessId → city, what the inventory is now
	of   map[uint64][]string
}

func newInvPublisher() *invPublisher {
	return &invPublisher{want: map[string]string{}, of: map[uint64][]string{}}
}

// batch publishes upserts of ids with city and removals of gone as one
// batch and returns its number.
func (p *invPublisher) batch(t *testing.T, hub *Node, city string, ids []string, gone []string) uint64 {
	t.Helper()
	var msgs []*wire.Message
	batch := p.seq + uint64(len(ids)+len(gone))
	for _, id := range ids {
		p.seq++
		msgs = append(msgs, &wire.Message{Seq: p.seq, At: testT0, Payload: &wire.AccessChange{Batch: batch, AccessID: id,
			Access: &wire.Access{AccessID: id, StreetName: "Storgatan", PostalCode: "90325", City: city, CountryCode: "SE",
				PremisesType: "MDU_APARTMENT", Activatable: "YES", Sellable: "YES", Option82: "192.0.2.1 ge-0/0/1"}}})
		p.want[id] = city
		p.of[batch] = append(p.of[batch], id)
	}
	for _, id := range gone {
		p.seq++
		msgs = append(msgs, &wire.Message{Seq: p.seq, At: testT0, Payload: &wire.AccessChange{Batch: batch, AccessID: id, Removed: true}})
		delete(p.want, id)
		p.of[batch] = append(p.of[batch], id)
	}
	if err := hub.PublishInventory(context.Background(), batch, msgs); err != nil {
		t.Fatalf("PublishInventory %d: %v", batch, err)
	}
	return batch
}

func ids(from, to int) []string {
	var out []string
	for i := from; i <= to; i++ {
		out = append(out, fmt.Sprintf("A%d", i))
	}
	return out
}

func sameInventory(e *testNode, want map[string]string) error {
	got := e.inv.accesses()
	if !maps.Equal(got, want) {
		return fmt.Errorf("%s holds %d accesses, want %d (-want +got):\n%.600s", e.name, len(got), len(want), cmp.Diff(want, got))
	}
	return nil
}

// checkAtomic checks that no batch was split over two applications.
func checkAtomic(t *testing.T, e *testNode) {
	t.Helper()
	where := map[uint64]int{} // batch → the call that applied it
	for i, call := range e.inv.callsCopy() {
		for _, c := range call {
			if j, ok := where[c.Batch]; ok && j != i {
				t.Errorf("%s: batch %d applied in calls %d and %d", e.name, c.Batch, j, i)
			}
			where[c.Batch] = i
		}
	}
}

func TestInventoryReachesEveryEdgeAtomically(t *testing.T) {
	root := t.TempDir()
	hubDir := filepath.Join(root, "hub")
	hub := startNode(t, "hub", hubDir, hubOptions(t, hubDir, "127.0.0.1:0", []string{"pop-norr", "pop-syd"}, nil), Deps{})
	leaf := hub.node.LeafAddr()
	norrDir := filepath.Join(root, "pop-norr")
	norr := startNode(t, "pop-norr", norrDir, edgeOptions(t, norrDir, "pop-norr", leaf, nil), Deps{})

	p := newInvPublisher()
	p.batch(t, hub.node, "Umeå", ids(1, 500), nil)
	p.batch(t, hub.node, "Umeå", ids(501, 1000), nil)
	p.batch(t, hub.node, "Luleå", ids(1, 100), []string{"A1000"})
	waitFor(t, "the inventory at pop-norr", func() error { return sameInventory(norr, p.want) })

	// An edge that starts after the publications gets the whole inventory.
	sydDir := filepath.Join(root, "pop-syd")
	syd := startNode(t, "pop-syd", sydDir, edgeOptions(t, sydDir, "pop-syd", leaf, nil), Deps{})
	waitFor(t, "the inventory at the new edge pop-syd", func() error { return sameInventory(syd, p.want) })

	// An edge that was away catches up, from where it was.
	norr.stop()
	p.batch(t, hub.node, "Kiruna", ids(200, 300), []string{"A999"})
	p.batch(t, hub.node, "Kiruna", ids(1001, 1200), nil)
	norr = norr.restart()
	waitFor(t, "pop-norr to catch up", func() error { return sameInventory(norr, p.want) })
	waitFor(t, "pop-syd to follow", func() error { return sameInventory(syd, p.want) })
	for _, e := range []*testNode{norr, syd} {
		checkAtomic(t, e)
		mark, err := e.inv.InventoryMark(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		waitFor(t, "the status to show the mark", func() error {
			st := e.node.Status()
			if inv := streamOf(st, StreamInventory); mark == 0 || mark != inv.LastSeq || st.InventoryMark != mark {
				return fmt.Errorf("%s: inventory mark %d (status %d), stream last %d", e.name, mark, st.InventoryMark, inv.LastSeq)
			}
			return nil
		})
	}
	// After its restart pop-norr applied only what it had not (the two
	// batches), in one transaction.
	if calls := norr.inv.callsCopy(); len(calls) != 1 || len(calls[0]) != 101+1+200 {
		t.Errorf("pop-norr after restart: %d applications, first of %d changes; want 1 of 302", len(calls), len(calls[0]))
	}
	// The hub's stream holds one message per access and one commit.
	waitFor(t, "the hub's inventory stream", func() error {
		if st := streamOf(hub.node.Status(), StreamInventory); st.Messages != 1200+1 {
			return fmt.Errorf("hub inventory stream holds %d messages, want %d", st.Messages, 1201)
		}
		return nil
	})
}
