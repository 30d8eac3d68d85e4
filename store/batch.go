package store

import (
	"bytes"
	"slices"

	bolt "go.etcd.io/bbolt"
)

// writeBatch collects the writes of a large transaction and applies them
// per bucket in key order, deletes before puts (see indexes). Its keys
// and values are carved from slabs (see slab) rather than allocated one
// by one: bbolt holds every value of a transaction until the commit, and
// a large import's hundreds of thousands of small allocations cost their
// size classes' rounding and the collector's time. The values' slab
// lives until the commit (bbolt points into it); the keys' slab goes at
// flush (bbolt copies keys).
type writeBatch struct {
	order   []*bolt.Bucket
	ops     map[*bolt.Bucket]*bucketOps
	keys    slab
	values  slab
	scratch []byte // one record being encoded (indexes.put)
}

type bucketOps struct {
	dels [][]byte
	puts []kv
}

type kv struct{ k, v []byte }

func newWriteBatch() *writeBatch { return &writeBatch{ops: map[*bolt.Bucket]*bucketOps{}} }

func (w *writeBatch) bucket(b *bolt.Bucket) *bucketOps {
	o, ok := w.ops[b]
	if !ok {
		o = &bucketOps{}
		w.ops[b] = o
		w.order = append(w.order, b)
	}
	return o
}

// put queues v, sealed already and owned by the batch, at k (copied).
func (w *writeBatch) put(b *bolt.Bucket, k, v []byte) {
	o := w.bucket(b)
	o.puts = append(o.puts, kv{w.keys.copy(k), v})
}

// putValue queues v sealed at k; both are copied.
func (w *writeBatch) putValue(b *bolt.Bucket, k, v []byte) {
	w.put(b, k, w.values.sealed(v))
}

// del queues the delete of k (copied).
func (w *writeBatch) del(b *bolt.Bucket, k []byte) {
	o := w.bucket(b)
	o.dels = append(o.dels, w.keys.copy(k))
}

// slabChunk is the size of a slab's chunks: large enough that a 100,000
// access import takes a few hundred, small enough that the last one's
// unused part does not matter.
const slabChunk = 256 << 10

// slab hands out byte slices carved from large chunks that are never
// reallocated, so a slice it gave stays valid (and capped: appending to
// it copies) for as long as someone holds it.
type slab struct{ chunk []byte }

// room makes sure the current chunk has n bytes free.
func (s *slab) room(n int) {
	if cap(s.chunk)-len(s.chunk) < n {
		s.chunk = make([]byte, 0, max(slabChunk, n))
	}
}

// copy returns a copy of b in the slab; empty stays empty.
func (s *slab) copy(b []byte) []byte {
	if len(b) == 0 {
		return b
	}
	s.room(len(b))
	start := len(s.chunk)
	s.chunk = append(s.chunk, b...)
	return s.chunk[start:len(s.chunk):len(s.chunk)]
}

// sealed returns v and its checksum in the slab (codec.go's seal); empty
// stays empty.
func (s *slab) sealed(v []byte) []byte {
	if len(v) == 0 {
		return v
	}
	s.room(len(v) + sumLen)
	var out []byte
	s.chunk, out = appendSealed(s.chunk, v)
	return out
}

// appendFill is how full bbolt packs the pages of a bucket that a batch
// only appends to (see flush): bbolt's default, half, leaves pages that
// are never filled when keys only ever come after the last one (the
// change log, the modification index, every index of a first import), so
// the file, and the dirty pages a large commit holds in memory at once,
// are twice what the data needs.
const appendFill = 0.9

// flush applies everything: per bucket the deletes, then the puts, each
// sorted by key. A later put of the same key wins. A bucket whose puts
// all sort after its last key gets its pages packed to appendFill. Each
// bucket's operations are let go once applied, so that the batch and
// bbolt's copy of it are not both held in full.
func (w *writeBatch) flush() error {
	for _, b := range w.order {
		o := w.ops[b]
		delete(w.ops, b)
		slices.SortFunc(o.dels, bytes.Compare)
		for _, k := range o.dels {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		o.dels = nil
		slices.SortStableFunc(o.puts, func(x, y kv) int { return bytes.Compare(x.k, y.k) })
		if len(o.puts) > 0 {
			if last, _ := b.Cursor().Last(); last == nil || bytes.Compare(o.puts[0].k, last) > 0 {
				b.FillPercent = appendFill
			}
		}
		for i, p := range o.puts {
			if err := b.Put(p.k, p.v); err != nil {
				return err
			}
			o.puts[i] = kv{} // bbolt has the value; the key it copied
		}
		o.puts = nil
	}
	w.order, w.ops, w.keys = nil, map[*bolt.Bucket]*bucketOps{}, slab{}
	return nil
}
