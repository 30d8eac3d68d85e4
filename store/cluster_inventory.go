package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// The inventory in a cluster: a hub publishes the changes of its own
// imports (InventoryBatches, read from the access change feed after the
// position it published up to), an edge applies the hub's batches
// (ApplyInventory) and refuses imports of its own (SetFollowing).

// FollowingError is the answer of every import path of an edge: its
// inventory is the hub's.
type FollowingError struct {
	Hub string
}

func (e *FollowingError) Error() string {
	return fmt.Sprintf("this accessd is an edge of the hub %q: its inventory comes from the hub, import at the hub instead (nothing imported)", e.Hub)
}

// SetFollowing makes Import and RemoveAccess refuse with a *FollowingError
// naming hub ("" lifts it). Only Cluster.ApplyInventory then changes the
// inventory.
func (inv Inventory) SetFollowing(hub string) {
	if hub == "" {
		inv.db.following.Store(nil)
		return
	}
	inv.db.following.Store(&hub)
}

func (d *DB) followingError() error {
	if h := d.following.Load(); h != nil {
		return &FollowingError{Hub: *h}
	}
	return nil
}

// InventoryMark is the inventory stream position this box applied up to
// (0: none).
func (c Cluster) InventoryMark() (uint64, error) {
	var m uint64
	err := c.db.view(func(tx *bolt.Tx) error {
		var err error
		m, err = getSealedUint(tx, bucketClusterState, keyInventoryMark)
		return err
	})
	return m, err
}

// ApplyInventory applies one batch of the hub's inventory in one
// transaction with the mark: the accesses in (validated, created or
// updated with the import's rules: unique AccessIds, Option82 texts and
// circuits; stored plants kept) and the removal of the accesses named in
// removed (those not live are skipped). On a conflict nothing changes
// and the error is a *ConflictError. With external, the change sequences
// it writes are recorded as not this box's own, so a hub instance does
// not publish again what it applied from another (InventoryBatches).
func (c Cluster) ApplyInventory(in []Incoming, removed []string, mark uint64, external bool) (ImportSummary, error) {
	var sum ImportSummary
	err := c.db.update(func(tx *bolt.Tx) error {
		acc := tx.Bucket(bucketAccesses)
		first := acc.Sequence() + 1
		sum = ImportSummary{}
		if len(in) > 0 {
			var err error
			if sum, err = c.db.Inventory().importTx(tx, &in, ImportOptions{}); err != nil {
				return err
			}
		}
		if len(removed) > 0 {
			stamp := c.db.stamp()
			for _, id := range removed {
				_, err := removeTx(c.db, tx, id, stamp)
				if errors.Is(err, ErrNotFound) {
					continue
				}
				if err != nil {
					return err
				}
				sum.Removed++
			}
			if err := c.db.commitStamp(tx.Bucket(bucketMeta), stamp, tx); err != nil {
				return err
			}
		}
		if last := acc.Sequence(); external && last >= first {
			if err := put(tx, bucketClusterInvExternal, u64(first), u64(last)); err != nil {
				return err
			}
		}
		return put(tx, bucketClusterState, keyInventoryMark, u64(mark))
	})
	return sum, err
}

// InventoryRefusal is a batch of the hub's inventory this box refused:
// it did not pass the import's checks here.
type InventoryRefusal struct {
	At       time.Time `json:"at"`
	Mark     uint64    `json:"mark"`    // the stream position it ended at
	Changes  int       `json:"changes"` // accesses in the batch
	Problems []string  `json:"problems"`
	// Refused counts the batches refused so far.
	Refused uint64 `json:"refused"`
}

// RefuseInventory records a refused batch and moves the mark past it, in
// one transaction: the box goes on with the next batches and keeps the
// refusal for its status.
func (c Cluster) RefuseInventory(mark uint64, r InventoryRefusal) error {
	return c.db.update(func(tx *bolt.Tx) error {
		var prev InventoryRefusal
		if _, err := getJSON(tx, bucketClusterState, keyInventoryRefused, &prev); err != nil {
			// A damaged count restarts: the refusal itself matters more.
			prev = InventoryRefusal{}
		}
		r.Refused = prev.Refused + 1
		if err := putJSON(tx, bucketClusterState, keyInventoryRefused, r); err != nil {
			return err
		}
		return put(tx, bucketClusterState, keyInventoryMark, u64(mark))
	})
}

// LastInventoryRefusal is the last refused batch; found is false when none
// was.
func (c Cluster) LastInventoryRefusal() (r InventoryRefusal, found bool, err error) {
	err = c.db.view(func(tx *bolt.Tx) error {
		var err error
		found, err = getJSON(tx, bucketClusterState, keyInventoryRefused, &r)
		return err
	})
	return r, found, err
}

// InventoryBatch is one batch of this box's own inventory changes: the
// changes that share a change stamp (one import or removal, or several
// that got the same stamp), the newest of each access.
type InventoryBatch struct {
	// Seq is the highest change sequence of the batch: its number.
	Seq     uint64
	Changes []AccessRecord // Removed for a removal
	// End is the feed position after the batch (SetInventoryPublished).
	End []byte
}

// InventoryBatches returns the batches after the position published up
// to, oldest first, until they hold at least limit changes (a batch is
// never split). Changes this box applied from another box's batches
// (ApplyInventory with external) are left out.
func (c Cluster) InventoryBatches(limit int) ([]InventoryBatch, error) {
	var out []InventoryBatch
	err := c.db.view(func(tx *bolt.Tx) error {
		after, err := get(tx, bucketClusterState, keyInventoryPublished)
		if err != nil {
			return err
		}
		ext, err := externalRanges(tx)
		if err != nil {
			return err
		}
		acc := tx.Bucket(bucketAccesses)
		cur := tx.Bucket(bucketAccessMtime).Cursor()
		k, id := cur.First()
		if after != nil {
			k, id = cur.Seek(after)
			if k != nil && bytes.Equal(k, after) {
				k, id = cur.Next()
			}
		}
		n := 0
		var b *InventoryBatch
		for ; k != nil; k, id = cur.Next() {
			if len(k) != 16 {
				return fmt.Errorf("access change feed key %x: %w", k, ErrCorrupt)
			}
			stamp, seq := k[:8], binary.BigEndian.Uint64(k[8:])
			if b == nil || !bytes.Equal(b.End[:8], stamp) {
				if n >= limit {
					break
				}
				out = append(out, InventoryBatch{})
				b = &out[len(out)-1]
			}
			b.End = bytes.Clone(k)
			if ext.holds(seq) {
				continue
			}
			accID, err := open(bucketAccessMtime, k, id)
			if err != nil {
				return err
			}
			rec, err := openRecord(accID, acc.Get(accID))
			if err != nil {
				return fmt.Errorf("access %q: %w", accID, err)
			}
			b.Changes = append(b.Changes, rec)
			b.Seq = max(b.Seq, seq)
			n++
		}
		return nil
	})
	return out, err
}

// SetInventoryPublished records that the batches up to end are published
// and forgets the external ranges before it.
func (c Cluster) SetInventoryPublished(end []byte) error {
	if len(end) != 16 {
		return fmt.Errorf("inventory published position %x: not a feed key", end)
	}
	return c.db.update(func(tx *bolt.Tx) error {
		if err := put(tx, bucketClusterState, keyInventoryPublished, end); err != nil {
			return err
		}
		seq := binary.BigEndian.Uint64(end[8:])
		eb := tx.Bucket(bucketClusterInvExternal)
		var gone [][]byte
		cur := eb.Cursor()
		for k, v := cur.First(); k != nil; k, v = cur.Next() {
			last, err := open(bucketClusterInvExternal, k, v)
			if err != nil {
				return err
			}
			if len(last) != 8 || binary.BigEndian.Uint64(last) >= seq {
				break
			}
			gone = append(gone, bytes.Clone(k))
		}
		for _, k := range gone {
			if err := eb.Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
}

// seqRanges are closed ranges of change sequences.
type seqRanges [][2]uint64

func externalRanges(tx *bolt.Tx) (seqRanges, error) {
	var rs seqRanges
	err := tx.Bucket(bucketClusterInvExternal).ForEach(func(k, v []byte) error {
		last, err := open(bucketClusterInvExternal, k, v)
		if err != nil {
			return err
		}
		if len(k) == 8 && len(last) == 8 {
			rs = append(rs, [2]uint64{binary.BigEndian.Uint64(k), binary.BigEndian.Uint64(last)})
		}
		return nil
	})
	return rs, err
}

// getSealedUint reads the sealed 8-byte counter at k of bucket name; 0
// when absent.
func getSealedUint(tx *bolt.Tx, name, k []byte) (uint64, error) {
	v, err := get(tx, name, k)
	if err != nil || v == nil {
		return 0, err
	}
	if len(v) != 8 {
		return 0, damaged(ErrKindDecode, name, k, fmt.Errorf("%d bytes, want 8", len(v)))
	}
	return binary.BigEndian.Uint64(v), nil
}

func (rs seqRanges) holds(seq uint64) bool {
	for _, r := range rs {
		if seq >= r[0] && seq <= r[1] {
			return true
		}
	}
	return false
}
