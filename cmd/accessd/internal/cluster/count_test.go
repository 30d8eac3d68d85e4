package cluster

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/stadsnat/accessd/cmd/accessd/internal/cluster/wire"
)

// loneEdge runs an edge whose hub never answers and whose status loop
// never ticks: a test refreshes its status itself.
func loneEdge(t *testing.T) *testNode {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "pop-norr")
	opts := edgeOptions(t, dir, "pop-norr", freeAddr(t), nil)
	opts.StatusInterval = time.Hour
	return startNode(t, "pop-norr", dir, opts, Deps{})
}

// refresh refreshes tn's status as its loop would and returns its facts
// stream's status, the messages read for counts so far and whether any
// are left to read.
func (tn *testNode) refresh(t *testing.T) (StreamStatus, int, bool) {
	t.Helper()
	c, err := tn.node.current()
	if err != nil {
		t.Fatal(err)
	}
	tn.node.refreshStatus(context.Background(), c)
	tn.node.counts.mu.Lock()
	defer tn.node.counts.mu.Unlock()
	return streamOf(tn.node.Status(), StreamFacts), tn.node.counts.reads, len(tn.node.counts.unread) > 0
}

// After a restart with batches stored, the status counts each message as
// one fact until ready, reads no message before, then at most its bound
// of batches per refresh, only batches, and comes to the exact count:
// with a batch deleted from the middle, a message that does not decode
// (one fact) and a fact alone after the last batch (no batch found).
func TestFactCountsAfterRestart(t *testing.T) {
	edge := loneEdge(t)
	ctx := context.Background()
	const messages = 16
	var seq uint64
	facts, batches := 0, 0
	deleted, deletedFacts := uint64(0), 0
	for i := range messages {
		k := 1 + i*7%5
		if _, err := publishAll(ctx, edge.node, testFacts(seq+1, seq+uint64(k)), k); err != nil {
			t.Fatal(err)
		}
		seq += uint64(k)
		facts += k
		if k > 1 {
			batches++
			if deleted == 0 && i > messages/2 {
				deleted, deletedFacts = edge.node.pub.lastSeq, k
			}
		}
	}
	c, err := edge.node.current()
	if err != nil {
		t.Fatal(err)
	}
	s, err := c.js.Stream(ctx, StreamFacts)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteMsg(ctx, deleted); err != nil {
		t.Fatal(err)
	}
	lone, err := wire.Encode(edge.node.stampedFact(t, seq+1))
	if err != nil {
		t.Fatal(err)
	}
	// A batch's subject, not a batch: it counts one, as the hub refuses it.
	if _, err := c.js.Publish(ctx, factSubject("pop-norr", wire.KindFacts),
		[]byte(`{"v":1,"kind":"facts","payload":{"facts":[{},{}]}}`)); err != nil {
		t.Fatal(err)
	}
	if _, err := c.js.Publish(ctx, factSubject("pop-norr", wire.KindLink), lone); err != nil {
		t.Fatal(err)
	}
	want := uint64(facts - deletedFacts + 2)
	batches-- // deleted

	edge = edge.restart()
	ss, reads := edge.refreshedBefore(t)
	if reads != 0 {
		t.Fatalf("%d messages read before the node was ready", reads)
	}
	if ss.Facts != ss.Messages || ss.Messages != messages+1 {
		t.Fatalf("before reading: %d facts in %d messages, want %d each (one a message)", ss.Facts, ss.Messages, messages+1)
	}
	const bound = 3
	edge.node.counts.mu.Lock()
	edge.node.counts.budget = bound
	edge.node.counts.mu.Unlock()
	refreshes, left := 0, true
	for left {
		last := reads
		ss, reads, left = edge.refresh(t)
		if refreshes++; reads-last > bound || refreshes > messages {
			t.Fatalf("refresh %d read %d messages (bound %d); %d facts, want %d", refreshes, reads-last, bound, ss.Facts, want)
		}
		if refreshes == 1 && (reads != bound || ss.Facts >= want) {
			t.Errorf("the first refresh read %d messages and counts %d facts, want %d read and fewer than %d",
				reads, ss.Facts, bound, want)
		}
	}
	if ss.Facts != want {
		t.Errorf("all read: %d facts, want %d", ss.Facts, want)
	}
	// Every batch, the message that is none and one look for a batch
	// after it; no fact alone.
	if reads != batches+2 {
		t.Errorf("%d messages read for %d batches and one other", reads, batches)
	}
	if again, r, _ := edge.refresh(t); r != reads || again.Facts != want {
		t.Errorf("a refresh once counted read %d more, counts %d facts, want %d", r-reads, again.Facts, want)
	}
}

// refreshedBefore is the status of tn's facts stream as its refresh
// before ready left it, and the messages read so far.
func (tn *testNode) refreshedBefore(t *testing.T) (StreamStatus, int) {
	t.Helper()
	tn.node.counts.mu.Lock()
	defer tn.node.counts.mu.Unlock()
	return streamOf(tn.node.Status(), StreamFacts), tn.node.counts.reads
}

// stampedFact is the fact of seq as n would send it.
func (n *Node) stampedFact(t *testing.T, seq uint64) *wire.Message {
	t.Helper()
	f := testFact(seq)
	if err := n.stamp(f); err != nil {
		t.Fatal(err)
	}
	return f
}
