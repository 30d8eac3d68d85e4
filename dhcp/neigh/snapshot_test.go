package neigh

import (
	"context"
	"errors"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeTable is a neighbour table whose dumps are counted, on a clock the
// test moves.
type fakeTable struct {
	mu    sync.Mutex
	clock time.Time
	table []Neighbor
	fail  error
	dumps atomic.Int32
}

func (f *fakeTable) now() time.Time { f.mu.Lock(); defer f.mu.Unlock(); return f.clock }

func (f *fakeTable) advance(d time.Duration) { f.mu.Lock(); f.clock = f.clock.Add(d); f.mu.Unlock() }

func (f *fakeTable) set(ns []Neighbor, fail error) {
	f.mu.Lock()
	f.table, f.fail = ns, fail
	f.mu.Unlock()
}

func (f *fakeTable) dump(ctx context.Context) ([]Neighbor, error) {
	f.dumps.Add(1)
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.table, f.fail
}

// TestSnapshotsBoundTheDumps: concurrent look-ups share one dump; a dump
// answers what it holds for maxSnapshotAge; an address it lacks makes a
// new dump only once it is minMissRefresh old; a failed dump is not kept.
func TestSnapshotsBoundTheDumps(t *testing.T) {
	ctx := context.Background()
	known, late := netip.MustParseAddr("10.64.0.5"), netip.MustParseAddr("10.64.0.6")
	f := &fakeTable{clock: time.Unix(1_800_000_000, 0)}
	f.set([]Neighbor{{IP: known, MAC: [6]byte{2, 0, 0, 0, 0, 5}, State: Reachable}}, nil)
	s := newSnapshots(f.dump, f.now)
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			if n, err := s.lookup(ctx, known); err != nil || n.MAC[5] != 5 {
				t.Errorf("known address: %v, %v", n, err)
			}
		})
	}
	wg.Wait()
	if got := f.dumps.Load(); got != 1 {
		t.Errorf("50 concurrent look-ups made %d dumps, want 1", got)
	}
	step := func(d time.Duration, ip netip.Addr, wantFound bool, wantDumps int32, what string) {
		t.Helper()
		f.advance(d)
		_, err := s.lookup(ctx, ip)
		if found := err == nil; found != wantFound || !found && !errors.Is(err, ErrNotFound) {
			t.Errorf("%s: %v, want found %v", what, err, wantFound)
		}
		if got := f.dumps.Load(); got != wantDumps {
			t.Errorf("%s: %d dumps in all, want %d", what, got, wantDumps)
		}
	}
	step(500*time.Millisecond, known, true, 1, "a known address from a dump 0.5 s old")
	step(0, late, false, 2, "an unknown address, the dump 0.5 s old: a new dump")
	step(50*time.Millisecond, late, false, 2, "the same 50 ms later: the new dump answers")
	f.set(append(f.table, Neighbor{IP: late, MAC: [6]byte{2, 0, 0, 0, 0, 6}, State: Stale}), nil)
	step(minMissRefresh, late, true, 3, "its entry appears: found once the dump is old enough")
	step(maxSnapshotAge, known, true, 4, "a known address from a dump a second old: a new dump")
	f.set(nil, errors.New("netlink: no buffer space"))
	f.advance(maxSnapshotAge)
	if _, err := s.lookup(ctx, known); err == nil || errors.Is(err, ErrNotFound) {
		t.Errorf("a failed dump: %v, want its error", err)
	}
	f.set(f.table, nil)
	step(0, known, false, 6, "after a failed dump the next look-up dumps again")
}

// TestSnapshotsWaitHonoursTheContext: a look-up waiting for another's
// dump gives up with its context.
func TestSnapshotsWaitHonoursTheContext(t *testing.T) {
	f := &fakeTable{clock: time.Unix(1_800_000_000, 0)}
	s := newSnapshots(f.dump, f.now)
	s.sem <- struct{}{} // a dump under way
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := s.lookup(ctx, netip.MustParseAddr("10.64.0.5")); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("waiting past the deadline: %v", err)
	}
	if f.dumps.Load() != 0 {
		t.Error("a look-up that gave up dumped")
	}
}
