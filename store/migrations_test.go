package store

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	bolt "go.etcd.io/bbolt"
)

// atSchema makes a store file migrated only up to version v, with fn run
// in a transaction to put data in the old layout.
func atSchema(t *testing.T, v uint64, fn func(tx *bolt.Tx) error) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), FileName)
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Update(func(tx *bolt.Tx) error {
		m, err := tx.CreateBucketIfNotExists(bucketMeta)
		if err != nil {
			return err
		}
		putInt(m, keyCreated, time.Now().UnixNano())
		for _, mg := range migrations() {
			if mg.Version > v {
				break
			}
			if err := mg.Up(tx); err != nil {
				return err
			}
		}
		if err := putUint(m, keySchemaVersion, v); err != nil {
			return err
		}
		if fn != nil {
			return fn(tx)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return path
}

// Versions run 1, 2, 3, … with no gap or repeat: take the next free number
// when adding one.
func TestMigrationsAreOrdered(t *testing.T) {
	for i, m := range migrations() {
		if m.Version != uint64(i+1) {
			t.Errorf("migration %d (%s) has version %d, want %d", i, m.Name, m.Version, i+1)
		}
	}
}

func TestMigration1CreatesAccessBuckets(t *testing.T) {
	path := atSchema(t, 0, nil)
	d, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	d.view(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketAccesses, bucketAccessMtime, bucketAccessOption82, bucketAccessCircuit} {
			if tx.Bucket(b) == nil {
				t.Errorf("bucket %s missing", b)
			}
		}
		return nil
	})
}

// Migration 2 builds the single-sub-option indexes from accesses stored
// under schema 1, skipping tombstones.
func TestMigration2IndexesSubOptionsAlone(t *testing.T) {
	path := atSchema(t, 1, func(tx *bolt.Tx) error {
		ix := indexes{accesses: tx.Bucket(bucketAccesses), mtime: tx.Bucket(bucketAccessMtime),
			opt82: tx.Bucket(bucketAccessOption82), pair: tx.Bucket(bucketAccessCircuit)}
		for i, a := range []AccessRecord{
			{Access: acc("A1", "10.0.0.1 ge-0/0/1"), Seq: 1},
			{Access: acc("A2", "rl-down"), Seq: 2},
			{Access: acc("A3", "10.0.0.1 ge-0/0/3"), Seq: 3, Removed: true},
		} {
			a.Modified = time.Unix(int64(i), 0)
			if err := ix.put(&a, nil); err != nil {
				return err
			}
		}
		return nil
	})
	d, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var got []string
	d.view(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketAccessCircuitID, bucketAccessRemoteID} {
			tx.Bucket(b).ForEach(func(k, _ []byte) error {
				got = append(got, string(b)+": "+strings.ReplaceAll(string(k), "\x00", "|"))
				return nil
			})
		}
		return nil
	})
	want := []string{
		"access_circuit_id: ge-0/0/1|A1",
		"access_circuit_id: rl-down|A2",
		"access_remote_id: 10.0.0.1|A1",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("indexes after migration 2 (-want +got):\n%s", diff)
	}
	if id, err := d.AccessByCircuit("rl-down", ""); err != nil || id != "A2" {
		t.Errorf("AccessByCircuit(rl-down) = %q, %v", id, err)
	}
}

func TestNewerSchemaRefused(t *testing.T) {
	path := atSchema(t, currentSchema(), func(tx *bolt.Tx) error {
		return putUint(tx.Bucket(bucketMeta), keySchemaVersion, currentSchema()+1)
	})
	_, err := Open(path, Options{})
	if err == nil || !strings.Contains(err.Error(), "newer than this accessd knows") {
		t.Errorf("Open of a newer schema = %v", err)
	}
	if errors.Is(err, ErrNotFound) {
		t.Error("wrong error kind")
	}
}
