package store

import (
	"encoding/json"
	"errors"
	"fmt"
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

// Migration 6 fills ON-API's every-state feed from the change log of a
// file written at schema 5: the owner's order events, not service events.
func TestMigration6FeedsEveryOrderStateChange(t *testing.T) {
	path := atSchema(t, 5, func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketOrderEvents)
		for _, ev := range []OrderEvent{
			{Seq: 1, Kind: EventOrderState, OrderID: "o1", Owner: "sp", State: Received},
			{Seq: 2, Kind: EventOrderState, OrderID: "o1", Owner: "sp", State: InProgress},
			{Seq: 3, Kind: EventServiceStarted, OrderID: "o1", Owner: "sp"},
			{Seq: 4, Kind: EventOrderState, OrderID: "o1", Owner: "sp", State: DoneSuccess},
			{Seq: 5, Kind: EventOrderState, OrderID: "o2", Owner: "other", State: Received},
		} {
			v, err := json.Marshal(ev)
			if err != nil {
				return err
			}
			if err := b.Put(u64(ev.Seq), v); err != nil {
				return err
			}
		}
		return b.SetSequence(5)
	})
	d, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	err = d.OrderView(func(o *OrderTx) error {
		evs, err := o.OrderEvents("sp", FeedStates, 0, 0)
		var got []string
		for _, e := range evs {
			got = append(got, fmt.Sprintf("%d %s", e.Seq, e.State))
		}
		if diff := cmp.Diff([]string{"1 RECEIVED", "2 IN_PROGRESS", "4 DONE_SUCCESS"}, got); diff != "" {
			t.Errorf("sp's state feed (-want +got):\n%s", diff)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}
