package store

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	bolt "go.etcd.io/bbolt"
)

// dump is every key and value of every bucket but meta, as stored.
func dump(t *testing.T, d *DB) map[string]map[string]string {
	t.Helper()
	out := map[string]map[string]string{}
	err := d.view(func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
			if bytes.Equal(name, bucketMeta) {
				return nil
			}
			m := map[string]string{}
			out[string(name)] = m
			return b.ForEach(func(k, v []byte) error { m[string(k)] = string(v); return nil })
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// The buckets the migrations after schema 6 create, and those of them that
// they fill from the data already stored.
var (
	bucketsOfMigration = map[uint64][]string{
		7: {"change_log", "access_dates"},
		8: {"dhcp_history_access"},
		9: {"outbox", "outbox_key", "outbox_latest", "outbox_superseded", "outbox_parked", "outbox_sinks",
			"atlas_portal", "atlas_portal_orders", "order_atlas"},
		11: {"cluster_marks", "cluster_links", "cluster_link_access", "cluster_state", "cluster_inv_external"},
	}
	rebuiltByMigration = map[string]bool{"access_dates": true, "dhcp_history_access": true, "order_atlas": true}
)

// toSchema turns a store file written by this version into what schema v
// wrote: the buckets of later migrations gone, those they dropped back
// (the access index of the bindings before 12), no checksums before the
// sealing one, meta at v.
func toSchema(t *testing.T, path string, v uint64) {
	t.Helper()
	b, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	err = b.Update(func(tx *bolt.Tx) error {
		for m := v + 1; m <= currentSchema(); m++ {
			for _, name := range bucketsOfMigration[m] {
				if err := tx.DeleteBucket([]byte(name)); err != nil {
					return fmt.Errorf("bucket %s: %w", name, err)
				}
			}
		}
		if v < 12 {
			if err := writeBindingAccessIndexV4(tx); err != nil {
				return err
			}
		}
		if v < sealingVersion(t) {
			if err := oldLayout(tx); err != nil {
				return err
			}
		}
		meta := tx.Bucket(bucketMeta)
		if v < 7 {
			for _, k := range [][]byte{keyChangeHorizon, keyUnknownPremises, keyCatalogHash, keyCatalogStamp} {
				if err := meta.Delete(k); err != nil {
					return err
				}
			}
		}
		if v < 9 {
			if err := meta.Delete(keyOutboxBytes); err != nil {
				return err
			}
		}
		return putUint(meta, keySchemaVersion, v)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// A store written at each schema from 6 to the one before the current
// one migrates to the current one: every value it had is sealed and
// reads back as it was written, the indexes the migrations build from the
// data are the ones the running code keeps, and it takes writes.
func TestOldSchemasMigrateAndReadBack(t *testing.T) {
	sealing := sealingVersion(t)
	if sealing != currentSchema() {
		t.Logf("migrations after the sealing one (%d) write sealed values themselves", sealing)
	}
	for v := uint64(6); v < currentSchema(); v++ {
		t.Run(fmt.Sprintf("schema %d", v), func(t *testing.T) {
			c := &clock{t: time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)}
			path := filepath.Join(t.TempDir(), FileName)
			d, err := Open(path, Options{Now: c.now, NoSync: true})
			if err != nil {
				t.Fatal(err)
			}
			populate(t, d)
			want := dump(t, d)
			if err := d.Close(); err != nil {
				t.Fatal(err)
			}
			toSchema(t, path, v)
			for m := v + 1; m <= currentSchema(); m++ {
				for _, name := range bucketsOfMigration[m] {
					if !rebuiltByMigration[name] {
						want[name] = map[string]string{} // written after schema v: the file had none
					}
				}
			}
			d, err = Open(path, Options{Now: c.now, NoSync: true})
			if err != nil {
				t.Fatalf("open at schema %d: %v", v, err)
			}
			defer d.Close()
			if st, _ := d.Stats(); st.Schema != currentSchema() {
				t.Errorf("schema %d after the migrations, want %d", st.Schema, currentSchema())
			}
			if diff := cmp.Diff(want, dump(t, d)); diff != "" {
				t.Errorf("the store after migrating from schema %d (-want +got):\n%s", v, diff)
			}
			checkSealed(t, d)
			readBack(t, d, v)
		})
	}
}

// readBack reads what populate wrote through the views, and writes.
func readBack(t *testing.T, d *DB, v uint64) {
	t.Helper()
	if r, err := d.Inventory().Access("A3"); err != nil || r.Sellable != "2030-01-01" {
		t.Errorf("access A3: %+v, %v", r.Access, err)
	}
	ids, _, n := exportIDs(t, d, time.Time{})
	if diff := cmp.Diff([]string{"A1", "A3"}, ids); diff != "" || n != 2 {
		t.Errorf("export (-want +got):\n%s (count %d)", diff, n)
	}
	if got, _ := accessHistory(t, d, "A1", 0); len(got) != 1 {
		t.Errorf("history of A1: %v", got)
	}
	view(t, d, func(o *OrderTx) error {
		ord, ok, err := o.OrderByAtlas("4711")
		if err != nil || !ok || ord.ID != "o2" {
			t.Errorf("OrderByAtlas(4711) = %s, %v, %v", ord.ID, ok, err)
		}
		s, err := o.ServiceBySubscription("s1")
		if err != nil || s.AccessID != "A1" {
			t.Errorf("service s1: %+v, %v", s, err)
		}
		return nil
	})
	if b, err := d.Bindings().ByMAC(mac(1)); err != nil || b.Access != "A1" {
		t.Errorf("binding: %+v, %v", b, err)
	}
	// populate's two bound clients on A1 (the second one the cluster's).
	if bs, err := d.Bindings().OfAccess("A1"); err != nil || len(bs) != 2 || bs[0].MAC != mac(1) || bs[1].MAC != mac(9) {
		t.Errorf("bindings of A1: %+v, %v", bs, err)
	}
	if _, h, err := d.Ports().Get(pk1, true); err != nil || len(h.Transitions) == 0 {
		t.Errorf("port history: %+v, %v", h, err)
	}
	a, err := d.Changes().Events(EventsOptions{Owner: "sp"})
	if err != nil {
		t.Fatalf("events: %v", err)
	}
	if err := a.Each(func(Change) error { return nil }); err != nil {
		t.Errorf("events: %v", err)
	}
	a.Close()
	pending, err := d.Outbox().Pending("cubit", 0, 10)
	if want := map[bool]int{true: 2, false: 0}[v >= 9]; err != nil || len(pending) != want {
		t.Errorf("outbox pending: %d entries, %v; want %d", len(pending), err, want)
	}
	// It takes writes, sealed.
	mustImport(t, d, ImportOptions{}, acc("A4", "sw1 ge-0/0/4"))
	if err := d.Outbox().Append(OutboxEntry{Sink: "cubit", Key: "k9", IdempotencyKey: "i9", Kind: "plant"}); err != nil {
		t.Errorf("append: %v", err)
	}
	if err := d.AtlasPortal().SetLastCheck("2026-03-02"); err != nil {
		t.Errorf("set last check: %v", err)
	}
	checkSealed(t, d)
	if e := d.Errors(); len(e) != 0 {
		t.Errorf("store errors after the migration: %v", e)
	}
}

// A changed byte in the change log, the outbox, the Atlas portal's state
// or the index of Atlas orders is a DamageError where it is read: an
// answer never leaves out what it cannot read, and the outbox never
// delivers or drops an entry it cannot vouch for.
func TestChangedByteInLaterBuckets(t *testing.T) {
	d, c := openTest(t)
	opened := c.t
	c.t = c.t.Add(5 * time.Second) // the changes after the log's horizon (the store's creation)
	populate(t, d)
	c.t = c.t.Add(5 * time.Second) // and before the answers' cut-off
	var first []byte
	d.view(func(tx *bolt.Tx) error {
		k, _ := tx.Bucket(bucketChangeLog).Cursor().First()
		first = bytes.Clone(k)
		return nil
	})
	flip(t, d, bucketChangeLog, first)
	flip(t, d, bucketOutbox, outboxQueueKey("cubit", 2))
	flip(t, d, bucketOutboxSinks, []byte("cubit"))
	flip(t, d, bucketAtlasPortalOrders, []byte("4711"))
	flip(t, d, bucketAtlasPortal, keyAtlasLastCheck)
	flip(t, d, bucketOrderAtlas, []byte("4711"))
	check := func(what string, err error) {
		t.Helper()
		var de *DamageError
		if !errors.As(err, &de) || !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: %v, want a DamageError", what, err)
		}
	}
	a, err := d.Changes().Events(EventsOptions{Owner: "sp"})
	if err == nil {
		a.Close()
	}
	check("events", err)
	s, err := d.Inventory().Export(ExportOptions{Since: opened, Owner: "sp"})
	if err == nil {
		s.Close()
	}
	check("export of an owner's accesses", err)
	_, err = d.Outbox().Pending("cubit", 0, 10)
	check("outbox pending", err)
	_, err = d.Outbox().Cursor("cubit")
	check("outbox cursor", err)
	check("outbox advance", d.Outbox().Advance("cubit", 2))
	_, _, err = d.AtlasPortal().PortalOrder("4711")
	check("portal order", err)
	_, err = d.AtlasPortal().LastCheck()
	check("last check", err)
	err = d.Orders().View(func(o *OrderTx) error { _, _, err := o.OrderByAtlas("4711"); return err })
	check("order by Atlas id", err)
	if got := d.Errors()[ErrKindChecksum]; got != 8 {
		t.Errorf("accessd_store_errors_total{kind=checksum} = %d, want 8", got)
	}
}
