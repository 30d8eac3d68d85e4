package memsys

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync/atomic"
)

// headroom is what the heap may grow by between two collections: at
// least a quarter of the live heap, at least minHeadroom, so that GOGC
// (headroom over live) is 100 up to a live heap of minHeadroom (Go's
// default: the demo's few megabytes), 50 at twice that, 25 from four times
// that up (100,000 accesses and 2,000 switches: about 40 MB live). A
// bigger heap then collects a little more often instead of keeping twice
// its live size resident; with the allocation rate of polling (about a
// megabyte a second) that is a collection every 10 s or so, some 20 ms of
// CPU each.
//
// A very large live heap (a million DHCP clients: about 500 MB) gets more:
// a collection's marking takes time in proportion to the live heap, and
// with a quarter of it as headroom the next collection starts soon after,
// so the DHCP pipeline works beside a marking collector most of the time.
// At a million clients in 10 s the p99 from packet to committed binding
// was 100–200 ms with 25 and 75 ms with 50 (40 ms with 100), at a fifth
// less CPU a packet. From bigLive up the target rises linearly to 50 at
// twice bigLive; such a box's memory is its working set anyway, and the
// unit's GOMEMLIMIT and MemoryHigh bound it.
const (
	minHeadroom   = 8 << 20
	minGCPercent  = 25
	bigGCPercent  = 50
	maxGCPercent  = 100
	gcPercentDemo = maxGCPercent // below minHeadroom of live heap
	bigLive       = 64 << 20
)

// gcPercentFor is the target for a live heap of live bytes.
func gcPercentFor(live uint64) int {
	if live == 0 {
		return maxGCPercent
	}
	head := max(live/4, minHeadroom)
	p := min(max(head*100/live, minGCPercent), maxGCPercent)
	if live > bigLive {
		p = max(p, minGCPercent+(bigGCPercent-minGCPercent)*min(live-bigLive, bigLive)/bigLive)
	}
	return int(p)
}

// startTuner sets the collector's target after every collection from the
// live heap it left; stop ends it and restores Go's default.
func startTuner() (stop func()) {
	var stopped atomic.Bool
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	current := gcPercentDemo
	debug.SetGCPercent(current)
	var arm func()
	arm = func() {
		// A sentinel the collector frees in every cycle: its finalizer runs
		// after each collection, on the finalizer goroutine.
		// (It holds a pointer: the tiny allocator's objects may never be
		// finalized.)
		s := &sentinel{}
		runtime.SetFinalizer(s, func(*sentinel) {
			if stopped.Load() {
				return
			}
			metrics.Read(sample)
			if sample[0].Value.Kind() == metrics.KindUint64 {
				if p := gcPercentFor(sample[0].Value.Uint64()); p != current {
					current = p
					debug.SetGCPercent(p)
				}
			}
			arm()
		})
	}
	arm()
	return func() {
		stopped.Store(true)
		debug.SetGCPercent(gcPercentDemo)
	}
}

// sentinel is the tuner's object freed by every collection.
type sentinel struct {
	_ *int
	_ [2]uintptr
}
