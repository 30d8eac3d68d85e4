package ingest

import (
	"sync"
	"time"

	"github.com/stadsnat/accessd/dhcp/binding"
)

// queue is the bounded queue between the packet sources and the
// processor. Packets are copied into one byte ring (an arena) and described
// by a ring of items, so its memory is fixed: queue_size items and
// queue_size × avgPacket bytes. A packet that does not fit is dropped and
// counted; the sources never wait.
//
// Many producers (the sources) push under the mutex; the single consumer
// (the processor) peeks a run of items, reads their bytes without the lock
// (producers never write into occupied space) and releases them when done.
type queue struct {
	mu    sync.Mutex
	size  int // items it holds; the memory is allocated by the first push
	buf   []byte
	start int // offset of the oldest item's bytes
	end   int // offset where the next bytes go
	items []item
	first int // index of the oldest item
	n     int // items queued
	// ready is signalled (non-blocking, capacity 1) when items arrive.
	ready chan struct{}
}

// item must hold no pointers: the ring of items lives outside the Go
// heap, where the collector does not look (arena.go; a test holds it).
type item struct {
	off, len int32
	src      binding.Source
	at       int64 // receive time, unix nanoseconds
}

// avgPacket is the arena share of one queue slot: typical relayed packets
// are 300–400 bytes.
const avgPacket = 512

// arenaBytes is the size of the byte ring of a queue of size items.
func arenaBytes(size int) int { return size*avgPacket + 64<<10 }

// newQueue makes a queue of size items. Its arena is allocated when the
// first packet arrives, so a daemon without DHCP sources (look-ups from
// the stored bindings only) does not carry tens of megabytes of heap that
// also raise the garbage collector's goal.
func newQueue(size int) *queue {
	return &queue{size: size, ready: make(chan struct{}, 1)}
}

// push copies pkts into the queue and returns how many it dropped for want
// of room.
func (q *queue) push(src binding.Source, at time.Time, pkts [][]byte) (dropped int) {
	ns := at.UnixNano()
	q.mu.Lock()
	if q.items == nil {
		q.buf = newArena(q, arenaBytes(q.size))
		q.items = newItems(q, q.size)
	}
	for _, p := range pkts {
		if q.n == len(q.items) {
			dropped++
			continue
		}
		off, ok := q.alloc(max(len(p), 1))
		if !ok {
			dropped++
			continue
		}
		copy(q.buf[off:], p)
		q.items[(q.first+q.n)%len(q.items)] = item{off: int32(off), len: int32(len(p)), src: src, at: ns}
		q.n++
	}
	q.mu.Unlock()
	if dropped < len(pkts) {
		select {
		case q.ready <- struct{}{}:
		default:
		}
	}
	return dropped
}

// alloc reserves l contiguous bytes. Call with mu held.
func (q *queue) alloc(l int) (int, bool) {
	if q.n == 0 {
		q.start, q.end = 0, 0
	}
	if q.n == 0 || q.end > q.start {
		// Data in [start, end): room after end, or from 0 up to start.
		if len(q.buf)-q.end >= l {
			off := q.end
			q.end += l
			return off, true
		}
		if q.start >= l {
			q.end = l
			return 0, true
		}
		return 0, false
	}
	// Wrapped: data in [start, …) and [0, end); room in [end, start).
	if q.start-q.end >= l {
		off := q.end
		q.end += l
		return off, true
	}
	return 0, false
}

// packet is one queued packet as the processor sees it; data is valid
// until release.
type packet struct {
	src  binding.Source
	at   time.Time
	data []byte
}

// peek appends up to max of the oldest items to dst.
func (q *queue) peek(dst []packet, max int) []packet {
	q.mu.Lock()
	defer q.mu.Unlock()
	for i := 0; i < q.n && i < max; i++ {
		it := q.items[(q.first+i)%len(q.items)]
		dst = append(dst, packet{src: it.src, at: time.Unix(0, it.at), data: q.buf[it.off : it.off+it.len : it.off+it.len]})
	}
	return dst
}

// release frees the k oldest items.
func (q *queue) release(k int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	k = min(k, q.n)
	if k == 0 {
		return
	}
	q.first = (q.first + k) % len(q.items)
	q.n -= k
	if q.n == 0 {
		q.start, q.end = 0, 0
		return
	}
	q.start = int(q.items[q.first].off)
}

// depth is the number of queued packets.
func (q *queue) depth() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.n
}
