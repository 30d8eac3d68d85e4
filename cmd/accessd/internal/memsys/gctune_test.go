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
	stop := startTuner()
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
