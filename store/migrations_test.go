package store

import (
	"bytes"
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

// oldLayout turns what the current writers put into a file at a schema
// before the sealing migration into that schema's layout: it takes the
// checksum off every value of every bucket but meta (codec.go). Call it
// at the end of an atSchema function that wrote with the current code
// (ix.put and the like) and nothing by hand: a value that is not sealed
// is an error.
func oldLayout(tx *bolt.Tx) error {
	return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
		if bytes.Equal(name, bucketMeta) {
			return nil
		}
		var kvs [][2][]byte
		err := b.ForEach(func(k, v []byte) error {
			if len(v) == 0 {
				return nil
			}
			raw, err := open(name, k, v)
			if err != nil {
				return fmt.Errorf("oldLayout: %w", err)
			}
			kvs = append(kvs, [2][]byte{bytes.Clone(k), bytes.Clone(raw)})
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

// sealingVersion is the migration that seals every value.
func sealingVersion(t *testing.T) uint64 {
	t.Helper()
	for _, m := range migrations() {
		if m.Name == "seal every value with a CRC-32C checksum" {
			return m.Version
		}
	}
	t.Fatal("no migration seals the values")
	return 0
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
		return oldLayout(tx)
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
	if id, err := d.Inventory().AccessByCircuit("rl-down", ""); err != nil || id != "A2" {
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
	err = d.Orders().View(func(o *OrderTx) error {
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

// Migration 7 creates the change log with its horizon at the newest change
// the file had, indexes the live accesses' dates and counts the live
// accesses PI V1 cannot show, from a file written at schema 6.
func TestMigration7CreatesTheChangeFeed(t *testing.T) {
	last := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	path := atSchema(t, 6, func(tx *bolt.Tx) error {
		ix := openIndexes(tx)
		u := acc("U1", "s pu")
		u.PremisesType = "UNKNOWN"
		dated := acc("D1", "s pd")
		dated.Sellable, dated.Activatable = "2026-04-01", "2026-05-01"
		gone := acc("G1", "s pg")
		gone.Activatable = "2026-06-01"
		for i, a := range []AccessRecord{{Access: u, Seq: 1}, {Access: dated, Seq: 2}, {Access: gone, Seq: 3, Removed: true}} {
			a.Modified = last.Add(time.Duration(i-2) * time.Hour)
			if err := ix.put(&a, nil); err != nil {
				return err
			}
		}
		if err := putInt(tx.Bucket(bucketMeta), keyCreated, last.Add(-24*time.Hour).UnixNano()); err != nil {
			return err
		}
		if err := putInt(tx.Bucket(bucketMeta), keyLastStamp, last.UnixNano()); err != nil {
			return err
		}
		return oldLayout(tx)
	})
	d, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var dates []string
	var unknown uint64
	var horizon int64
	d.view(func(tx *bolt.Tx) error {
		tx.Bucket(bucketAccessDates).ForEach(func(k, _ []byte) error {
			dates = append(dates, strings.ReplaceAll(string(k), "\x00", "|"))
			return nil
		})
		unknown = getUint(tx.Bucket(bucketMeta), keyUnknownPremises)
		horizon = getInt(tx.Bucket(bucketMeta), keyChangeHorizon)
		if tx.Bucket(bucketChangeLog) == nil {
			t.Error("no change_log bucket")
		}
		return nil
	})
	if diff := cmp.Diff([]string{"20260401|D1", "20260501|D1"}, dates); diff != "" {
		t.Errorf("access_dates (-want +got):\n%s", diff)
	}
	if unknown != 1 || horizon != last.UnixNano() {
		t.Errorf("unknown premises %d, horizon %v; want 1, %v", unknown, time.Unix(0, horizon).UTC(), last)
	}
}

func TestMigration9CreatesTheOutboxAndIndexesAtlasOrders(t *testing.T) {
	path := atSchema(t, 8, func(tx *bolt.Tx) error {
		for i, ord := range []Order{
			{ID: "o1", AccessID: "A1", Owner: "atlas", State: DoneSuccess, Atlas: &AtlasRef{Order: "4711", Customer: "99"}},
			{ID: "o2", AccessID: "A2", Owner: "sp", State: Received},
			{ID: "o3", AccessID: "A1", Owner: "atlas", State: Received, Atlas: &AtlasRef{Order: "4711"}}, // a later one with the same id
		} {
			ord.Seq = uint64(i + 1)
			v, err := json.Marshal(ord)
			if err != nil {
				return err
			}
			if err := tx.Bucket(bucketOrders).Put(u64(ord.Seq), v); err != nil {
				return err
			}
			if err := tx.Bucket(bucketOrderID).Put([]byte(ord.ID), u64(ord.Seq)); err != nil {
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
	d.view(func(tx *bolt.Tx) error {
		for _, b := range append(outboxBuckets(), bucketAtlasPortal, bucketAtlasPortalOrders, bucketOrderAtlas) {
			if tx.Bucket(b) == nil {
				t.Errorf("bucket %s missing", b)
			}
		}
		return nil
	})
	err = d.Orders().View(func(o *OrderTx) error {
		ord, ok, err := o.OrderByAtlas("4711")
		if err != nil || !ok || ord.ID != "o1" {
			t.Errorf("OrderByAtlas(4711) = %s, %v, %v; want the first order, o1", ord.ID, ok, err)
		}
		if _, ok, _ := o.OrderByAtlas("4712"); ok {
			t.Error("an unknown Atlas order was found")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Outbox().Append(OutboxEntry{Sink: "s", Key: "k", IdempotencyKey: "i", Kind: "x"}); err != nil {
		t.Errorf("append after the migration: %v", err)
	}
}
