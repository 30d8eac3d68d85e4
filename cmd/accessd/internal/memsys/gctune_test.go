package memsys

import (
	"runtime"
	"runtime/metrics"
	"sync"
	"testing"
	"time"

	"github.com/stadsnat/accessd/internal/testkit"
)

func TestGCPercentFor(t *testing.T) {
	const mib = 1 << 20
	for _, c := range []struct {
		live uint64
		want int
	}{{0, 100}, {4 * mib, 100}, {8 * mib, 100}, {10 * mib, 80}, {16 * mib, 50}, {32 * mib, 25}, {64 * mib, 25},
		{96 * mib, 62}, {128 * mib, 100}, {512 * mib, 100}, {1 << 30, 100}} {
		if got := gcPercentFor(c.live); got != c.want {
			t.Errorf("gcPercentFor(%d MiB) = %d, want %d", c.live/mib, got, c.want)
		}
	}
}

// TestTuner: after a collection that leaves a big live heap the target is
// lowered; stopping restores Go's default.
func TestTuner(t *testing.T) {
	tu := NewTuner()
	advance := fakeClock(tu)
	stop := tu.start()
	defer stop()
	big := make([][]byte, 0, 48)
	for range 48 { // 48 MiB live: between 4 × minHeadroom and bigLive
		big = append(big, make([]byte, 1<<20))
	}
	testkit.WaitUntil(t, 10*time.Second, "the target lowered for a live heap of 48 MiB", func() bool {
		// Quiet collections (the allocations above came back to back,
		// which is busy).
		advance(quietGap)
		runtime.GC()
		return gogc() == minGCPercent
	})
	runtime.KeepAlive(big)
	stop()
	if got := gogc(); got != maxGCPercent {
		t.Errorf("GOGC after stop = %d, want %d", got, maxGCPercent)
	}
}

// TestTunerTighten: while an import holds the tuner tight the target is
// capped at importGCPercent, collections or not; restoring (twice is
// once) gives back the live heap's target. A tuner not started (an
// operator's GOGC) changes nothing.
func TestTunerTighten(t *testing.T) {
	idle := NewTuner()
	before := gogc()
	idle.Tighten()()
	if got := gogc(); got != before {
		t.Errorf("GOGC after tightening a tuner not started = %d, want %d", got, before)
	}

	tu := NewTuner()
	fakeClock(tu)
	stop := tu.start()
	defer stop()
	restore := tu.Tighten()
	if got := gogc(); got != importGCPercent {
		t.Errorf("GOGC while tight = %d, want %d", got, importGCPercent)
	}
	inner := tu.Tighten() // holds nest
	inner()
	runtime.GC()
	testkit.WaitUntil(t, 10*time.Second, "a collection seen by the tuner", func() bool {
		tu.mu.Lock()
		defer tu.mu.Unlock()
		return tu.live > 0
	})
	if got := gogc(); got != importGCPercent {
		t.Errorf("GOGC while tight, after a collection = %d, want %d", got, importGCPercent)
	}
	restore()
	restore()
	tu.mu.Lock()
	want := gcPercentFor(tu.live)
	tu.mu.Unlock()
	if got := gogc(); got != want {
		t.Errorf("GOGC after restore = %d, want the live heap's %d", got, want)
	}
	if want <= importGCPercent {
		t.Fatalf("the test's live heap gets %d, not above the cap: the restore is not seen", want)
	}
}

func TestBusyHeadroom(t *testing.T) {
	const mib = 1 << 20
	ms := time.Millisecond
	for _, c := range []struct {
		boost uint64
		gap   time.Duration
		want  uint64
	}{
		{0, 10 * ms, 16 * mib}, {16 * mib, 10 * ms, 24 * mib}, {24 * mib, 10 * ms, 24 * mib}, // back to back: up to the cap
		{16 * mib, 500 * ms, 16 * mib}, {0, 500 * ms, 0}, // neither busy nor quiet: kept
		{24 * mib, 2 * time.Second, 12 * mib}, {16 * mib, 2 * time.Second, 0}, {0, time.Minute, 0}, // quiet: halved, then none
	} {
		if got := busyHeadroom(c.boost, c.gap); got != c.want {
			t.Errorf("busyHeadroom(%d MiB, %v) = %d MiB, want %d MiB", c.boost/mib, c.gap, got/mib, c.want/mib)
		}
	}
}

func TestTargetFor(t *testing.T) {
	const mib = 1 << 20
	for _, c := range []struct {
		live, boost uint64
		tight       bool
		want        int
	}{
		{2 * mib, 0, false, 100},        // a small heap, idle: Go's default
		{2 * mib, 16 * mib, false, 800}, // busy: 16 MiB of headroom over 2 MiB
		{1 * mib, 24 * mib, false, maxBusyGCPercent},
		{20 * mib, 24 * mib, false, 60}, // busy, up to a heap of maxBusyHeap
		{40 * mib, 16 * mib, false, 25}, // a bigger heap keeps its quarter
		{40 * mib, 0, false, 25},
		{512 * mib, 24 * mib, false, bigGCPercent}, // a big heap's own headroom is already more
		{2 * mib, 16 * mib, true, importGCPercent},
		{40 * mib, 0, true, importGCPercent},
		{bigLive, 0, true, gcPercentFor(bigLive)}, // a big heap is not capped by an import
		{512 * mib, 0, true, bigGCPercent},
		{0, 16 * mib, false, 100}, // no collection seen yet
	} {
		if got := targetFor(c.live, c.boost, c.tight); got != c.want {
			t.Errorf("targetFor(%d MiB, %d MiB, %v) = %d, want %d", c.live/mib, c.boost/mib, c.tight, got, c.want)
		}
	}
}

// TestTunerBusy: collections back to back raise the target above the
// small live heap's; when none comes for quietGap the timer gives the
// live heap's target back without waiting for a collection.
func TestTunerBusy(t *testing.T) {
	tu := NewTuner()
	advance := fakeClock(tu)
	stop := tu.start()
	defer stop()
	collect := func() {
		tu.mu.Lock()
		n := tu.cycles
		tu.mu.Unlock()
		runtime.GC()
		testkit.WaitUntil(t, 10*time.Second, "the tuner seeing the collection", func() bool {
			tu.mu.Lock()
			defer tu.mu.Unlock()
			return tu.cycles > n
		})
	}
	collect()
	idle := gogc()
	for range 3 {
		advance(10 * time.Millisecond)
		collect()
	}
	tu.mu.Lock()
	boost, live := tu.boost, tu.live
	tu.mu.Unlock()
	if boost != maxBusyHeadroom {
		t.Fatalf("busy headroom after collections 10 ms apart = %d, want %d", boost, maxBusyHeadroom)
	}
	if got, want := gogc(), targetFor(live, boost, false); got != want || got <= idle {
		t.Errorf("GOGC while busy = %d, want %d (idle: %d)", got, want, idle)
	}
	advance(quietGap) // the timer fires for real after quietGap; the clock says none came
	testkit.WaitUntil(t, 10*time.Second, "the target back to the live heap's", func() bool {
		tu.mu.Lock()
		defer tu.mu.Unlock()
		return tu.boost == 0 && gogc() == gcPercentFor(tu.live)
	})
}

// fakeClock gives tu a clock that moves only when the returned function
// says: the test, not the machine's speed, says how close collections
// come.
func fakeClock(tu *Tuner) (advance func(time.Duration)) {
	var mu sync.Mutex
	clock := time.Now()
	tu.now = func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
	return func(d time.Duration) { mu.Lock(); clock = clock.Add(d); mu.Unlock() }
}

// gogc is the collector's target in force.
func gogc() int {
	s := []metrics.Sample{{Name: "/gc/gogc:percent"}}
	metrics.Read(s)
	return int(s[0].Value.Uint64())
}
