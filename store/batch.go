package store

import (
	"bytes"
	"slices"

	bolt "go.etcd.io/bbolt"
)

// writeBatch collects the writes of a large transaction and applies them
// per bucket in key order, deletes before puts (see indexes).
type writeBatch struct {
	order []*bolt.Bucket
	ops   map[*bolt.Bucket]*bucketOps
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

func (w *writeBatch) put(b *bolt.Bucket, k, v []byte) {
	o := w.bucket(b)
	o.puts = append(o.puts, kv{k, v})
}

func (w *writeBatch) del(b *bolt.Bucket, k []byte) {
	o := w.bucket(b)
	o.dels = append(o.dels, k)
}

// flush applies everything: per bucket the deletes, then the puts, each
// sorted by key. A later put of the same key wins.
func (w *writeBatch) flush() error {
	for _, b := range w.order {
		o := w.ops[b]
		slices.SortFunc(o.dels, bytes.Compare)
		for _, k := range o.dels {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		slices.SortStableFunc(o.puts, func(x, y kv) int { return bytes.Compare(x.k, y.k) })
		for _, p := range o.puts {
			if err := b.Put(p.k, p.v); err != nil {
				return err
			}
		}
	}
	w.order, w.ops = nil, map[*bolt.Bucket]*bucketOps{}
	return nil
}
