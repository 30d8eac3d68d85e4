package ingest

import (
	"runtime"
	"unsafe"

	"golang.org/x/sys/unix"
)

// newArena returns n zero bytes for a queue's byte ring, mapped from the
// kernel (anonymous, private) rather than taken from the Go heap, so that
// its pages become resident only as packets reach them. From the heap, a
// block of that size may be memory the heap held before, which the
// runtime zeroes at allocation: then the whole ring, 34 MB at the default
// queue_size, counted in an idle daemon's RSS from its first packet (the
// demo's idle figure went from 28 to 61 MB in one run of three). owner
// releases the mapping when it becomes unreachable; nothing may keep a
// slice of the ring beyond its owner (the ring reuses its bytes anyway).
// Where the kernel refuses the mapping, the heap.
func newArena[T any](owner *T, n int) []byte {
	b, err := unix.Mmap(-1, 0, n, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
	return keepArena(owner, b, err, n)
}

// keepArena is newArena's outcome: the mapping b released with owner, or
// n bytes of the heap when mapping failed with err.
func keepArena[T any](owner *T, b []byte, err error, n int) []byte {
	if err != nil {
		return make([]byte, n)
	}
	runtime.AddCleanup(owner, func(b []byte) { unix.Munmap(b) }, b)
	return b
}

// newItems returns the queue's ring of n items from a mapping like
// newArena's (an item holds no pointers, so the collector need not see
// it): 1.5 MB at the default queue_size, of which an idle daemon touches
// a page or two.
func newItems[T any](owner *T, n int) []item {
	return itemsIn(newArena(owner, n*int(unsafe.Sizeof(item{}))), n)
}

// itemsIn is b, mapped or from the heap, as n items.
func itemsIn(b []byte, n int) []item {
	return unsafe.Slice((*item)(unsafe.Pointer(unsafe.SliceData(b))), n)
}
