package store

import (
	"encoding/binary"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// Bucket and key names. See doc.go for the tree.
var (
	bucketMeta            = []byte("meta")
	bucketAccesses        = []byte("accesses")
	bucketAccessMtime     = []byte("access_mtime")
	bucketAccessOption82  = []byte("access_option82")
	bucketAccessCircuit   = []byte("access_circuit")
	bucketAccessCircuitID = []byte("access_circuit_id")
	bucketAccessRemoteID  = []byte("access_remote_id")

	keySchemaVersion  = []byte("schema_version")
	keyCreated        = []byte("created")
	keyLastStamp      = []byte("last_stamp")
	keyAccessCount    = []byte("access_count")
	keyTombstoneCount = []byte("tombstone_count")
)

// migration brings the file from Version-1 to Version. Migrations run in
// order, each in its own write transaction together with the version bump,
// so a crash leaves the file at a version it can resume from.
type migration struct {
	Version uint64
	Name    string
	Up      func(tx *bolt.Tx) error
}

// migrations is the ordered history of the schema. Append only: never edit
// or reorder a migration that has shipped. Each has a test in
// migrations_test.go that starts from the schema before it.
func migrations() []migration {
	return []migration{
		{1, "create the access buckets", migrateCreateAccessBuckets},
		{2, "index accesses by circuit-id alone and by remote-id alone", migrateSingleSubOptionIndexes},
		{3, "create the order and service buckets", migrateCreateOrderBuckets},
		{4, "create the DHCP binding buckets", migrateCreateBindingBuckets},
		{5, "create the port state buckets", migrateCreatePortBuckets},
		{6, "feed every order state change to ON-API's orderevents", migrateOrderStateFeed},
		{7, "create the change log and the index of sellable and activatable dates", migrateChangeFeed},
		{8, "index the DHCP IP history by access", migrateHistoryByAccess},
		{9, "create the upstream outbox and the Atlas portal's state, index orders by Atlas order id", migrateCreateUpstreamBuckets},
		{10, "seal every value with a CRC-32C checksum", migrateSealValues},
		{11, "create the cluster's buckets: marks of applied facts, link states of the sites, inventory positions", migrateCreateClusterBuckets},
		{12, "drop the index of DHCP bindings by access", migrateDropBindingAccessIndex},
	}
}

// currentSchema is the version Open migrates to.
func currentSchema() uint64 {
	ms := migrations()
	return ms[len(ms)-1].Version
}

func (d *DB) migrate() error {
	var have uint64
	var ready bool // meta and its creation time exist: nothing to write but migrations
	if err := d.bolt.View(func(tx *bolt.Tx) error {
		if m := tx.Bucket(bucketMeta); m != nil && m.Get(keyCreated) != nil {
			have, ready = getUint(m, keySchemaVersion), true
		}
		return nil
	}); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if !ready {
		// A new file (or one from before the creation time was kept):
		// the only write of a start that has nothing to migrate, so that
		// a store opens on a full disk (read-only, see DB.ReadOnly).
		err := d.bolt.Update(func(tx *bolt.Tx) error {
			m, err := tx.CreateBucketIfNotExists(bucketMeta)
			if err != nil {
				return err
			}
			have = getUint(m, keySchemaVersion)
			if m.Get(keyCreated) == nil {
				return putInt(m, keyCreated, d.now().UnixNano())
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("create the store's meta bucket: %w", err)
		}
	}
	if have > currentSchema() {
		return fmt.Errorf("the file is at schema %d, newer than this accessd knows (%d): upgrade accessd or restore a backup", have, currentSchema())
	}
	for _, m := range migrations() {
		if m.Version <= have {
			continue
		}
		err := d.bolt.Update(func(tx *bolt.Tx) error {
			if err := m.Up(tx); err != nil {
				return err
			}
			return putUint(tx.Bucket(bucketMeta), keySchemaVersion, m.Version)
		})
		if err != nil {
			return fmt.Errorf("migration %d (%s): %w", m.Version, m.Name, err)
		}
		d.log.Info("store migrated", "schema", m.Version, "migration", m.Name)
	}
	return nil
}

func migrateCreateAccessBuckets(tx *bolt.Tx) error {
	for _, b := range [][]byte{bucketAccesses, bucketAccessMtime, bucketAccessOption82, bucketAccessCircuit} {
		if _, err := tx.CreateBucketIfNotExists(b); err != nil {
			return err
		}
	}
	return nil
}

// migrateSingleSubOptionIndexes builds access_circuit_id/ and
// access_remote_id/ from the live accesses, so that an option82 lookup that
// carries only one of the two sub-options can be answered by a prefix scan.
func migrateSingleSubOptionIndexes(tx *bolt.Tx) error {
	cb, err := tx.CreateBucketIfNotExists(bucketAccessCircuitID)
	if err != nil {
		return err
	}
	rb, err := tx.CreateBucketIfNotExists(bucketAccessRemoteID)
	if err != nil {
		return err
	}
	return tx.Bucket(bucketAccesses).ForEach(func(k, v []byte) error {
		rec, err := decodeRecord(v)
		if err != nil {
			return fmt.Errorf("access %q: %w", k, err)
		}
		if rec.Removed {
			return nil
		}
		c, r := circuitOf(&rec.Access)
		return putSubOptionIndexes(cb, rb, c, r, rec.AccessID)
	})
}

func getUint(b *bolt.Bucket, k []byte) uint64 {
	v := b.Get(k)
	if len(v) != 8 {
		return 0
	}
	return binary.BigEndian.Uint64(v)
}

func putUint(b *bolt.Bucket, k []byte, v uint64) error {
	return b.Put(k, binary.BigEndian.AppendUint64(nil, v))
}

func getInt(b *bolt.Bucket, k []byte) int64 { return int64(getUint(b, k)) }

func putInt(b *bolt.Bucket, k []byte, v int64) error { return putUint(b, k, uint64(v)) }

func addUint(b *bolt.Bucket, k []byte, delta int) error {
	return putUint(b, k, uint64(int(getUint(b, k))+delta))
}
