package ingest

import (
	"sync"

	"github.com/stadsnat/accessd/store"
)

// recChunk is how many binding copies one chunk of a recLog holds.
const recChunk = 4096

// newRecChunks is the pool of the recLog chunks the writer has gathered,
// for the processor's next ones: under load a chunk is filled every few
// dozen milliseconds, and a fresh 1 MB each time is garbage the collector
// has to follow through a heap of a million bindings.
func newRecChunks() *sync.Pool {
	return &sync.Pool{New: func() any { return new([recChunk]store.BindingRecord) }}
}

// recFirst is how many copies a recLog holds before its first pooled
// chunk: a quiet network changes a few bindings a commit, and 1.2 MB of
// chunk for them would be most of an idle daemon's heap.
const recFirst = 128

// recLog holds the copies of the bindings the processor changed since
// the last commit (pending.recs): the first recFirst in a small array of
// its own, the rest in chunks that are appended, never grown: a slice of
// tens of thousands of records that grows copies all of them at every
// doubling, under the working set's lock.
type recLog struct {
	pool   *sync.Pool // of newRecChunks
	first  *[recFirst]store.BindingRecord
	chunks []*[recChunk]store.BindingRecord
	n      int
}

// add appends r and returns its index.
func (l *recLog) add(r store.BindingRecord) int {
	switch {
	case l.n == 0 && l.first == nil:
		l.first = new([recFirst]store.BindingRecord)
	case l.n >= recFirst && l.n == recFirst+len(l.chunks)*recChunk:
		l.chunks = append(l.chunks, l.pool.Get().(*[recChunk]store.BindingRecord))
	}
	i := l.n
	*l.at(i) = r
	l.n++
	return i
}

// set replaces the copy at index i.
func (l *recLog) set(i int, r store.BindingRecord) { *l.at(i) = r }

// at is the copy at index i.
func (l *recLog) at(i int) *store.BindingRecord {
	if i < recFirst {
		return &l.first[i]
	}
	i -= recFirst
	return &l.chunks[i/recChunk][i%recChunk]
}

// release gives the chunks back for reuse (cleared: no copy keeps a
// binding's strings alive); l is empty after it.
func (l *recLog) release() {
	if l.first != nil {
		clear(l.first[:min(l.n, recFirst)])
	}
	for i, c := range l.chunks {
		clear(c[:])
		l.pool.Put(c)
		l.chunks[i] = nil
	}
	l.chunks, l.n = l.chunks[:0], 0
}
