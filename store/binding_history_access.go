package store

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"slices"

	bolt "go.etcd.io/bbolt"
)

// bucketHistoryAccess indexes the IP history by access (see doc.go):
// AccessId 0x00 from(8) | IP(4) | MAC(6) ⇒ ∅, written and purged with
// dhcp_history, so "which IPs and MACs were on this access" is a prefix
// scan.
var bucketHistoryAccess = []byte("dhcp_history_access")

// historyAccessKey is the access index key of an interval with an access.
func historyAccessKey(iv *BindingInterval) []byte {
	k := make([]byte, 0, len(iv.Access)+1+intervalKeyLen)
	k = append(k, iv.Access...)
	k = append(k, 0)
	k = binary.BigEndian.AppendUint64(k, uint64(iv.From.UnixNano()))
	ip := iv.IP.As4()
	k = append(k, ip[:]...)
	return append(k, iv.MAC[:]...)
}

// historyKeyOfAccessKey turns the tail of an access index key (from | IP
// | MAC) back into the dhcp_history key (IP | from | MAC).
func historyKeyOfAccessKey(tail []byte) ([]byte, bool) {
	if len(tail) != intervalKeyLen {
		return nil, false
	}
	k := make([]byte, 0, intervalKeyLen)
	k = append(k, tail[8:12]...)
	k = append(k, tail[:8]...)
	return append(k, tail[12:]...), true
}

// putHistoryAccess indexes a stored interval by its access.
func putHistoryAccess(b *bolt.Bucket, iv *BindingInterval) error {
	if iv.Access == "" {
		return nil
	}
	return b.Put(historyAccessKey(iv), nil)
}

// unindexHistoryAccess removes the access index entry of the interval
// stored under history key k with value v (before it is deleted).
func unindexHistoryAccess(b *bolt.Bucket, k, v []byte) error {
	if v == nil {
		return nil
	}
	iv, err := openInterval(k, v)
	if err != nil || iv.Access == "" {
		return nil // a damaged interval has no usable index entry
	}
	return b.Delete(historyAccessKey(&iv))
}

// HistoryOfAccess returns the closed intervals seen on an access (which
// IPs and MACs it had, and when), the newest limit of them (limit ≤ 0:
// all) in time order, and whether older ones were left out. The open
// intervals of the access's active bindings are not history: ask the live
// bindings for them.
func (bv Bindings) HistoryOfAccess(access string, limit int) (ivs []BindingInterval, more bool, err error) {
	if access == "" || bytes.IndexByte([]byte(access), 0) >= 0 {
		return nil, false, fmt.Errorf("history of access %q: not an AccessId", access)
	}
	prefix := append([]byte(access), 0)
	err = bv.db.view(func(tx *bolt.Tx) error {
		h := tx.Bucket(bucketBindingHistory)
		c := tx.Bucket(bucketHistoryAccess).Cursor()
		k, _ := c.Seek(append([]byte(access), 1))
		if k == nil {
			k, _ = c.Last()
		} else {
			k, _ = c.Prev()
		}
		for ; k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Prev() {
			hk, ok := historyKeyOfAccessKey(k[len(prefix):])
			if !ok {
				return fmt.Errorf("%w: history access key of %d bytes", ErrCorrupt, len(k))
			}
			v := h.Get(hk)
			if v == nil {
				continue // purged in an older version without the index
			}
			iv, err := openInterval(hk, v)
			if err != nil {
				return err
			}
			if iv.Access != access {
				continue
			}
			if limit > 0 && len(ivs) == limit {
				more = true
				break
			}
			ivs = append(ivs, iv)
		}
		return nil
	})
	if err != nil {
		return nil, false, fmt.Errorf("history of access %s: %w", access, err)
	}
	slices.Reverse(ivs)
	return ivs, more, nil
}

// migrateHistoryByAccess creates dhcp_history_access/ and indexes the
// history already stored.
func migrateHistoryByAccess(tx *bolt.Tx) error {
	b, err := tx.CreateBucketIfNotExists(bucketHistoryAccess)
	if err != nil {
		return err
	}
	h := tx.Bucket(bucketBindingHistory)
	if h == nil {
		return fmt.Errorf("bucket %s missing", bucketBindingHistory)
	}
	return h.ForEach(func(k, v []byte) error {
		iv, err := decodeInterval(k, v)
		if err != nil {
			return nil // a damaged interval stays unindexed, as it is unreadable
		}
		return putHistoryAccess(b, &iv)
	})
}
