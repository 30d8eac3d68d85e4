package memsys

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"time"
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
// was 100–200 ms with 25. With 50 it was 40–75 ms in most runs but 100 or
// 150 ms in three of fifteen (`make bench`); with 100 it was 20–30 ms in
// six of six, at a fifth less CPU a packet. From bigLive up the target
// rises linearly to 100 at twice bigLive; such a box's memory is its
// working set anyway, and the unit's GOMEMLIMIT and MemoryHigh bound it.
// The price is paid by the imports of large inventories, whose live heap
// passes bigLive: importing 100,000 accesses as JSON through the API
// peaked at 502 MiB of RSS against 399 MiB with 50, and as CSV at 317
// against 244 MiB (TestMemorySizing), under the unit's GOMEMLIMIT of
// 768 MiB.
const (
	minHeadroom   = 8 << 20
	minGCPercent  = 25
	bigGCPercent  = 100
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

// importGCPercent caps the target while a large import runs (Tighten):
// an import's live heap rises for a few seconds to twice the daemon's
// (the parsed accesses, the batch, bbolt's dirty pages), and with the
// target gcPercentFor gives such a heap (up to 100) the resident set
// peaked at half as much again. The cap costs the import more frequent
// collections: parsing and importing 100,000 accesses in one process took
// about 3.0 s of CPU at 20 against 1.7 s at 50 (2 cores, load 4), its
// wall time 2.0 s against 1.8 s; 10 took 3.8 s of CPU for little less
// memory.
//
// A live heap of bigLive and more (a million DHCP clients' bindings) is
// not capped: an import adds little to it, and at 20 the collector would
// mark half a gigabyte back to back while the DHCP pipeline waits on it
// for as long as the import runs; the unit's GOMEMLIMIT bounds that heap.
const importGCPercent = 20

// Under a flood of small requests the collector runs back to back: the
// HTTP look-ups allocate some 3 KB a request in net/http, and at 100,000
// requests a second a live heap of 2 MB with Go's minimum goal of 4 MB was
// collected 130 times a second, each collection about 1 ms of CPU (the
// daemon's goroutines and globals are scanned whatever the heap's size):
// over a microsecond a request, a tenth of what serving it costs. While
// collections come closer than busyGap the headroom is raised (busyHeadroom),
// to at most maxBusyHeadroom: a few collections a second, for at most
// 24 MiB more resident memory while the flood lasts, and never a heap
// target above maxBusyHeap: it is the small heap whose collections cost
// more than they free (a live heap of 40 MB, 100,000 accesses and 2,084
// switches polled, keeps its quarter: its polling cycles collect back to
// back too, and its peak RSS rose from 97 to 115 MB when busy raised
// it). Once none has come for quietGap the headroom is the live heap's
// again.
const (
	busyGap         = 100 * time.Millisecond
	quietGap        = time.Second
	maxBusyHeadroom = 24 << 20
	maxBusyHeap     = 32 << 20
	// maxBusyGCPercent bounds the target a busy small heap gets.
	maxBusyGCPercent = 1000
)

// busyHeadroom is the headroom after a collection that came gap after the
// one before, when it was boost: doubled (from twice minHeadroom) when
// collections come back to back, halved, down to none, when they are
// quiet.
func busyHeadroom(boost uint64, gap time.Duration) uint64 {
	switch {
	case gap < busyGap:
		return min(max(2*boost, 2*minHeadroom), maxBusyHeadroom)
	case gap >= quietGap && boost <= 2*minHeadroom:
		return 0
	case gap >= quietGap:
		return boost / 2
	}
	return boost
}

// targetFor is the collector's target for a live heap, a busy headroom
// (0: none) and whether an import holds the tuner tight.
func targetFor(live, boost uint64, tight bool) int {
	p := gcPercentFor(live)
	if boost > 0 && live > 0 && live < maxBusyHeap {
		head := min(boost, maxBusyHeap-live)
		p = max(p, int(min(head*100/live, maxBusyGCPercent)))
	}
	if tight && live < bigLive {
		p = min(p, importGCPercent)
	}
	return p
}

// Tuner sets the collector's target after every collection from the live
// heap it left (gcPercentFor) and how close collections come
// (busyHeadroom), capped at importGCPercent while anything holds it tight
// (Tighten) and the live heap is below bigLive. Until it is started (the process's memory task, when no GOGC
// is set) it changes nothing.
type Tuner struct {
	mu      sync.Mutex
	running bool
	holds   int
	live    uint64 // after the latest collection; 0: none seen yet
	current int    // the target set
	boost   uint64 // busy headroom, 0: none
	lastGC  time.Time
	quiet   *time.Timer // ends the boost once no collection comes for quietGap
	cycles  uint64      // collections seen (tests)
	now     func() time.Time
}

// NewTuner makes a tuner, not started.
func NewTuner() *Tuner { return &Tuner{now: time.Now} }

// Tighten caps the collector's target at importGCPercent (below a live
// heap of bigLive), now and after every collection, until restore is called (once; holds nest). A tuner
// not started (an operator's GOGC) ignores it.
func (t *Tuner) Tighten() (restore func()) {
	t.mu.Lock()
	t.holds++
	t.apply()
	t.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			t.mu.Lock()
			t.holds--
			t.apply()
			t.mu.Unlock()
		})
	}
}

// target is the collector's target for the latest live heap and the
// holds. t.mu is held.
func (t *Tuner) target() int { return targetFor(t.live, t.boost, t.holds > 0) }

// collected notes a collection that left live bytes of live heap. t.mu is
// held.
func (t *Tuner) collected(live uint64) {
	now := t.now()
	t.cycles++
	if !t.lastGC.IsZero() {
		t.boost = busyHeadroom(t.boost, now.Sub(t.lastGC))
	}
	t.lastGC, t.live = now, live
	if t.boost > 0 {
		// A flood that stops leaves no collection to see it stopped:
		// the timer lowers the target, and the heap above it is
		// collected and handed back.
		if t.quiet == nil {
			t.quiet = time.AfterFunc(quietGap, t.quieted)
		} else {
			t.quiet.Reset(quietGap)
		}
	}
	t.apply()
}

// quieted ends the busy headroom when no collection came for quietGap.
func (t *Tuner) quieted() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.running && t.boost > 0 && t.now().Sub(t.lastGC) >= quietGap {
		t.boost = 0
		t.apply()
	}
}

// apply sets the target if it changed. t.mu is held.
func (t *Tuner) apply() {
	if p := t.target(); t.running && p != t.current {
		t.current = p
		debug.SetGCPercent(p)
	}
}

// start runs the tuner; stop ends it and restores Go's default.
func (t *Tuner) start() (stop func()) {
	t.mu.Lock()
	t.running, t.current = true, gcPercentDemo
	debug.SetGCPercent(t.current)
	t.apply()
	t.mu.Unlock()
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	var arm func()
	arm = func() {
		// A sentinel the collector frees in every cycle: its finalizer runs
		// after each collection, on the finalizer goroutine.
		// (It holds a pointer: the tiny allocator's objects may never be
		// finalized.)
		s := &sentinel{}
		runtime.SetFinalizer(s, func(*sentinel) {
			t.mu.Lock()
			defer t.mu.Unlock()
			if !t.running {
				return
			}
			metrics.Read(sample)
			if sample[0].Value.Kind() == metrics.KindUint64 {
				t.collected(sample[0].Value.Uint64())
			}
			arm()
		})
	}
	arm()
	return func() {
		t.mu.Lock()
		t.running = false
		if t.quiet != nil {
			t.quiet.Stop()
		}
		debug.SetGCPercent(gcPercentDemo)
		t.mu.Unlock()
	}
}

// sentinel is the tuner's object freed by every collection.
type sentinel struct {
	_ *int
	_ [2]uintptr
}
