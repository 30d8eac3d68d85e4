package cluster

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/stadsnat/accessd/cmd/accessd/internal/cluster/wire"
)

// Facts sent again in batches of other boundaries (other message ids, so
// JetStream's de-duplication does not see them: a repeat after a restart,
// or after the duplicate window) are applied once: the edge sends nothing
// at or below the newest fact its stream holds, and the hub skips facts
// at or below its marks, fact by fact inside a batch.
func TestRepeatsInOtherBatchesAreAppliedOnce(t *testing.T) {
	root := t.TempDir()
	hubDir := filepath.Join(root, "hub")
	hub := startNode(t, "hub", hubDir, hubOptions(t, hubDir, "127.0.0.1:0", []string{"pop-norr"}, nil), Deps{})
	dir := filepath.Join(root, "pop-norr")
	edge := startNode(t, "pop-norr", dir, edgeOptions(t, dir, "pop-norr", hub.node.LeafAddr(), nil), Deps{})
	ctx := context.Background()
	if _, err := publishAll(ctx, edge.node, testFacts(1, 100), 1000); err != nil {
		t.Fatal(err)
	}
	// Two batches past the edge's own bookkeeping, overlapping what is
	// stored and each other.
	for _, r := range [][2]uint64{{50, 150}, {120, 160}} {
		var b wire.Batch
		for _, f := range testFacts(r[0], r[1]) {
			f.Site = "pop-norr"
			enc, err := wire.Encode(f)
			if err != nil {
				t.Fatal(err)
			}
			if err := b.Add(f, enc); err != nil {
				t.Fatal(err)
			}
		}
		data, err := b.Encode(testFact(r[1]).At)
		if err != nil {
			t.Fatal(err)
		}
		c, err := edge.node.current()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.js.PublishMsg(ctx, &nats.Msg{Subject: factSubject("pop-norr", wire.KindFacts), Data: data},
			jetstream.WithMsgID(b.ID())); err != nil {
			t.Fatal(err)
		}
	}
	// The edge's next publication finds the stream moved on, reads its
	// newest fact and sends only what follows it.
	if _, err := publishAll(ctx, edge.node, testFacts(1, 300), 1000); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "every fact at the hub", func() error { return converged(hub, 300, "pop-norr") })
	if hub.facts.twice.Load() != 0 {
		t.Error("a fact was applied twice")
	}
	kept, err := factsInStream(edge.node)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(kept["pop-norr"]), 100+101+41+140; got != want {
		t.Errorf("the edge's stream holds %d facts, want %d (the two repeats in them)", got, want)
	}
	waitFor(t, "the repeats counted", func() error {
		applied := hub.counter("accessd_cluster_facts_applied_total", "site", "pop-norr")
		skipped := hub.counter("accessd_cluster_facts_skipped_total", "site", "pop-norr")
		if applied != 300 || skipped != 51+31 {
			return fmt.Errorf("applied %v, skipped %v, want 300 and %d", applied, skipped, 51+31)
		}
		return nil
	})
}
