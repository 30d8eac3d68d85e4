package store

import (
	"encoding/binary"
	"fmt"
	"sync"
	"sync/atomic"

	bolt "go.etcd.io/bbolt"
)

// lookupCacheSize bounds the answers lookupCache keeps: about 100 bytes
// each, so at most ~6.5 MB; a full cache starts again empty.
const lookupCacheSize = 1 << 16

// viewCacheSize bounds the accesses with their services (AccessServices)
// among them: about 1 KB each, so at most ~4 MB.
const viewCacheSize = 1 << 12

// lookupCache keeps the answers of Inventory.AccessByCircuit — the
// option82 and dhcplookup look-ups of the APIs, thousands a second — and
// of Orders.HasAccess and Orders.AccessServices (Atlas's bounce URL and
// port_status), for one look-up generation (generationIn: the accesses'
// and the services' change sequences), so a repeated look-up needs no
// read transaction. The generation is read in the
// transaction that made an answer, and committed is told the generation
// of every write transaction once it is committed (before the write
// returns to its caller), so an answer is given only while no access has
// changed since it was read: a look-up after an import returns sees the
// import.
type lookupCache struct {
	gen atomic.Uint64 // the committed generation

	mu    sync.RWMutex
	at    uint64 // the generation of m's answers
	m     map[string]lookupAnswer
	views int // answers in m with a view
}

type lookupAnswer struct {
	id  string
	err error // nil, or wrapping ErrNotFound or ErrAmbiguous
	// view is an access and its services (Orders.AccessServices).
	view *AccessServices
}

// committed records the generation a committed write transaction left.
// Generations only grow, but bbolt runs commit handlers after it lets
// the next writer in, so two may come in either order: the larger wins.
func (c *lookupCache) committed(gen uint64) {
	for {
		old := c.gen.Load()
		if gen <= old || c.gen.CompareAndSwap(old, gen) {
			return
		}
	}
}

// get returns the kept answer for the pair key k, if any.
func (c *lookupCache) get(k []byte) (lookupAnswer, bool) {
	g := c.gen.Load()
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.at != g || c.m == nil {
		return lookupAnswer{}, false
	}
	a, ok := c.m[string(k)]
	return a, ok
}

// put keeps an answer read in a transaction of generation gen, unless a
// later write has been committed since.
func (c *lookupCache) put(gen uint64, k []byte, a lookupAnswer) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen.Load() {
		return
	}
	if c.at != gen || c.m == nil || len(c.m) >= lookupCacheSize {
		c.m = make(map[string]lookupAnswer, 64)
		c.at = gen
		c.views = 0
	}
	if a.view != nil {
		if c.views >= viewCacheSize {
			return // the first ones asked stay: a scan of every access does not hold them all
		}
		c.views++
	}
	c.m[string(k)] = a
}

// lookup answers key k from the cache of the current generation, else
// runs read in one read transaction (begun and ended here: no closure for
// View to keep) and keeps what it gives, labelled with that transaction's
// generation. read returns the answer to keep — a negative one too, with
// its ErrNotFound or ErrAmbiguous in err — or an error, which is returned
// and not kept. The one protocol of every cached look-up.
func (d *DB) lookup(k []byte, read func(tx *bolt.Tx) (lookupAnswer, error)) (lookupAnswer, error) {
	if a, ok := d.lookups.get(k); ok {
		return a, nil
	}
	tx, err := d.bolt.Begin(false)
	if err != nil {
		return lookupAnswer{}, fmt.Errorf("begin read: %w", err)
	}
	defer tx.Rollback()
	a, err := read(tx)
	d.noteErr(err)
	if err != nil {
		return lookupAnswer{}, err
	}
	d.lookups.put(generationIn(tx), k, a)
	return a, nil
}

// The keys of the look-ups, kept apart by their first byte: 'c' a
// circuit pair (the circuit-id's length first, so that the pair is
// unambiguous), 'a' an access id's existence, 'p' an access with its
// services.
func appendCircuitKey[T string | []byte](k []byte, circuitID, remoteID T) []byte {
	k = binary.AppendUvarint(append(k, 'c'), uint64(len(circuitID)))
	return append(append(k, circuitID...), remoteID...)
}

func appendAccessKey(k []byte, id string) []byte { return append(append(k, 'a'), id...) }

func appendServicesKey(k []byte, id string) []byte { return append(append(k, 'p'), id...) }

// generationIn is the look-up generation tx reads: the accesses' change
// sequence plus the services' (PutService and EndService bump it). Both
// only grow, so the sum grows whenever either does.
func generationIn(tx *bolt.Tx) uint64 {
	g := tx.Bucket(bucketAccesses).Sequence()
	if b := tx.Bucket(bucketServices); b != nil {
		g += b.Sequence()
	}
	return g
}
