package ingest

import (
	"bytes"
	"math/rand/v2"
	"reflect"
	"runtime"
	"testing"
	"time"
	"unsafe"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"

	"github.com/stadsnat/accessd/dhcp/binding"
)

func TestQueueOrderAndRelease(t *testing.T) {
	q := newQueue(4)
	at := time.Unix(100, 0)
	if d := q.push(binding.SourceRelay, at, [][]byte{[]byte("a"), []byte("bb"), {}}); d != 0 {
		t.Fatalf("dropped %d", d)
	}
	if d := q.push(binding.SourceSnoop, at, [][]byte{[]byte("ccc"), []byte("dddd")}); d != 1 {
		t.Errorf("pushed 5 into 4 slots: dropped %d, want 1", d)
	}
	got := q.peek(nil, 10)
	var texts []string
	for _, p := range got {
		texts = append(texts, p.src.String()+":"+string(p.data))
	}
	if diff := cmp.Diff([]string{"relay:a", "relay:bb", "relay:", "snoop:ccc"}, texts); diff != "" {
		t.Errorf("peek (-want +got):\n%s", diff)
	}
	q.release(2)
	if q.depth() != 2 {
		t.Errorf("depth %d after releasing 2 of 4", q.depth())
	}
	got = q.peek(nil, 1)
	if len(got) != 1 || string(got[0].data) != "" || !got[0].at.Equal(at) {
		t.Errorf("oldest after release: %+v", got)
	}
}

// The arena is bounded too: a packet that does not fit is dropped.
// (It is allocated by the first push.)
func TestQueueArenaFull(t *testing.T) {
	q := newQueue(4)
	big := make([]byte, arenaBytes(4)/2+1)
	if d := q.push(binding.SourceRelay, time.Now(), [][]byte{big, big}); d != 1 {
		t.Errorf("two packets larger than half the arena: dropped %d, want 1", d)
	}
	q.release(1)
	if d := q.push(binding.SourceRelay, time.Now(), [][]byte{big}); d != 0 {
		t.Errorf("after release: dropped %d", d)
	}
}

// A random workload against a slice model: every packet that was not
// dropped comes out once, intact, in order, and nothing is dropped while
// the queue is nearly empty.
func TestQueueModel(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	q := newQueue(64)
	var model [][]byte
	seq := 0
	for step := range 20000 {
		if r.IntN(2) == 0 {
			for range r.IntN(8) + 1 {
				p := make([]byte, r.IntN(2000))
				for j := range p {
					p[j] = byte(seq + j)
				}
				seq++
				if q.push(binding.SourceRelay, time.Now(), [][]byte{p}) == 0 {
					model = append(model, p)
				} else if len(model) < 4 && len(p) < 1000 {
					t.Fatalf("step %d: a %d-byte packet dropped with only %d queued", step, len(p), len(model))
				}
			}
			if q.depth() != len(model) {
				t.Fatalf("step %d: depth %d, want %d", step, q.depth(), len(model))
			}
		} else if len(model) > 0 {
			k := r.IntN(len(model)) + 1
			got := q.peek(nil, k)
			for i, p := range got {
				if !bytes.Equal(p.data, model[i]) {
					t.Fatalf("step %d: item %d changed while queued", step, i)
				}
			}
			q.release(k)
			model = model[k:]
		}
	}
}

// An unused queue holds no arena, and its empty operations are safe.
func TestQueueLazyArena(t *testing.T) {
	q := newQueue(1024)
	if q.buf != nil || q.items != nil {
		t.Fatal("a new queue allocated its arena")
	}
	q.release(0)
	q.release(5)
	if got := q.peek(nil, 10); len(got) != 0 || q.depth() != 0 {
		t.Errorf("empty queue: peek %v depth %d", got, q.depth())
	}
	q.push(binding.SourceRelay, time.Now(), [][]byte{[]byte("x")})
	if len(q.buf) != arenaBytes(1024) || len(q.items) != 1024 || q.depth() != 1 {
		t.Errorf("after the first push: arena %d items %d depth %d", len(q.buf), len(q.items), q.depth())
	}
}

// The arena of the default queue size does not come from the Go heap:
// its pages are the kernel's until packets reach them (an idle daemon
// does not carry 34 MB of zeroed ring), and it holds what was pushed.
func TestQueueArenaOutsideTheHeap(t *testing.T) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	q := newQueue(65536)
	if d := q.push(binding.SourceRelay, time.Now(), [][]byte{[]byte("first")}); d != 0 {
		t.Fatalf("dropped %d", d)
	}
	runtime.ReadMemStats(&after)
	if grew, arena := after.HeapAlloc-min(after.HeapAlloc, before.HeapAlloc), uint64(arenaBytes(65536)); grew > arena/4 {
		t.Errorf("the first push grew the heap by %d bytes (the arena is %d)", grew, arena)
	}
	if got := q.peek(nil, 1); len(got) != 1 || string(got[0].data) != "first" {
		t.Errorf("peek = %+v", got)
	}
	runtime.KeepAlive(q)
}

// An item holds no pointers: the ring of items is outside the Go heap,
// where the collector would not see what they point to.
func TestQueueItemHoldsNoPointers(t *testing.T) {
	var walk func(reflect.Type) bool
	walk = func(ty reflect.Type) bool {
		switch ty.Kind() {
		case reflect.Pointer, reflect.Slice, reflect.Map, reflect.String, reflect.Interface, reflect.Chan, reflect.Func, reflect.UnsafePointer:
			return false
		case reflect.Struct:
			for i := range ty.NumField() {
				if !walk(ty.Field(i).Type) {
					return false
				}
			}
		case reflect.Array:
			return walk(ty.Elem())
		}
		return true
	}
	if !walk(reflect.TypeFor[item]()) {
		t.Fatal("item holds a pointer: it cannot live in the mapped ring (arena.go)")
	}
}

// Where the kernel refuses the mapping, the ring and its items come from
// the heap and work the same.
func TestQueueArenaFallsBackToTheHeap(t *testing.T) {
	q := newQueue(8)
	buf := keepArena(q, nil, unix.ENOMEM, arenaBytes(8))
	if len(buf) != arenaBytes(8) {
		t.Fatalf("fallback arena of %d bytes, want %d", len(buf), arenaBytes(8))
	}
	items := itemsIn(keepArena(q, nil, unix.ENOMEM, 8*int(unsafe.Sizeof(item{}))), 8)
	q.buf, q.items = buf, items // as push makes them
	at := time.Unix(100, 0)
	if d := q.push(binding.SourceRelay, at, [][]byte{[]byte("a"), []byte("bb")}); d != 0 {
		t.Fatalf("dropped %d", d)
	}
	got := q.peek(nil, 8)
	if len(got) != 2 || string(got[0].data) != "a" || string(got[1].data) != "bb" || !got[1].at.Equal(at) {
		t.Errorf("peek from the heap arena: %+v", got)
	}
}
