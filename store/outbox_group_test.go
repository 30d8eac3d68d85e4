package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	bolt "go.etcd.io/bbolt"
)

// Producers that each append and wait for their commit share commits
// (fsync on, as in the daemon): every entry is there once, in sequence
// order, and the commits are far fewer than the appends.
func TestGroupCommitSharesCommits(t *testing.T) {
	d, err := Open(filepath.Join(t.TempDir(), FileName), Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	var commits atomic.Int64
	d.Outbox().SetNotify(func(string) { commits.Add(1) })
	const producers, each = 64, 20
	var wg sync.WaitGroup
	for p := range producers {
		wg.Go(func() {
			for i := range each {
				if err := d.Outbox().Append(oe("a", fmt.Sprint("k", p), fmt.Sprint(p, "/", i))); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	es, err := d.Outbox().Pending("a", 0, 2*producers*each)
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != producers*each {
		t.Fatalf("%d entries pending, want %d", len(es), producers*each)
	}
	seen := map[string]bool{}
	for i, e := range es {
		if i > 0 && e.Seq <= es[i-1].Seq {
			t.Errorf("entry %d: seq %d after %d", i, e.Seq, es[i-1].Seq)
		}
		if seen[e.IdempotencyKey] {
			t.Errorf("entry %s appended twice", e.IdempotencyKey)
		}
		seen[e.IdempotencyKey] = true
	}
	// Not a timing figure: how many appends shared a commit. One commit
	// per append would be 1280; the benchmark's runs carry about 55.
	if n := commits.Load(); n > producers*each/4 {
		t.Errorf("%d commits for %d appends by %d producers: they do not share commits", n, producers*each, producers)
	}
	t.Logf("%d appends in %d commits", producers*each, commits.Load())
}

// A call that fails in a shared commit fails alone: the others of its
// group commit, and a commit after the group (the leader gathered for
// callers that did not come back) still goes through.
func TestGroupCommitFailureIsTheCallersOwn(t *testing.T) {
	d, _ := openTest(t)
	v := d.Outbox()
	hold := make(chan struct{})
	first := make(chan error, 1)
	go func() {
		first <- v.commit(func(x *OutboxTx) error {
			<-hold
			return x.Append(oe("a", "k0", "i0"))
		})
	}()
	waitQueued(t, d, 0) // the first call leads and holds its commit
	bad := errors.New("refused")
	results := make([]chan error, 5)
	for i := range results {
		results[i] = make(chan error, 1)
		go func() {
			results[i] <- v.commit(func(x *OutboxTx) error {
				if i == 2 {
					return bad
				}
				return x.Append(oe("a", fmt.Sprint("k", i+1), fmt.Sprint("i", i+1)))
			})
		}()
	}
	waitQueued(t, d, len(results))
	close(hold)
	if err := <-first; err != nil {
		t.Fatalf("the first call: %v", err)
	}
	for i, ch := range results {
		err := <-ch
		if i == 2 && !errors.Is(err, bad) {
			t.Errorf("the failing call got %v, want its own error", err)
		}
		if i != 2 && err != nil {
			t.Errorf("call %d failed with another's error: %v", i, err)
		}
	}
	if err := v.Append(oe("a", "k9", "i9")); err != nil {
		t.Fatalf("an append after the group: %v", err)
	}
	got := pendingIdems(t, d, "a")
	want := map[string]bool{"i0": true, "i1": true, "i2": true, "i4": true, "i5": true, "i9": true}
	if len(got) != len(want) {
		t.Errorf("pending %v, want %v", got, want)
	}
	for _, k := range got {
		if !want[k] {
			t.Errorf("pending %s, which failed", k)
		}
	}
}

// waitQueued waits until n calls wait in the group's queue, with a leader
// at work.
func waitQueued(t *testing.T, d *DB, n int) {
	t.Helper()
	g := &d.outbox.group
	deadline := time.Now().Add(10 * time.Second)
	for {
		g.mu.Lock()
		ok := g.leading && len(g.queue) == n
		g.mu.Unlock()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d calls did not queue behind the leader", n)
		}
		time.Sleep(time.Millisecond)
	}
}

// The counts a group commit keeps in its transaction (each sink's
// pending, parked and bytes, the outbox's bytes) equal a recount of the
// records after appends, cursor moves, parks, requeues and compactions
// that share commits.
func TestOutboxCountsMatchTheRecords(t *testing.T) {
	d, _ := openTest(t)
	v := d.Outbox()
	v.SetBudget(40_000)
	sinks := []string{"a", "b"}
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for i := range 150 {
				sink := sinks[(w+i)%2]
				if err := v.Append(oe(sink, fmt.Sprint("k", i%7), fmt.Sprint(w, "/", i))); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	for _, sink := range sinks {
		wg.Go(func() {
			for range 40 {
				es, err := v.Pending(sink, 0, 5)
				if err != nil || len(es) == 0 {
					continue
				}
				if len(es) > 1 {
					if err := v.Park(OutboxParked{OutboxEntry: es[0], Error: "refused", Parked: time.Now()}); err != nil {
						t.Error(err)
					}
				}
				if err := v.Advance(sink, es[len(es)-1].Seq); err != nil {
					t.Error(err)
				}
				if _, err := v.Requeue(sink, nil); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	if _, err := v.Compact(); err != nil {
		t.Fatal(err)
	}
	want := recountOutbox(t, d)
	var total int64
	for _, sink := range sinks {
		st, err := v.Stats(sink)
		if err != nil {
			t.Fatal(err)
		}
		if st.Compacted == 0 {
			t.Errorf("sink %s: nothing compacted; the test means to cover compaction", sink)
		}
		got := outboxSink{Pending: st.Pending, Parked: st.Parked, Bytes: st.Bytes}
		if diff := cmp.Diff(want[sink], got, cmp.AllowUnexported(outboxSink{})); diff != "" {
			t.Errorf("sink %s: counts against a recount (-want +got):\n%s", sink, diff)
		}
		total += want[sink].Bytes
	}
	u, err := v.Usage()
	if err != nil {
		t.Fatal(err)
	}
	if u.Bytes != total {
		t.Errorf("outbox bytes %d, the records make %d", u.Bytes, total)
	}
}

// recountOutbox counts each sink's pending and parked records and their
// sizes from the buckets.
func recountOutbox(t *testing.T, d *DB) map[string]outboxSink {
	t.Helper()
	out := map[string]outboxSink{}
	split := func(k []byte) (string, uint64) {
		i := bytes.IndexByte(k, 0)
		return string(k[:i]), binary.BigEndian.Uint64(k[i+1:])
	}
	err := d.view(func(tx *bolt.Tx) error {
		if err := tx.Bucket(bucketOutbox).ForEach(func(k, val []byte) error {
			sink, seq := split(k)
			e, _, err := openOutboxEntry(bucketOutbox, k, sink, seq, val)
			s := out[sink]
			s.Pending++
			s.Bytes += e.Size()
			out[sink] = s
			return err
		}); err != nil {
			return err
		}
		return tx.Bucket(bucketOutboxParked).ForEach(func(k, val []byte) error {
			sink, seq := split(k)
			p, err := openOutboxParked(k, sink, seq, val)
			s := out[sink]
			s.Parked++
			s.Bytes += p.Size()
			out[sink] = s
			return err
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
