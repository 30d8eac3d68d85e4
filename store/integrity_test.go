package store

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/stadsnat/accessd/internal/storefile"
)

// populate puts a value into every kind of bucket the store has (and a
// key into every bucket whose values are empty).
func populate(t *testing.T, d *DB) {
	t.Helper()
	dated := acc("A3", "sw1 ge-0/0/3") // access_dates/
	dated.Sellable = "2030-01-01"
	mustImport(t, d, ImportOptions{}, acc("A1", "sw1 ge-0/0/1"), acc("A2", "sw1 ge-0/0/2"), dated)
	if err := d.Inventory().RemoveAccess("A2"); err != nil {
		t.Fatal(err)
	}
	commit(t, d, &BindingCommit{
		Bindings:     []BindingRecord{rec(1, "10.64.0.1", BindingBound, "A1")},
		History:      []BindingInterval{{IP: ip("10.64.0.1"), MAC: mac(1), Access: "A1", Circuit: "k", From: t0, To: t0.Add(time.Hour)}},
		Events:       []BindingEvent{{Kind: "ip-taken-over", Time: t0, MAC: mac(2), IP: ip("10.64.0.1"), PrevMAC: mac(1)}},
		Unknown:      []UnknownCircuit{{Key: "10.0.0.9 ge-0/0/1", Reason: "no access", Count: 1, FirstSeen: t0, LastSeen: t0}},
		LastOption82: []LastOption82{{Access: "A1", Hex: "520401026162", Seen: t0}},
	})
	batch1(t, d, func(o *OrderTx) error {
		ord := newOrder("o1", "sp", "A1", d.now())
		if err := o.CreateOrder(ord, "k1"); err != nil {
			return err
		}
		if err := o.PutService(&Service{SubscriptionID: "s1", AccessID: "A1", UID: "BB", Owner: "sp", OrderID: "o1"}); err != nil {
			return err
		}
		atlas := newOrder("o2", "atlas", "A1", d.now()) // order_atlas/
		atlas.Atlas = &AtlasRef{Order: "4711"}
		if err := o.CreateOrder(atlas, ""); err != nil {
			return err
		}
		atlas.State = DoneSuccess // order_feed/
		return o.UpdateOrder(atlas)
	})
	w := startWriter(t, d)
	w.Submit(PortUpdate{Key: pk1, State: up(tp)})
	w.Submit(PortUpdate{Key: pk1, State: down(tp.Add(time.Minute))})
	syncWriter(t, w)
	populateUpstream(t, d)
	populateCluster(t, d)
}

// populateUpstream fills the outbox's buckets (a key's older state
// superseded, an entry parked) and the Atlas portal's.
func populateUpstream(t *testing.T, d *DB) {
	t.Helper()
	ob := d.Outbox()
	err := ob.Append(OutboxEntry{Sink: "cubit", Key: "plant-1", IdempotencyKey: "i1", Kind: "plant", Payload: []byte(`{"v":1}`)},
		OutboxEntry{Sink: "cubit", Key: "plant-1", IdempotencyKey: "i2", Kind: "plant", Payload: []byte(`{"v":2}`)},
		OutboxEntry{Sink: "cubit", Key: "customer-1", IdempotencyKey: "i3", Kind: "customer", Payload: []byte(`{}`)})
	if err != nil {
		t.Fatal(err)
	}
	es, err := ob.Pending("cubit", 0, 10)
	if err != nil || len(es) != 3 {
		t.Fatalf("pending %v, %v", es, err)
	}
	if err := ob.Park(OutboxParked{OutboxEntry: es[2], Error: "HTTP 400", Parked: d.now()}); err != nil {
		t.Fatal(err)
	}
	ap := d.AtlasPortal()
	if err := ap.SetLastCheck("2026-03-01"); err != nil {
		t.Fatal(err)
	}
	if err := ap.PutPortalOrder(PortalOrder{ID: "4711", LocalOrder: "o2", Portal: "received", Updated: d.now()}); err != nil {
		t.Fatal(err)
	}
}

// keyOnlyBuckets are the buckets whose values are always empty: their
// keys are the data (indexes), and have nowhere to carry a checksum.
var keyOnlyBuckets = map[string]bool{
	"access_circuit_id": true, "access_remote_id": true, "access_dates": true,
	"order_access": true, "order_owner": true, "order_open": true, "order_due": true, "order_feed": true,
	"order_state_feed": true, "order_history": true, "service_owner": true,
	"dhcp_history_to": true, "dhcp_history_access": true,
	"outbox_key": true,
}

// Every non-empty value of every bucket but meta carries its CRC-32C: a
// bucket added later whose values are written past seal fails here
// (populate must then put a value into it).
func TestEveryValueIsSealed(t *testing.T) {
	d, _ := openTest(t)
	populate(t, d)
	sealed, keys := checkSealed(t, d)
	for _, b := range []string{"accesses", "access_mtime", "access_option82", "access_circuit", "dhcp_bindings", "dhcp_binding_ip",
		"dhcp_history", "dhcp_events", "dhcp_unknown_circuits", "dhcp_last_option82", "orders", "order_id", "order_key",
		"order_events", "order_stats", "services", "service_sub", "ports", "port_history",
		"change_log", "order_atlas", "outbox", "outbox_latest", "outbox_superseded", "outbox_parked", "outbox_sinks",
		"atlas_portal", "atlas_portal_orders",
		"cluster_marks", "cluster_links", "cluster_link_access", "cluster_state", "cluster_inv_external"} {
		if sealed[b] == 0 {
			t.Errorf("bucket %s has no sealed value (populate does not reach it, or it was renamed)", b)
		}
	}
	// Every bucket the store has, also one added later: populate must
	// reach it, and its values (unless its keys are all it holds) must be
	// sealed.
	for b := range sealed {
		switch {
		case keys[b] == 0:
			t.Errorf("bucket %s is empty: populate does not reach it", b)
		case sealed[b] == 0 && !keyOnlyBuckets[b]:
			t.Errorf("bucket %s has no sealed value (populate does not reach it); if its values are always empty, list it in keyOnlyBuckets", b)
		case sealed[b] > 0 && keyOnlyBuckets[b]:
			t.Errorf("bucket %s is listed as holding keys only but has values", b)
		}
	}
	t.Logf("sealed values per bucket: %v", sealed)
}

// checkSealed fails the test on a value of any bucket but meta that is
// not sealed, and counts, per bucket, the sealed values and the keys.
func checkSealed(t *testing.T, d *DB) (sealed, keys map[string]int) {
	t.Helper()
	sealed, keys = map[string]int{}, map[string]int{}
	err := d.view(func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
			if bytes.Equal(name, bucketMeta) {
				return nil
			}
			sealed[string(name)] += 0
			return b.ForEach(func(k, v []byte) error {
				keys[string(name)]++
				if len(v) == 0 {
					return nil
				}
				if _, err := open(name, k, v); err != nil {
					return fmt.Errorf("bucket %s: %w", name, err)
				}
				sealed[string(name)]++
				return nil
			})
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return sealed, keys
}

// flip changes one byte of the value at key in bucket, behind the
// store's back, as a failing disk would.
func flip(t *testing.T, d *DB, bucket, key []byte) {
	t.Helper()
	err := d.bolt.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucket)
		v := bytes.Clone(b.Get(key))
		if len(v) == 0 {
			return fmt.Errorf("no value at %s/%q", bucket, key)
		}
		v[len(v)/2] ^= 0x20
		return b.Put(key, v)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// A changed byte in a record is a DamageError, counted by kind, for every
// way the record is read; never the changed value.
func TestChangedByteIsAnError(t *testing.T) {
	d, _ := openTest(t)
	populate(t, d)
	flip(t, d, bucketAccesses, []byte("A1"))
	flip(t, d, bucketAccessOption82, []byte("sw1 ge-0/0/1"))
	flip(t, d, bucketOrders, u64(1))
	m1 := mac(1)
	flip(t, d, bucketBindings, m1[:])
	var de *DamageError
	check := func(what string, err error) {
		t.Helper()
		if !errors.As(err, &de) || de.Kind != ErrKindChecksum || !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: %v, want a checksum DamageError", what, err)
		}
	}
	_, err := d.Inventory().Access("A1")
	check("Access", err)
	_, err = d.Inventory().AccessByOption82("sw1 ge-0/0/1")
	check("AccessByOption82", err)
	snap, err := d.Inventory().Accesses(time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	check("export", snap.Each(func(*AccessRecord) error { return nil }))
	snap.Close()
	err = d.Orders().View(func(o *OrderTx) error { _, err := o.Order("o1"); return err })
	check("Order", err)
	_, err = d.Bindings().ByMAC(mac(1))
	check("ByMAC", err)
	if got := d.Errors()[ErrKindChecksum]; got != 5 {
		t.Errorf("accessd_store_errors_total{kind=checksum} = %d, want 5", got)
	}
	if !strings.Contains(de.Error(), "restore a backup") || de.PublicStatus() != 500 {
		t.Errorf("the error does not say what to do: %v", de)
	}
}

// A new store and a reopened one meet no error.
func TestNewStoreHasNoErrors(t *testing.T) {
	path := filepath.Join(t.TempDir(), FileName)
	storeAt(t, path)
	var logs strings.Builder
	d, err := Open(path, Options{NoSync: true, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if e := d.Errors(); len(e) != 0 || strings.Contains(logs.String(), "level=ERROR") {
		t.Errorf("errors %v, log:\n%s", e, logs.String())
	}
	fresh, err := Open(filepath.Join(t.TempDir(), FileName), Options{NoSync: true, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer fresh.Close()
	if e := fresh.Errors(); len(e) != 0 || strings.Contains(logs.String(), "level=ERROR") {
		t.Errorf("a new store: errors %v, log:\n%s", e, logs.String())
	}
}

// The sealing migration seals the values of a file written before
// checksums.
func TestSealingMigrationSealsValues(t *testing.T) {
	path := atSchema(t, sealingVersion(t)-1, func(tx *bolt.Tx) error {
		rec := AccessRecord{Access: acc("A1", "sw1 ge-0/0/1"), Seq: 1, Created: t0, Modified: t0}
		v, err := encodeRecord(&rec)
		if err != nil {
			return err
		}
		if err := tx.Bucket(bucketAccesses).Put([]byte("A1"), v); err != nil {
			return err
		}
		if err := tx.Bucket(bucketAccessOption82).Put([]byte("sw1 ge-0/0/1"), []byte("A1")); err != nil {
			return err
		}
		if err := putUint(tx.Bucket(bucketMeta), keyAccessCount, 1); err != nil {
			return err
		}
		return tx.Bucket(bucketOrders).Put(u64(1), []byte(`{"id":"o1","accessId":"A1","state":"RECEIVED"}`))
	})
	d, err := Open(path, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if r, err := d.Inventory().Access("A1"); err != nil || r.StreetName != "Testvägen" {
		t.Errorf("access after the migration: %+v, %v", r, err)
	}
	if id, err := d.Inventory().AccessByOption82("sw1 ge-0/0/1"); err != nil || id != "A1" {
		t.Errorf("option82 index after the migration: %q, %v", id, err)
	}
	err = d.Orders().View(func(o *OrderTx) error {
		ord, err := o.orderAt(u64(1))
		if err == nil && ord.ID != "o1" {
			err = fmt.Errorf("order %+v", ord)
		}
		return err
	})
	if err != nil {
		t.Errorf("order after the migration: %v", err)
	}
}

// storeAt makes a store with data at path and closes it (leaving its
// marker), returning the file's bytes.
func storeAt(t *testing.T, path string) []byte {
	t.Helper()
	d, err := Open(path, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	in := make([]Incoming, 0, 300)
	for i := range 300 {
		in = append(in, Incoming{Access: acc(fmt.Sprintf("A%d", i), fmt.Sprintf("sw1 ge-0/0/%d", i))})
	}
	if _, err := d.Inventory().Import(in, ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// A damaged file is refused with an error that says what to do, and a
// missing or emptied one where the marker says a store was is refused
// too; a damaged meta page and a transaction that went back are logged
// loudly and counted.
func TestOpenChecksTheFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), FileName)
	good := storeAt(t, path)
	info, err := storefile.Check(path)
	if err != nil {
		t.Fatal(err)
	}
	ps := int(info.Meta[0].PageSize)
	for _, tc := range []struct {
		name string
		file []byte // nil: removed
		want string
	}{
		{"truncated", good[:4*ps], "it was cut short"},
		{"zeroed", make([]byte, len(good)), "neither meta page is valid"},
		{"emptied", []byte{}, "accessd does not start empty over it"},
		{"removed", nil, "accessd does not start empty over it"},
	} {
		os.Remove(path)
		if tc.file != nil {
			os.WriteFile(path, tc.file, 0o600)
		}
		_, err := Open(path, Options{NoSync: true})
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "accessctl restore") {
			t.Errorf("%s: %v, want an error saying %q and what to do", tc.name, err, tc.want)
		}
	}
	// The newest meta page damaged: bbolt opens at the older one.
	bad := append([]byte(nil), good...)
	bad[info.Current*ps+16+48] ^= 0xff
	os.WriteFile(path, bad, 0o600)
	var logs strings.Builder
	d, err := Open(path, Options{NoSync: true, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatalf("a damaged meta page: %v", err)
	}
	defer d.Close()
	if e := d.Errors(); e[ErrKindMeta] != 1 || e[ErrKindRollback] != 1 {
		t.Errorf("errors %v, want one meta and one rollback", e)
	}
	if !strings.Contains(logs.String(), "STORE DAMAGED") || !strings.Contains(logs.String(), "STORE ROLLED BACK") {
		t.Errorf("no loud log lines:\n%s", logs.String())
	}
}
