package memsys

import (
	"runtime"
	"runtime/metrics"
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
		{96 * mib, 37}, {128 * mib, 50}, {512 * mib, 50}, {1 << 30, 50}} {
		if got := gcPercentFor(c.live); got != c.want {
			t.Errorf("gcPercentFor(%d MiB) = %d, want %d", c.live/mib, got, c.want)
		}
	}
}

// TestTuner: after a collection that leaves a big live heap the target is
// lowered; stopping restores Go's default.
func TestTuner(t *testing.T) {
	gogc := func() uint64 {
		s := []metrics.Sample{{Name: "/gc/gogc:percent"}}
		metrics.Read(s)
		return s[0].Value.Uint64()
	}
	stop := NewTuner().start()
	big := make([][]byte, 0, 48)
	for range 48 { // 48 MiB live: between 4 × minHeadroom and bigLive
		big = append(big, make([]byte, 1<<20))
	}
	testkit.WaitUntil(t, 10*time.Second, "the target lowered for a live heap of 48 MiB", func() bool {
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
	gogc := func() int {
		s := []metrics.Sample{{Name: "/gc/gogc:percent"}}
		metrics.Read(s)
		return int(s[0].Value.Uint64())
	}
	idle := NewTuner()
	before := gogc()
	idle.Tighten()()
	if got := gogc(); got != before {
		t.Errorf("GOGC after tightening a tuner not started = %d, want %d", got, before)
	}

	tu := NewTuner()
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
