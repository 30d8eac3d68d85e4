package cluster

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/stadsnat/accessd/cmd/accessd/internal/cluster/wire"
)

// boltFacts is the reference FactApplier the tests run against: a real
// bbolt file holding every applied fact under origin/seq and the marks,
// written in one transaction as FactApplier requires. Applying a fact
// whose key is already there is the failure the cluster must never
// cause: it is recorded and fails the test.
type boltFacts struct {
	t       testing.TB
	db      *bolt.DB
	twice   atomic.Int64
	calls   atomic.Int64
	failing atomic.Int64 // fail this many more calls
}

var (
	bucketFacts = []byte("facts")
	bucketMarks = []byte("marks")
)

func openBoltFacts(t testing.TB, dir string) *boltFacts {
	t.Helper()
	db, err := bolt.Open(filepath.Join(dir, "facts.db"), 0o600, &bolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketFacts, bucketMarks} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return &boltFacts{t: t, db: db}
}

func factKey(origin string, seq uint64) []byte {
	k := append([]byte(origin), 0)
	return binary.BigEndian.AppendUint64(k, seq)
}

func (b *boltFacts) ApplyFacts(ctx context.Context, facts []*wire.Message) error {
	b.calls.Add(1)
	if b.failing.Load() > 0 {
		b.failing.Add(-1)
		return errors.New("injected store failure")
	}
	return b.db.Update(func(tx *bolt.Tx) error {
		fb, mb := tx.Bucket(bucketFacts), tx.Bucket(bucketMarks)
		for _, f := range facts {
			k := factKey(f.Origin(), f.Seq)
			if fb.Get(k) != nil {
				b.twice.Add(1)
				b.t.Errorf("fact %s applied twice", f.ID())
			}
			if err := fb.Put(k, []byte(f.Kind())); err != nil {
				return err
			}
		}
		for origin, m := range MarksOf(facts) {
			v := binary.BigEndian.AppendUint64(nil, m.Seq)
			v = binary.BigEndian.AppendUint64(v, uint64(m.At.UnixNano()))
			if err := mb.Put([]byte(origin), v); err != nil {
				return err
			}
		}
		return nil
	})
}

func (b *boltFacts) FactMarks(ctx context.Context) (map[string]Mark, error) {
	marks := map[string]Mark{}
	err := b.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketMarks).ForEach(func(k, v []byte) error {
			marks[string(k)] = Mark{Seq: binary.BigEndian.Uint64(v), At: time.Unix(0, int64(binary.BigEndian.Uint64(v[8:])))}
			return nil
		})
	})
	return marks, err
}

// seqs lists the applied seqs of origin, in order.
func (b *boltFacts) seqs(origin string) []uint64 {
	var out []uint64
	prefix := append([]byte(origin), 0)
	_ = b.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketFacts).Cursor()
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			out = append(out, binary.BigEndian.Uint64(k[len(prefix):]))
		}
		return nil
	})
	return out
}

func (b *boltFacts) count() int {
	n := 0
	_ = b.db.View(func(tx *bolt.Tx) error { n = tx.Bucket(bucketFacts).Stats().KeyN; return nil })
	return n
}

func (b *boltFacts) close() { _ = b.db.Close() }

// boltInventory is the reference InventoryApplier: the accesses and the
// mark in a real bbolt file, one transaction per call; every call's
// changes are kept to check that batches are never split.
type boltInventory struct {
	db    *bolt.DB
	mu    sync.Mutex
	calls [][]*wire.AccessChange
}

var (
	bucketAccesses = []byte("accesses")
	bucketMeta     = []byte("meta")
)

func openBoltInventory(t testing.TB, dir string) *boltInventory {
	t.Helper()
	db, err := bolt.Open(filepath.Join(dir, "inventory.db"), 0o600, &bolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketAccesses, bucketMeta} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return &boltInventory{db: db}
}

func (b *boltInventory) ApplyInventory(ctx context.Context, changes []*wire.AccessChange, mark uint64) error {
	err := b.db.Update(func(tx *bolt.Tx) error {
		ab := tx.Bucket(bucketAccesses)
		for _, c := range changes {
			if c.Removed {
				if err := ab.Delete([]byte(c.AccessID)); err != nil {
					return err
				}
				continue
			}
			v, err := json.Marshal(c.Access)
			if err != nil {
				return err
			}
			if err := ab.Put([]byte(c.AccessID), v); err != nil {
				return err
			}
		}
		return tx.Bucket(bucketMeta).Put([]byte("mark"), binary.BigEndian.AppendUint64(nil, mark))
	})
	if err == nil {
		b.mu.Lock()
		b.calls = append(b.calls, changes)
		b.mu.Unlock()
	}
	return err
}

func (b *boltInventory) InventoryMark(ctx context.Context) (uint64, error) {
	var m uint64
	err := b.db.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bucketMeta).Get([]byte("mark")); v != nil {
			m = binary.BigEndian.Uint64(v)
		}
		return nil
	})
	return m, err
}

// accesses returns AccessId → city of every access held.
func (b *boltInventory) accesses() map[string]string {
	out := map[string]string{}
	_ = b.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketAccesses).ForEach(func(k, v []byte) error {
			var a wire.Access
			if err := json.Unmarshal(v, &a); err != nil {
				return err
			}
			out[string(k)] = a.City
			return nil
		})
	})
	return out
}

func (b *boltInventory) callsCopy() [][]*wire.AccessChange {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([][]*wire.AccessChange(nil), b.calls...)
}

func (b *boltInventory) close() { _ = b.db.Close() }

// recordingOrders is an OrderHandler that records which instance ran
// which order; an order id that starts with "later-" is deferred once.
type recordingOrders struct {
	instance string
	log      *orderLog
}

type orderLog struct {
	mu       sync.Mutex
	ran      map[string][]string // order id → instances that ran it
	deferred map[string]bool
}

func newOrderLog() *orderLog {
	return &orderLog{ran: map[string][]string{}, deferred: map[string]bool{}}
}

func (r recordingOrders) HandleOrder(ctx context.Context, m *wire.Message) error {
	o := m.Payload.(*wire.Order)
	r.log.mu.Lock()
	defer r.log.mu.Unlock()
	if strings.HasPrefix(o.OrderID, "later-") && !r.log.deferred[o.OrderID] {
		r.log.deferred[o.OrderID] = true
		return Later(50 * time.Millisecond)
	}
	r.log.ran[o.OrderID] = append(r.log.ran[o.OrderID], r.instance)
	return nil
}

// Facts for the tests.

var testT0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// testFact makes fact seq of a site: bindings, link changes and unknown
// circuits in turn.
func testFact(seq uint64) *wire.Message {
	at := testT0.Add(time.Duration(seq) * time.Millisecond)
	m := &wire.Message{Seq: seq, At: at}
	switch seq % 3 {
	case 0:
		m.Payload = &wire.Binding{MAC: fmt.Sprintf("02:00:00:%02x:%02x:%02x", byte(seq>>16), byte(seq>>8), byte(seq)),
			IP: "10.0.0.1", State: "bound", Access: "A" + strconv.FormatUint(seq, 10), FirstSeen: at, LastSeen: at, Since: at}
	case 1:
		m.Payload = &wire.Link{Switch: "192.0.2.1:161", Port: "ge-0/0/" + strconv.FormatUint(seq%48, 10), Link: "UP",
			SpeedMbps: 1000, Since: at, PolledAt: at, Reachable: true, Source: "poll"}
	default:
		m.Payload = &wire.UnknownCircuit{Key: "192.0.2.1 ge-0/0/" + strconv.FormatUint(seq, 10), Reason: "no access",
			Count: 1, FirstSeen: at, LastSeen: at}
	}
	return m
}

func testFacts(from, to uint64) []*wire.Message {
	out := make([]*wire.Message, 0, to-from+1)
	for s := from; s <= to; s++ {
		out = append(out, testFact(s))
	}
	return out
}
