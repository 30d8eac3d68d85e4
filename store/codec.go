package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"hash/crc32"

	bolt "go.etcd.io/bbolt"
)

// The record codec: every value the store writes carries a checksum, so a
// changed byte is an error (DamageError, counted in
// accessd_store_errors_total{kind="checksum"}) and never an answer. bbolt
// checks its meta pages but not the pages of data.
//
// A sealed value is the value's bytes followed by their CRC-32C
// (Castagnoli; hardware-assisted on amd64 and arm64), 4 bytes little
// endian. Every non-empty value of every bucket but meta is sealed:
// records (accesses, bindings, orders, …) and the values of indexes alike
// (an AccessId an Option 82 text maps to is as much an answer as the
// record). Empty values — index entries whose key is the data — stay
// empty: a key has nowhere to carry a checksum. The meta bucket's
// counters are bbolt's own business (its meta pages are checksummed; the
// counters are rebuilt by no one and small).
//
// Code writes values only through seal (put, putJSON, indexes.set,
// appendSealed) and reads them only through open (get, getJSON, openJSON,
// decodeJSON, openRecord, openBinding, …),
// so a new bucket gets its checksum by construction;
// TestEveryValueIsSealed walks every bucket of a populated store and
// fails on a value that is not sealed. See doc.go for how a new record
// type is added.

// sumLen is the length of the checksum trailer.
const sumLen = 4

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// seal returns a new slice holding v and its checksum; an empty v stays
// empty. (bbolt keeps the slice until the commit: a caller's buffer must
// not be appended to.)
func seal(v []byte) []byte {
	if len(v) == 0 {
		return v
	}
	out := make([]byte, len(v), len(v)+sumLen)
	copy(out, v)
	return binary.LittleEndian.AppendUint32(out, crc32.Checksum(v, castagnoli))
}

// sealOwned appends the checksum to v in place when v has room: for a
// buffer just made for this value and not touched again (encodeRecord's).
func sealOwned(v []byte) []byte {
	if len(v) == 0 {
		return v
	}
	return binary.LittleEndian.AppendUint32(v, crc32.Checksum(v, castagnoli))
}

// appendSealed appends v and its checksum to dst (a slab of values that
// live until the commit) and returns dst and the sealed value in it.
func appendSealed(dst, v []byte) ([]byte, []byte) {
	start := len(dst)
	dst = append(dst, v...)
	if len(v) > 0 {
		dst = binary.LittleEndian.AppendUint32(dst, crc32.Checksum(v, castagnoli))
	}
	return dst, dst[start:len(dst):len(dst)]
}

// migrateSealValues appends its checksum to every value of every bucket
// but meta (see above): the values are copied out first, as a Put may move
// the pages a cursor's values point into.
func migrateSealValues(tx *bolt.Tx) error {
	return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
		if string(name) == string(bucketMeta) {
			return nil
		}
		var kvs [][2][]byte
		err := b.ForEach(func(k, v []byte) error {
			if len(v) > 0 {
				kvs = append(kvs, [2][]byte{bytes.Clone(k), seal(v)})
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, kv := range kvs {
			if err := b.Put(kv[0], kv[1]); err != nil {
				return err
			}
		}
		return nil
	})
}

// open checks a sealed value read from bucket at key and returns it
// without its checksum (aliasing v); an empty v is empty.
func open(bucket, key, v []byte) ([]byte, error) {
	if len(v) == 0 {
		return v, nil
	}
	if len(v) < sumLen {
		return nil, damaged(ErrKindChecksum, bucket, key, nil)
	}
	n := len(v) - sumLen
	if binary.LittleEndian.Uint32(v[n:]) != crc32.Checksum(v[:n], castagnoli) {
		return nil, damaged(ErrKindChecksum, bucket, key, nil)
	}
	return v[:n:n], nil
}

// getIn reads the value at k of bucket b, named name: nil when absent.
func getIn(b *bolt.Bucket, name, k []byte) ([]byte, error) {
	v := b.Get(k)
	if v == nil {
		return nil, nil
	}
	return open(name, k, v)
}

// put stores v, sealed, at k in the bucket name of tx.
func put(tx *bolt.Tx, name, k, v []byte) error {
	return tx.Bucket(name).Put(k, seal(v))
}

// get reads the value at k of the bucket name of tx: nil when absent.
func get(tx *bolt.Tx, name, k []byte) ([]byte, error) { return getIn(tx.Bucket(name), name, k) }

// putJSON stores v as JSON, sealed.
func putJSON(tx *bolt.Tx, name, k []byte, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return put(tx, name, k, b)
}

// getJSON decodes the JSON record at k into v; ok is false when there is
// none.
func getJSON(tx *bolt.Tx, name, k []byte, v any) (ok bool, err error) {
	raw := tx.Bucket(name).Get(k)
	if raw == nil {
		return false, nil
	}
	return true, openJSON(name, k, raw, v)
}

// openJSON checks the sealed JSON record raw (read from bucket at key)
// and decodes it into v; one that does not decode is a DamageError too.
func openJSON(bucket, key, raw []byte, v any) error {
	b, err := open(bucket, key, raw)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return damaged(ErrKindDecode, bucket, key, err)
	}
	return nil
}
