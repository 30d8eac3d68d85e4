package cluster

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/stadsnat/accessd/cmd/accessd/internal/cluster/wire"
)

// seqMsg is a jetstream.Msg that only knows its stream sequence.
type seqMsg struct {
	jetstream.Msg
	seq uint64
}

func (seqMsg) Data() []byte { return nil }

func seqsOf(run []jetstream.Msg) []uint64 {
	var out []uint64
	for _, m := range run {
		out = append(out, m.(seqMsg).seq)
	}
	return out
}

func TestResequencer(t *testing.T) {
	r := newResequencer(1)
	add := func(seqs ...uint64) {
		for _, s := range seqs {
			r.add(s, seqMsg{seq: s})
		}
	}
	add(1, 2, 4, 5)
	if got := seqsOf(r.run(10)); !slices.Equal(got, []uint64{1, 2}) {
		t.Fatalf("run = %v, want [1 2]: 4 and 5 wait for 3", got)
	}
	if !r.stuck() {
		t.Fatal("not stuck behind 3")
	}
	add(2, 3) // 2 again (a redelivery): dropped
	if got := seqsOf(r.run(2)); !slices.Equal(got, []uint64{3, 4}) {
		t.Fatalf("run of 2 = %v, want [3 4]", got)
	}
	run := r.run(10)
	if got := seqsOf(run); !slices.Equal(got, []uint64{5}) {
		t.Fatalf("run = %v, want [5]", got)
	}
	r.putBack(5, run) // its application failed
	if got := seqsOf(r.run(10)); !slices.Equal(got, []uint64{5}) {
		t.Fatalf("after putBack run = %v, want [5]", got)
	}
	add(9, 10)
	r.skip(3) // 6, 7, 8 left the stream
	if got := seqsOf(r.run(10)); !slices.Equal(got, []uint64{9, 10}) || r.stuck() {
		t.Fatalf("after skip run = %v, stuck %v", got, r.stuck())
	}
	if newResequencer(0).next != 1 {
		t.Error("a consumer with no ack floor starts at 1")
	}
}

// sizedMsg is a seqMsg with data of its own size.
type sizedMsg struct {
	seqMsg
	size int
}

func (m sizedMsg) Data() []byte { return make([]byte, m.size) }

// runUpTo stops after the message that reaches its byte limit, takes a
// message longer than the limit alone rather than never, and keeps the
// rest for the next run: nothing held is lost or taken twice.
func TestResequencerRunUpToBytes(t *testing.T) {
	r := newResequencer(1)
	for seq, size := range map[uint64]int{1: 40, 2: 40, 3: 40, 4: 500, 5: 10, 6: 10} {
		r.add(seq, sizedMsg{seqMsg{seq: seq}, size})
	}
	seqs := func(run []jetstream.Msg) []uint64 {
		var out []uint64
		for _, m := range run {
			out = append(out, m.(sizedMsg).seq)
		}
		return out
	}
	for _, want := range [][]uint64{
		{1, 2, 3}, // 120 bytes reach 100 at 3
		{4},       // 500 bytes alone
		{5, 6},    // the rest, under the limit
		nil,
	} {
		if got := seqs(r.runUpTo(10, 100)); !slices.Equal(got, want) {
			t.Fatalf("runUpTo(10, 100) = %v, want %v", got, want)
		}
	}
	if len(r.held) != 0 || r.next != 7 {
		t.Errorf("%d held, next %d; want none and 7", len(r.held), r.next)
	}
}

func change(origin string, batch uint64, id string) *wire.Message {
	site, inst, _ := cut(origin)
	return &wire.Message{Site: site, Instance: inst, Seq: batch, Payload: &wire.AccessChange{Batch: batch, AccessID: id, Removed: true}}
}

func commitOf(origin string, batch uint64) *wire.Message {
	site, inst, _ := cut(origin)
	return &wire.Message{Site: site, Instance: inst, Seq: batch, Payload: &wire.InventoryCommit{}}
}

func cut(origin string) (string, string, bool) {
	for i := range origin {
		if origin[i] == ':' {
			return origin[:i], origin[i+1:], true
		}
	}
	return origin, "", false
}

func TestInventoryGroup(t *testing.T) {
	type step struct {
		seq uint64
		m   *wire.Message
	}
	for _, tc := range []struct {
		name      string
		mark      uint64
		steps     []step
		wantReady []string
		wantMark  uint64
	}{
		{"nothing", 7, nil, nil, 7},
		{"uncommitted batch waits, mark stays before it", 10, []step{{11, change("hub", 2, "A")}, {12, change("hub", 2, "B")}}, nil, 10},
		{"commit makes a batch ready", 0, []step{{1, change("hub", 2, "A")}, {2, change("hub", 2, "B")}, {3, commitOf("hub", 2)}}, []string{"A", "B"}, 3},
		{"a later commit completes earlier batches whose commit was replaced", 0, []step{
			{1, change("hub", 2, "A")}, {3, change("hub", 4, "B")}, {4, commitOf("hub", 4)}}, []string{"A", "B"}, 4},
		{"a commit leaves later batches pending", 0, []step{
			{1, change("hub", 2, "A")}, {2, commitOf("hub", 2)}, {3, change("hub", 5, "B")}}, []string{"A"}, 2},
		{"another origin's commit leaves this one's pending", 0, []step{
			{1, change("hub:a", 2, "A")}, {2, change("hub:b", 9, "B")}, {3, commitOf("hub:b", 9)}}, []string{"B"}, 0},
		{"the newest change of an access wins", 0, []step{
			{1, change("hub", 2, "A")}, {2, commitOf("hub", 2)}, {3, change("hub", 3, "A")}, {4, commitOf("hub", 3)}}, []string{"A"}, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := newInventoryGroup(tc.mark)
			for _, s := range tc.steps {
				g.add(s.seq, s.m)
			}
			changes, mark := g.take()
			var got []string
			for _, c := range changes {
				got = append(got, c.AccessID)
			}
			if diff := cmp.Diff(tc.wantReady, got); diff != "" || mark != tc.wantMark {
				t.Errorf("ready (-want +got):\n%s\nmark %d, want %d", diff, mark, tc.wantMark)
			}
		})
	}
	// The newest change is the one kept.
	g := newInventoryGroup(0)
	g.add(1, change("hub", 2, "A"))
	second := &wire.Message{Site: "hub", Seq: 3, Payload: &wire.AccessChange{Batch: 3, AccessID: "A", Access: &wire.Access{AccessID: "A", City: "Umeå"}}}
	g.add(2, second)
	g.add(3, commitOf("hub", 3))
	changes, _ := g.take()
	if len(changes) != 1 || changes[0].Removed || changes[0].Access.City != "Umeå" {
		t.Errorf("changes = %+v, want the upsert of batch 3", changes)
	}
}
