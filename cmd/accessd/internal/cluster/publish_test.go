package cluster

import (
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stadsnat/accessd/cmd/accessd/internal/cluster/wire"
)

// bigFact is the fact of seq with its payload kept encoded and padded
// with white space to size bytes: valid, and as long as asked.
func bigFact(t *testing.T, seq uint64, size int) *wire.Message {
	t.Helper()
	f := testFact(seq)
	raw, err := json.Marshal(f.Payload)
	if err != nil {
		t.Fatal(err)
	}
	pad := strings.Repeat(" ", max(0, size-len(raw)))
	f.Payload = &wire.Encoded{K: f.Kind(), JSON: append(raw[:len(raw)-1:len(raw)-1], pad+"}"...)}
	return f
}

// storedSeqs is the seqs of the facts in tn's stream, in stream order.
func storedSeqs(t *testing.T, tn *testNode) []uint64 {
	t.Helper()
	got, err := factsInStream(tn.node)
	if err != nil {
		t.Fatal(err)
	}
	return got["pop-norr"]
}

// A fact too long for any batch, though not for a message, goes alone
// between the batches before and after it: nothing is refused or lost,
// and the status counts every fact.
func TestPublishChunkSendsAFactTooLongForABatchAlone(t *testing.T) {
	edge := loneEdge(t)
	ctx := context.Background()
	big := bigFact(t, 3, wire.MaxMessageBytes-300)
	if err := edge.node.stamp(big); err != nil {
		t.Fatal(err)
	}
	if enc, err := wire.Encode(big); err != nil || (&wire.Batch{}).Fits(len(enc)) {
		t.Fatalf("the fact of %d bytes (%v) must fit a message and no batch", len(enc), err)
	}
	facts := append(testFacts(1, 2), big, testFact(4), testFact(5))
	stored, err := edge.node.PublishFacts(ctx, facts)
	if err != nil || stored != len(facts) {
		t.Fatalf("stored %d of %d: %v", stored, len(facts), err)
	}
	if got := storedSeqs(t, edge); !slices.Equal(got, []uint64{1, 2, 3, 4, 5}) {
		t.Fatalf("the stream holds facts %v, want 1..5 once each", got)
	}
	ss, _, _ := edge.refresh(t)
	if ss.Messages != 3 || ss.Facts != uint64(len(facts)) {
		t.Errorf("%d messages holding %d facts, want 3 (a batch, the long fact, a batch) holding %d",
			ss.Messages, ss.Facts, len(facts))
	}
}

// A fact that cannot be encoded, in the middle of a chunk, ends it: the
// facts before it are stored, the error names it and what is wrong, and
// the caller's retry from there with the fact put right loses nothing
// and repeats nothing.
func TestPublishChunkStopsAtAFactThatDoesNotEncode(t *testing.T) {
	for _, tc := range []struct {
		name string
		bad  func(t *testing.T, seq uint64) *wire.Message
		says string
	}{
		{"over the message size limit", func(t *testing.T, seq uint64) *wire.Message { return bigFact(t, seq, wire.MaxMessageBytes) },
			"over " + strconv.Itoa(wire.MaxMessageBytes)},
		{"invalid", func(_ *testing.T, seq uint64) *wire.Message {
			f := testFact(seq)
			f.Payload.(*wire.Binding).MAC = "not a mac"
			return f
		}, "payload.mac"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			edge := loneEdge(t)
			ctx := context.Background()
			const badAt = 3 // a binding (testFact), after a batch's worth
			facts := testFacts(1, 6)
			fixed := facts[badAt-1]
			facts[badAt-1] = tc.bad(t, badAt)
			stored, err := edge.node.PublishFacts(ctx, facts)
			id := "pop-norr/" + string(facts[badAt-1].Kind()) + "/" + strconv.Itoa(badAt)
			if stored != badAt-1 || err == nil || !strings.Contains(err.Error(), id) || !strings.Contains(err.Error(), tc.says) {
				t.Fatalf("stored %d, err %v; want %d stored and an error naming %s and %q", stored, err, badAt-1, id, tc.says)
			}
			if got := storedSeqs(t, edge); !slices.Equal(got, []uint64{1, 2}) {
				t.Fatalf("after the refusal the stream holds facts %v, want 1..2", got)
			}
			facts[badAt-1] = fixed
			if more, err := edge.node.PublishFacts(ctx, facts[stored:]); err != nil || more != len(facts)-stored {
				t.Fatalf("the retry stored %d of %d: %v", more, len(facts)-stored, err)
			}
			if got := storedSeqs(t, edge); !slices.Equal(got, []uint64{1, 2, 3, 4, 5, 6}) {
				t.Fatalf("after the retry the stream holds facts %v, want 1..6 once each", got)
			}
		})
	}
}
