package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/stadsnat/accessd/store/inventory"
)

// AccessRecord is an access as the store keeps it.
type AccessRecord struct {
	inventory.Access
	Seq      uint64    // change sequence of its latest change
	Created  time.Time // first import
	Modified time.Time // latest change (a stamp, see doc.go)
	Removed  bool      // a tombstone
}

// circuitOf gives the (circuit-id, remote-id) pair an access is found by:
// its dhcpIdentifier, else its Option82 text read with the default key
// template "{remote_id} {circuit_id}" (see doc.go).
func circuitOf(a *inventory.Access) (circuitID, remoteID string) { return a.Circuit() }

func pairKey(circuitID, remoteID string) []byte {
	return appendPairKey(make([]byte, 0, len(circuitID)+1+len(remoteID)), circuitID, remoteID)
}

// appendPairKey appends the key of pairKey to dst.
func appendPairKey(dst []byte, circuitID, remoteID string) []byte {
	dst = append(dst, circuitID...)
	dst = append(dst, 0)
	return append(dst, remoteID...)
}

func mtimeKey(t time.Time, seq uint64) []byte {
	k := make([]byte, 16)
	binary.BigEndian.PutUint64(k, uint64(t.UnixNano()))
	binary.BigEndian.PutUint64(k[8:], seq)
	return k
}

func putSubOptionIndexes(cb, rb *bolt.Bucket, circuitID, remoteID, id string) error {
	return indexes{circuitID: cb, remoteID: rb}.putSubOptions(circuitID, remoteID, id)
}

func (ix indexes) putSubOptions(circuitID, remoteID, id string) error {
	if circuitID != "" {
		if err := ix.set(ix.circuitID, pairKey(circuitID, id), nil); err != nil {
			return err
		}
	}
	if remoteID != "" {
		if err := ix.set(ix.remoteID, pairKey(remoteID, id), nil); err != nil {
			return err
		}
	}
	return nil
}

// indexes are the lookup buckets of one write transaction. With a batch,
// writes are collected and applied sorted by key at flush: bbolt splits
// nodes only at commit, so many random inserts in one transaction would
// each move the whole growing node (quadratic); sorted inserts append.
type indexes struct {
	accesses, mtime, opt82, pair, circuitID, remoteID, meta *bolt.Bucket
	dates, changes                                          *bolt.Bucket
	batch                                                   *writeBatch
}

// set stores v at k, sealed (codec.go).
func (ix indexes) set(b *bolt.Bucket, k, v []byte) error {
	if ix.batch != nil {
		ix.batch.putValue(b, k, v)
		return nil
	}
	return b.Put(k, seal(v))
}

func (ix indexes) del(b *bolt.Bucket, k []byte) error {
	if ix.batch != nil {
		ix.batch.del(b, k)
		return nil
	}
	return b.Delete(k)
}

func openIndexes(tx *bolt.Tx) indexes {
	return indexes{
		accesses:  tx.Bucket(bucketAccesses),
		mtime:     tx.Bucket(bucketAccessMtime),
		opt82:     tx.Bucket(bucketAccessOption82),
		pair:      tx.Bucket(bucketAccessCircuit),
		circuitID: tx.Bucket(bucketAccessCircuitID),
		remoteID:  tx.Bucket(bucketAccessRemoteID),
		meta:      tx.Bucket(bucketMeta),
		dates:     tx.Bucket(bucketAccessDates),
		changes:   tx.Bucket(bucketChangeLog),
	}
}

// unindex removes a live access from the lookup indexes.
func (ix indexes) unindex(a *inventory.Access) error {
	if err := ix.del(ix.opt82, []byte(strings.TrimSpace(a.Option82))); err != nil {
		return err
	}
	c, r := circuitOf(a)
	if err := ix.del(ix.pair, pairKey(c, r)); err != nil {
		return err
	}
	if c != "" {
		if err := ix.del(ix.circuitID, pairKey(c, a.AccessID)); err != nil {
			return err
		}
	}
	if r != "" {
		return ix.del(ix.remoteID, pairKey(r, a.AccessID))
	}
	return nil
}

// index adds a live access to the lookup indexes.
func (ix indexes) index(a *inventory.Access) error {
	id := []byte(a.AccessID)
	if err := ix.set(ix.opt82, []byte(strings.TrimSpace(a.Option82)), id); err != nil {
		return err
	}
	c, r := circuitOf(a)
	if err := ix.set(ix.pair, pairKey(c, r), id); err != nil {
		return err
	}
	return ix.putSubOptions(c, r, a.AccessID)
}

// put writes a record and moves its change-feed entries (see
// indexChange).
func (ix indexes) put(rec *AccessRecord, old *AccessRecord) error {
	if old != nil {
		if err := ix.del(ix.mtime, mtimeKey(old.Modified, old.Seq)); err != nil {
			return err
		}
	}
	if err := ix.indexChange(rec, old); err != nil {
		return err
	}
	if ix.batch != nil {
		var err error
		if ix.batch.scratch, err = appendRecord(ix.batch.scratch[:0], rec); err != nil {
			return err
		}
		ix.batch.putValue(ix.accesses, []byte(rec.AccessID), ix.batch.scratch)
	} else {
		v, err := encodeRecord(rec)
		if err != nil {
			return err
		}
		if err := ix.accesses.Put([]byte(rec.AccessID), sealOwned(v)); err != nil {
			return err
		}
	}
	return ix.set(ix.mtime, mtimeKey(rec.Modified, rec.Seq), []byte(rec.AccessID))
}

// Access returns the live access with the given id; a missing or removed
// access is ErrNotFound.
func (inv Inventory) Access(id string) (AccessRecord, error) {
	var rec AccessRecord
	err := inv.db.view(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketAccesses).Get([]byte(id))
		if v == nil {
			return fmt.Errorf("access %q: %w", id, ErrNotFound)
		}
		var err error
		rec, err = openRecord([]byte(id), v)
		if err == nil && rec.Removed {
			return fmt.Errorf("access %q: removed: %w", id, ErrNotFound)
		}
		return err
	})
	return rec, err
}

// AccessByOption82 finds the live access whose Option82 text is text.
func (inv Inventory) AccessByOption82(text string) (string, error) {
	var id string
	err := inv.db.view(func(tx *bolt.Tx) error {
		k := []byte(strings.TrimSpace(text))
		v, err := get(tx, bucketAccessOption82, k)
		if err != nil {
			return err
		}
		if v == nil {
			return fmt.Errorf("option82 %q: %w", text, ErrNotFound)
		}
		id = string(v)
		return nil
	})
	return id, err
}

// ErrAmbiguous is returned (wrapped) when a lookup matches several accesses.
var ErrAmbiguous = errorString("matches more than one access")

type errorString string

func (e errorString) Error() string { return string(e) }

// AccessByCircuit finds the live access with the given circuit-id and
// remote-id. When only one of the two is given it matches when exactly one
// access has it; several are ErrAmbiguous.
func (inv Inventory) AccessByCircuit(circuitID, remoteID string) (string, error) {
	// The look-ups of the APIs come here under load: an answer of the
	// current generation from the cache (lookupcache.go), the key in a
	// buffer on the stack.
	var kb [160]byte
	a, err := inv.db.lookup(appendCircuitKey(kb[:0], circuitID, remoteID), func(tx *bolt.Tx) (lookupAnswer, error) {
		id, err := accessByCircuit(tx, circuitID, remoteID)
		if err != nil && !errors.Is(err, ErrNotFound) && !errors.Is(err, ErrAmbiguous) {
			return lookupAnswer{}, err
		}
		return lookupAnswer{id: id, err: err}, nil
	})
	if err != nil {
		return "", err
	}
	return a.id, a.err
}

// AccessByCircuitBytes is AccessByCircuit for the sub-options of a parsed
// option 82, as they lie in the packet or request: an answer the cache
// keeps costs no copy of them.
func (inv Inventory) AccessByCircuitBytes(circuitID, remoteID []byte) (string, error) {
	var kb [160]byte
	if a, ok := inv.db.lookups.get(appendCircuitKey(kb[:0], circuitID, remoteID)); ok {
		return a.id, a.err
	}
	return inv.AccessByCircuit(string(circuitID), string(remoteID))
}

// HasAccess reports whether access id is in the inventory and not
// removed (the Atlas bounce URL's visitor, thousands a second), from the
// look-up cache.
func (ov Orders) HasAccess(id string) (bool, error) {
	var kb [80]byte
	a, err := ov.db.lookup(appendAccessKey(kb[:0], id), func(tx *bolt.Tx) (lookupAnswer, error) {
		has, err := (&OrderTx{tx: tx, db: ov.db}).HasAccess(id)
		if !has {
			return lookupAnswer{}, err
		}
		return lookupAnswer{id: id}, err
	})
	return a.id != "", err
}

// accessByCircuit is AccessByCircuit in tx.
func accessByCircuit(tx *bolt.Tx, circuitID, remoteID string) (string, error) {
	var b *bolt.Bucket
	var prefix []byte
	var buf [128]byte
	switch {
	case circuitID == "" && remoteID == "":
		return "", fmt.Errorf("neither circuit-id nor remote-id given: %w", ErrNotFound)
	case circuitID != "" && remoteID != "":
		v, err := get(tx, bucketAccessCircuit, appendPairKey(buf[:0], circuitID, remoteID))
		if err != nil {
			return "", err
		}
		if v != nil {
			return string(v), nil
		}
		return "", circuitErr(circuitID, remoteID, ErrNotFound)
	case circuitID != "":
		b, prefix = tx.Bucket(bucketAccessCircuitID), appendPairKey(buf[:0], circuitID, "")
	default:
		b, prefix = tx.Bucket(bucketAccessRemoteID), appendPairKey(buf[:0], remoteID, "")
	}
	var found string
	c := b.Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		if found != "" {
			return "", circuitErr(circuitID, remoteID, ErrAmbiguous)
		}
		found = string(k[len(prefix):])
	}
	if found == "" {
		return "", circuitErr(circuitID, remoteID, ErrNotFound)
	}
	return found, nil
}

func circuitErr(circuitID, remoteID string, err error) error {
	return fmt.Errorf("circuit-id %q remote-id %q: %w", circuitID, remoteID, err)
}

// CircuitMatch is what the inventory says about one circuit.
type CircuitMatch struct {
	// ByKey is the access whose Option82 text equals the rendered key.
	ByKey string
	// ByPair is the access found by circuit-id and remote-id (see
	// Inventory.AccessByCircuit); PairAmbiguous reports several.
	ByPair        string
	PairAmbiguous bool
	// Generation is the inventory generation the answer belongs to.
	Generation uint64
}

// ResolveCircuit looks a circuit up by its rendered key (the Option82 text
// index) and by its circuit-id / remote-id pair, in one read transaction.
// Empty arguments are not looked up.
func (inv Inventory) ResolveCircuit(key, circuitID, remoteID string) (CircuitMatch, error) {
	var m CircuitMatch
	err := inv.db.view(func(tx *bolt.Tx) error {
		m.Generation = tx.Bucket(bucketAccesses).Sequence()
		if key != "" {
			v, err := get(tx, bucketAccessOption82, []byte(key))
			if err != nil {
				return err
			}
			m.ByKey = string(v)
		}
		if circuitID == "" && remoteID == "" {
			return nil
		}
		id, err := accessByCircuit(tx, circuitID, remoteID)
		switch {
		case err == nil:
			m.ByPair = id
		case errors.Is(err, ErrAmbiguous):
			m.PairAmbiguous = true
		}
		return nil
	})
	return m, err
}

// Changes is a count that grows whenever a write that may change the
// inventory is committed (the look-up generation: the accesses' and the
// services' change sequences), before the write returns to its caller.
// While it stays the same, so does Generation; it costs no transaction,
// so a cache asks Generation again only when Changes moved.
func (inv Inventory) Changes() uint64 { return inv.db.lookups.gen.Load() }

// Generation changes whenever an access is created, changed or
// removed (it is the access change sequence): a cache of circuit look-ups
// is valid while it stays the same.
func (inv Inventory) Generation() (uint64, error) {
	var g uint64
	err := inv.db.view(func(tx *bolt.Tx) error {
		g = tx.Bucket(bucketAccesses).Sequence()
		return nil
	})
	return g, err
}
