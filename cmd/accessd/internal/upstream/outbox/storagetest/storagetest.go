// Package storagetest is the conformance suite of outbox.Storage: every
// implementation (memstore, the store's bbolt outbox) runs Run from its
// tests, so that the Runner can rely on the contract the outbox package
// documents.
package storagetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/stadsnat/accessd/cmd/accessd/internal/upstream/outbox"
)

// Harness is one storage under test.
type Harness struct {
	Storage outbox.Storage
	Append  outbox.Appender
	// Reopen, when set, closes the storage and opens it again from what
	// it kept: the durability checks run only then.
	Reopen func(t *testing.T) (outbox.Storage, outbox.Appender)
}

// Open makes an empty storage with the given byte budget (0: unbounded).
type Open func(t *testing.T, budget int64) Harness

// Run runs the suite.
func Run(t *testing.T, open Open) {
	tests := []struct {
		name string
		f    func(*testing.T, Open)
	}{
		{"AppendOrderAndPages", testAppendOrder},
		{"AppendAllOrNothing", testAppendAllOrNothing},
		{"AdvanceReleases", testAdvance},
		{"ParkAndList", testPark},
		{"Requeue", testRequeue},
		{"CompactUnderBudget", testCompact},
		{"CompactKeepsDistinctKeysAndParked", testCompactKeeps},
		{"RequeuedSupersedesNothing", testRequeuedOld},
		{"StatsAndUsage", testStats},
		{"CopiesOut", testCopiesOut},
		{"Concurrent", testConcurrent},
		{"Durable", testDurable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.f(t, open) })
	}
}

// E makes an entry for sink and key with a payload of n bytes.
func E(sink, key string, n int) outbox.Entry {
	p := make([]byte, n)
	for i := range p {
		p[i] = byte('a' + i%26)
	}
	return outbox.Entry{Sink: sink, Key: key, IdempotencyKey: fmt.Sprintf("%s/%s/%d", sink, key, n), Kind: "test", Payload: p}
}

func appendAll(t *testing.T, a outbox.Appender, es ...outbox.Entry) {
	t.Helper()
	if err := a.Append(context.Background(), es...); err != nil {
		t.Fatalf("append: %v", err)
	}
}

func pending(t *testing.T, s outbox.Storage, sink string, after uint64, limit int) []outbox.Entry {
	t.Helper()
	es, err := s.Pending(context.Background(), sink, after, limit)
	if err != nil {
		t.Fatalf("pending %s after %d: %v", sink, after, err)
	}
	return es
}

type brief struct {
	Seq      uint64
	Key, Idm string
}

func briefs(es []outbox.Entry) []brief {
	out := []brief{}
	for _, e := range es {
		out = append(out, brief{e.Seq, e.Key, e.IdempotencyKey})
	}
	return out
}

func keys(es []outbox.Entry) []string {
	out := []string{}
	for _, e := range es {
		out = append(out, e.Key)
	}
	return out
}

func testAppendOrder(t *testing.T, open Open) {
	h := open(t, 0)
	appendAll(t, h.Append, E("a", "k1", 1), E("b", "k1", 1), E("a", "k2", 1))
	appendAll(t, h.Append, E("a", "k3", 1))
	all := pending(t, h.Storage, "a", 0, 10)
	if diff := cmp.Diff([]string{"k1", "k2", "k3"}, keys(all)); diff != "" {
		t.Fatalf("sink a (-want +got):\n%s", diff)
	}
	for i := 1; i < len(all); i++ {
		if all[i].Seq <= all[i-1].Seq {
			t.Errorf("sequence not increasing: %d after %d", all[i].Seq, all[i-1].Seq)
		}
		if all[i].Created.IsZero() {
			t.Errorf("entry %d has no Created time", all[i].Seq)
		}
	}
	b := pending(t, h.Storage, "b", 0, 10)
	if len(b) != 1 || b[0].Seq <= all[0].Seq || b[0].Seq >= all[1].Seq {
		t.Errorf("sink b: %+v; sequences are global across sinks", briefs(b))
	}
	if diff := cmp.Diff(briefs(all[1:2]), briefs(pending(t, h.Storage, "a", all[0].Seq, 1))); diff != "" {
		t.Errorf("page after the first, limit 1 (-want +got):\n%s", diff)
	}
	if got := pending(t, h.Storage, "nobody", 0, 10); len(got) != 0 {
		t.Errorf("unknown sink has %d entries", len(got))
	}
	if c, err := h.Storage.Cursor(context.Background(), "a"); err != nil || c != 0 {
		t.Errorf("cursor of a fresh sink = %d, %v; want 0", c, err)
	}
	at := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	e := E("c", "k", 1)
	e.Created = at
	appendAll(t, h.Append, e)
	if got := pending(t, h.Storage, "c", 0, 1); len(got) != 1 || !got[0].Created.Equal(at) {
		t.Errorf("an entry's own Created time was not kept: %+v", got)
	}
}

func testAppendAllOrNothing(t *testing.T, open Open) {
	h := open(t, 0)
	bad := E("a", "", 1)
	if err := h.Append.Append(context.Background(), E("a", "k1", 1), bad); err == nil {
		t.Fatal("an entry without a key was appended")
	}
	if got := pending(t, h.Storage, "a", 0, 10); len(got) != 0 {
		t.Errorf("a refused append left %d entries", len(got))
	}
	for _, e := range []outbox.Entry{{Key: "k", IdempotencyKey: "i", Kind: "x"}, {Sink: "a", Key: "k", Kind: "x"}, {Sink: "a", Key: "k", IdempotencyKey: "i"}} {
		if err := h.Append.Append(context.Background(), e); err == nil {
			t.Errorf("entry %+v was appended", e)
		}
	}
}

func testAdvance(t *testing.T, open Open) {
	h := open(t, 0)
	appendAll(t, h.Append, E("a", "k1", 1), E("a", "k2", 1), E("a", "k3", 1), E("b", "k1", 1))
	all := pending(t, h.Storage, "a", 0, 10)
	if err := h.Storage.Advance(context.Background(), "a", all[1].Seq); err != nil {
		t.Fatal(err)
	}
	if c, _ := h.Storage.Cursor(context.Background(), "a"); c != all[1].Seq {
		t.Errorf("cursor = %d, want %d", c, all[1].Seq)
	}
	if diff := cmp.Diff([]string{"k3"}, keys(pending(t, h.Storage, "a", 0, 10))); diff != "" {
		t.Errorf("released entries are still pending (-want +got):\n%s", diff)
	}
	if err := h.Storage.Advance(context.Background(), "a", all[0].Seq); err != nil {
		t.Fatal(err)
	}
	if c, _ := h.Storage.Cursor(context.Background(), "a"); c != all[1].Seq {
		t.Errorf("cursor moved back to %d", c)
	}
	if got := pending(t, h.Storage, "b", 0, 10); len(got) != 1 {
		t.Errorf("advancing a released entries of b: %d left", len(got))
	}
	if c, _ := h.Storage.Cursor(context.Background(), "b"); c != 0 {
		t.Errorf("cursor of b = %d", c)
	}
}

func testPark(t *testing.T, open Open) {
	h := open(t, 0)
	appendAll(t, h.Append, E("a", "k1", 1), E("a", "k2", 1), E("a", "k3", 1))
	all := pending(t, h.Storage, "a", 0, 10)
	at := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	p := outbox.Parked{Entry: all[1], Error: "400: bad", Parked: at}
	p.Attempts = 3
	if err := h.Storage.Park(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"k1", "k3"}, keys(pending(t, h.Storage, "a", 0, 10))); diff != "" {
		t.Errorf("a parked entry is still pending (-want +got):\n%s", diff)
	}
	p.Error = "400: worse"
	if err := h.Storage.Park(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	got, err := h.Storage.Parked(context.Background(), "a", 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]outbox.Parked{p}, got, cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })); diff != "" {
		t.Errorf("parked (-want +got):\n%s", diff)
	}
	if got, _ := h.Storage.Parked(context.Background(), "a", p.Seq, 10); len(got) != 0 {
		t.Errorf("parked after its own seq: %d", len(got))
	}
	if st, _ := h.Storage.Stats(context.Background(), "a"); st.Parked != 1 || st.Pending != 2 {
		t.Errorf("stats %+v, want 1 parked, 2 pending", st)
	}
}

func testRequeue(t *testing.T, open Open) {
	h := open(t, 0)
	appendAll(t, h.Append, E("a", "k1", 1), E("a", "k2", 2), E("a", "k3", 3))
	all := pending(t, h.Storage, "a", 0, 10)
	for _, e := range all[:2] {
		if err := h.Storage.Park(context.Background(), outbox.Parked{Entry: e, Error: "no", Parked: time.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	n, err := h.Storage.Requeue(context.Background(), "a", []uint64{all[1].Seq, 999999})
	if err != nil || n != 1 {
		t.Fatalf("requeue one = %d, %v", n, err)
	}
	got := pending(t, h.Storage, "a", 0, 10)
	if diff := cmp.Diff([]string{"k3", "k2"}, keys(got)); diff != "" {
		t.Fatalf("requeued entry goes to the tail (-want +got):\n%s", diff)
	}
	if got[1].Seq <= all[2].Seq || got[1].IdempotencyKey != all[1].IdempotencyKey {
		t.Errorf("requeued %+v: want a new seq and the same idempotency key as %+v", briefs(got[1:]), briefs(all[1:2]))
	}
	if n, err := h.Storage.Requeue(context.Background(), "a", nil); err != nil || n != 1 {
		t.Errorf("requeue all = %d, %v; want 1", n, err)
	}
	if p, _ := h.Storage.Parked(context.Background(), "a", 0, 10); len(p) != 0 {
		t.Errorf("%d still parked", len(p))
	}
	if n, err := h.Storage.Requeue(context.Background(), "nobody", nil); err != nil || n != 0 {
		t.Errorf("requeue of an unknown sink = %d, %v", n, err)
	}
}

// budgetOf is the budget that 10 entries of E(_, "k", 100) reach.
func budgetOf() int64 { return 10 * E("a", "k", 100).Size() }

func testCompact(t *testing.T, open Open) {
	h := open(t, budgetOf())
	// 9 entries of key k, each a newer state; the 10th reaches the budget.
	for i := range 9 {
		e := E("a", "k", 100)
		e.IdempotencyKey = fmt.Sprint("state-", i)
		appendAll(t, h.Append, e)
	}
	if st, _ := h.Storage.Stats(context.Background(), "a"); st.Compacted != 0 || st.Pending != 9 {
		t.Fatalf("under the budget: %+v, want nothing compacted", st)
	}
	last := E("a", "k", 100)
	last.IdempotencyKey = "state-9"
	appendAll(t, h.Append, last)
	got := pending(t, h.Storage, "a", 0, 100)
	st, _ := h.Storage.Stats(context.Background(), "a")
	u, _ := h.Storage.Usage(context.Background())
	if len(got) == 0 || got[len(got)-1].IdempotencyKey != "state-9" {
		t.Fatalf("the latest state is gone: %+v", briefs(got))
	}
	if int(st.Compacted)+len(got) != 10 || st.Compacted == 0 {
		t.Errorf("%d pending + %d compacted, want 10 with some compacted", len(got), st.Compacted)
	}
	if u.Bytes >= budgetOf()/10*9 || u.OverBudget {
		t.Errorf("usage %+v after compaction; want under 90%% of %d", u, budgetOf())
	}
	for i := 1; i < len(got); i++ {
		if got[i].Seq <= got[i-1].Seq {
			t.Errorf("order broken by compaction: %+v", briefs(got))
		}
	}
	// Oldest first: what survives are the newest states.
	if got[0].IdempotencyKey != fmt.Sprint("state-", 10-len(got)) {
		t.Errorf("compaction did not drop the oldest first: %+v", briefs(got))
	}
	c, err := h.Storage.Compact(context.Background())
	if err != nil || len(c.Dropped) != 0 && c.Dropped["a"] != 0 {
		t.Errorf("compact under budget = %+v, %v; want nothing dropped", c, err)
	}
}

func testCompactKeeps(t *testing.T, open Open) {
	h := open(t, budgetOf())
	first := E("a", "k0", 100)
	appendAll(t, h.Append, first)
	fp := pending(t, h.Storage, "a", 0, 1)[0]
	if err := h.Storage.Park(context.Background(), outbox.Parked{Entry: fp, Error: "refused", Parked: time.Now()}); err != nil {
		t.Fatal(err)
	}
	for i := range 11 {
		appendAll(t, h.Append, E("a", fmt.Sprint("k", i+1), 100))
	}
	u, _ := h.Storage.Usage(context.Background())
	if !u.OverBudget || u.Bytes <= budgetOf() {
		t.Errorf("usage %+v: distinct keys cannot be compacted, the outbox must go over budget and say so", u)
	}
	if st, _ := h.Storage.Stats(context.Background(), "a"); st.Compacted != 0 || st.Pending != 11 || st.Parked != 1 {
		t.Errorf("stats %+v: want 11 pending, 1 parked, nothing compacted", st)
	}
	// A newer state of k0 supersedes nothing pending: the parked entry stays.
	appendAll(t, h.Append, E("a", "k0", 100))
	if p, _ := h.Storage.Parked(context.Background(), "a", 0, 10); len(p) != 1 {
		t.Errorf("parked entries were compacted: %d left", len(p))
	}
	// Another sink's same key is not the same key.
	appendAll(t, h.Append, E("b", "k1", 100))
	if got := pending(t, h.Storage, "a", 0, 100); len(got) != 12 {
		t.Errorf("sink a has %d pending, want 12: an entry of sink b superseded one of a", len(got))
	}
}

// testRequeuedOld: a parked old state, requeued, must not make compaction
// drop the newer state of its key.
func testRequeuedOld(t *testing.T, open Open) {
	h := open(t, budgetOf())
	old := E("a", "k", 100)
	old.IdempotencyKey = "old"
	appendAll(t, h.Append, old)
	p := pending(t, h.Storage, "a", 0, 1)[0]
	if err := h.Storage.Park(context.Background(), outbox.Parked{Entry: p, Error: "refused", Parked: time.Now()}); err != nil {
		t.Fatal(err)
	}
	cur := E("a", "k", 100)
	cur.IdempotencyKey = "new"
	appendAll(t, h.Append, cur)
	if n, err := h.Storage.Requeue(context.Background(), "a", nil); n != 1 || err != nil {
		t.Fatalf("requeue %d, %v", n, err)
	}
	for i := range 9 { // to the budget, with other keys
		appendAll(t, h.Append, E("a", fmt.Sprint("other", i), 100))
	}
	var idems []string
	for _, e := range pending(t, h.Storage, "a", 0, 100) {
		if e.Key == "k" {
			idems = append(idems, e.IdempotencyKey)
		}
	}
	if diff := cmp.Diff([]string{"new", "old"}, idems); diff != "" {
		t.Errorf("key k after compaction (-want +got):\n%s", diff)
	}
	latest := E("a", "k", 100)
	latest.IdempotencyKey = "latest"
	appendAll(t, h.Append, latest)
	idems = nil
	for _, e := range pending(t, h.Storage, "a", 0, 100) {
		if e.Key == "k" {
			idems = append(idems, e.IdempotencyKey)
		}
	}
	if diff := cmp.Diff([]string{"latest"}, idems); diff != "" {
		t.Errorf("a newer state supersedes both (-want +got):\n%s", diff)
	}
}

func testStats(t *testing.T, open Open) {
	h := open(t, 0)
	t0 := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	var es []outbox.Entry
	for i := range 3 {
		e := E("a", fmt.Sprint("k", i), 10*(i+1))
		e.Created = t0.Add(time.Duration(i) * time.Minute)
		es = append(es, e)
	}
	appendAll(t, h.Append, es...)
	appendAll(t, h.Append, E("b", "x", 5))
	all := pending(t, h.Storage, "a", 0, 10)
	if err := h.Storage.Advance(context.Background(), "a", all[0].Seq); err != nil {
		t.Fatal(err)
	}
	if err := h.Storage.Park(context.Background(), outbox.Parked{Entry: all[2], Error: "no", Parked: t0}); err != nil {
		t.Fatal(err)
	}
	st, err := h.Storage.Stats(context.Background(), "a")
	if err != nil {
		t.Fatal(err)
	}
	want := outbox.Stats{Pending: 1, Oldest: es[1].Created, Parked: 1, Bytes: es[1].Size() + es[2].Size()}
	if diff := cmp.Diff(want, st); diff != "" {
		t.Errorf("stats (-want +got):\n%s", diff)
	}
	u, _ := h.Storage.Usage(context.Background())
	if u.Bytes != want.Bytes+E("b", "x", 5).Size() || u.Budget != 0 || u.OverBudget {
		t.Errorf("usage %+v", u)
	}
	if st, _ := h.Storage.Stats(context.Background(), "nobody"); st != (outbox.Stats{}) {
		t.Errorf("stats of an unknown sink %+v", st)
	}
}

func testCopiesOut(t *testing.T, open Open) {
	h := open(t, 0)
	e := E("a", "k", 4)
	appendAll(t, h.Append, e)
	e.Payload[0] = 'X'
	got := pending(t, h.Storage, "a", 0, 1)
	if got[0].Payload[0] == 'X' {
		t.Fatal("the storage kept the caller's payload slice")
	}
	got[0].Payload[0] = 'Y'
	if again := pending(t, h.Storage, "a", 0, 1); again[0].Payload[0] == 'Y' {
		t.Fatal("the storage handed out its own payload slice")
	}
}

func testConcurrent(t *testing.T, open Open) {
	h := open(t, 0)
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := range 50 {
				if err := h.Append.Append(context.Background(), E("a", fmt.Sprint(w, "-", i), 8)); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Go(func() {
		var cur uint64
		for n := 0; n < 200; {
			es, err := h.Storage.Pending(context.Background(), "a", cur, 16)
			if err != nil {
				t.Error(err)
				return
			}
			for _, e := range es {
				if e.Seq <= cur {
					t.Errorf("seq %d after %d", e.Seq, cur)
				}
				cur = e.Seq
				n++
			}
			if err := h.Storage.Advance(context.Background(), "a", cur); err != nil {
				t.Error(err)
				return
			}
		}
	})
	wg.Wait()
	if st, _ := h.Storage.Stats(context.Background(), "a"); st.Pending != 0 || st.Bytes != 0 {
		t.Errorf("after draining: %+v", st)
	}
}

func testDurable(t *testing.T, open Open) {
	h := open(t, 0)
	if h.Reopen == nil {
		t.Skip("this storage keeps nothing across a reopen")
	}
	appendAll(t, h.Append, E("a", "k1", 1), E("a", "k2", 1), E("a", "k3", 1))
	all := pending(t, h.Storage, "a", 0, 10)
	if err := h.Storage.Advance(context.Background(), "a", all[0].Seq); err != nil {
		t.Fatal(err)
	}
	if err := h.Storage.Park(context.Background(), outbox.Parked{Entry: all[1], Error: "no", Parked: time.Now()}); err != nil {
		t.Fatal(err)
	}
	st, ap := h.Reopen(t)
	if c, _ := st.Cursor(context.Background(), "a"); c != all[0].Seq {
		t.Errorf("cursor after reopen %d, want %d", c, all[0].Seq)
	}
	if diff := cmp.Diff(briefs(all[2:]), briefs(pending(t, st, "a", 0, 10))); diff != "" {
		t.Errorf("pending after reopen (-want +got):\n%s", diff)
	}
	if p, _ := st.Parked(context.Background(), "a", 0, 10); len(p) != 1 {
		t.Errorf("parked after reopen: %d", len(p))
	}
	appendAll(t, ap, E("a", "k4", 1))
	if got := pending(t, st, "a", 0, 10); got[len(got)-1].Seq <= all[2].Seq {
		t.Errorf("sequence restarted after reopen: %+v", briefs(got))
	}
}
