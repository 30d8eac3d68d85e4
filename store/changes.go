package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/stadsnat/accessd/store/inventory"
)

// The change feed beyond the accesses' own mtime index (see doc.go,
// "Change feed"): the change log of accesses, orders and subscriptions
// that ON-API's events/ answers from, the index of the dates on which
// accesses become sellable or activatable, and the catalogue's stamp.
var (
	bucketChangeLog   = []byte("change_log")
	bucketAccessDates = []byte("access_dates")

	keyUnknownPremises = []byte("unknown_premises_count")
	keyChangeHorizon   = []byte("change_log_horizon")
	keyCatalogHash     = []byte("catalog_hash")
	keyCatalogStamp    = []byte("catalog_stamp")
)

// ChangeKind is what happened to an object: ON-API events.md's type.
type ChangeKind string

// The kinds of change.
const (
	Create ChangeKind = "CREATE"
	Update ChangeKind = "UPDATE"
	Delete ChangeKind = "DELETE"
)

// Object types of the change log: ON-API events.md's objectType.
const (
	ObjectAccess       = "accesses"
	ObjectOrder        = "orders"
	ObjectSubscription = "subscriptions"
)

// Change is one entry of the change log.
type Change struct {
	Seq      uint64     `json:"-"`
	Time     time.Time  `json:"-"`
	Kind     ChangeKind `json:"type"`
	Object   string     `json:"object"`
	ID       string     `json:"id"`
	AccessID string     `json:"access"`
	// Owner is the service provider an order or subscription belongs to
	// ("" for accesses: everyone's).
	Owner string `json:"owner,omitempty"`
}

func changeKey(t time.Time, seq uint64) []byte { return mtimeKey(t, seq) }

// logChange appends a change at time t. With a batch (imports) the write
// is deferred with the others. A file at a schema before the change log
// (a migration writing in the old layout) has no log: nothing is written.
func logChange(b *bolt.Bucket, batch *writeBatch, t time.Time, c Change) error {
	if b == nil {
		return nil
	}
	seq, err := b.NextSequence()
	if err != nil {
		return err
	}
	v, err := json.Marshal(c)
	if err != nil {
		return err
	}
	if batch != nil {
		batch.putValue(b, changeKey(t, seq), v)
		return nil
	}
	return b.Put(changeKey(t, seq), sealOwned(v)) // json.Marshal's buffer, not touched again
}

// decodeChange checks and decodes the sealed change-log entry v at key k;
// a bad checksum, or an entry or key that does not decode, is a
// DamageError: an answer never leaves out a change it cannot read.
func decodeChange(k, v []byte) (Change, error) {
	var c Change
	if len(k) != 16 {
		return c, damaged(ErrKindDecode, bucketChangeLog, k, fmt.Errorf("key of %d bytes, want 16", len(k)))
	}
	if err := openJSON(bucketChangeLog, k, v, &c); err != nil {
		return c, err
	}
	c.Time = time.Unix(0, int64(binary.BigEndian.Uint64(k))).UTC()
	c.Seq = binary.BigEndian.Uint64(k[8:])
	return c, nil
}

// accessChange is the change-log entry of an access written as rec over
// old (nil: new).
func accessChange(rec, old *AccessRecord) Change {
	c := Change{Kind: Update, Object: ObjectAccess, ID: rec.AccessID, AccessID: rec.AccessID}
	switch {
	case rec.Removed:
		c.Kind = Delete
	case old == nil || old.Removed:
		c.Kind = Create
	}
	return c
}

// dateKey is an access_dates key: the date as YYYYMMDD, 0x00, AccessId.
func dateKey(d inventory.Date, id string) []byte {
	k := make([]byte, 0, 9+len(id))
	k = fmt.Appendf(k, "%04d%02d%02d", d.Year, int(d.Month), d.Day)
	k = append(k, 0)
	return append(k, id...)
}

// datesOf are the dates on which a live access becomes sellable or
// activatable (its date-valued Sellable and Activatable).
func datesOf(a *inventory.Access) []inventory.Date {
	var out []inventory.Date
	for _, v := range []inventory.Availability{a.Sellable, a.Activatable} {
		if d, ok := v.Date(); ok && (len(out) == 0 || out[0] != d) {
			out = append(out, d)
		}
	}
	return out
}

func parseDateKey(k []byte) (inventory.Date, string, bool) {
	if len(k) < 9 || k[8] != 0 {
		return inventory.Date{}, "", false
	}
	s := string(k[:8])
	d, ok := inventory.ParseDate(s[:4] + "-" + s[4:6] + "-" + s[6:8])
	return d, string(k[9:]), ok
}

// indexChange keeps the change feed right for an access written as rec
// over old: the change log, the dates index and the count of accesses PI
// V1 cannot show. t is the write's stamp.
func (ix indexes) indexChange(rec, old *AccessRecord) error {
	if ix.dates == nil {
		return nil // the layout before migration 7, which builds these from the accesses
	}
	if old != nil && !old.Removed {
		for _, d := range datesOf(&old.Access) {
			if err := ix.del(ix.dates, dateKey(d, old.AccessID)); err != nil {
				return err
			}
		}
		if !old.PremisesTypePIV1() {
			if err := addUint(ix.meta, keyUnknownPremises, -1); err != nil {
				return err
			}
		}
	}
	if !rec.Removed {
		for _, d := range datesOf(&rec.Access) {
			if err := ix.set(ix.dates, dateKey(d, rec.AccessID), nil); err != nil {
				return err
			}
		}
		if !rec.PremisesTypePIV1() {
			if err := addUint(ix.meta, keyUnknownPremises, 1); err != nil {
				return err
			}
		}
	}
	return logChange(ix.changes, ix.batch, rec.Modified, accessChange(rec, old))
}

// PremisesTypePIV1 reports whether PI V1 can show the access: its premises
// type is one of PI V1's five, or maps to one (MDU_TECHNICAL).
func (r *AccessRecord) PremisesTypePIV1() bool {
	_, ok := r.PremisesType.PIV1()
	return ok
}

// migrateChangeFeed creates the change log, empty: its horizon (the time
// before which it is incomplete) is the newest change made before it
// existed. It fills the dates index and the count of accesses PI V1
// cannot show from the live accesses.
func migrateChangeFeed(tx *bolt.Tx) error {
	if _, err := tx.CreateBucketIfNotExists(bucketChangeLog); err != nil {
		return err
	}
	dates, err := tx.CreateBucketIfNotExists(bucketAccessDates)
	if err != nil {
		return err
	}
	meta := tx.Bucket(bucketMeta)
	horizon := max(getInt(meta, keyCreated), getInt(meta, keyLastStamp))
	if k, v := tx.Bucket(bucketOrderEvents).Cursor().Last(); k != nil {
		if ev, err := rawJSON[OrderEvent]("order event", v); err == nil { // before records were sealed (migration 10)
			horizon = max(horizon, ev.Time.UnixNano())
		}
	}
	if err := putInt(meta, keyChangeHorizon, horizon); err != nil {
		return err
	}
	unknown := 0
	err = tx.Bucket(bucketAccesses).ForEach(func(k, v []byte) error {
		rec, err := decodeRecord(v)
		if err != nil {
			return fmt.Errorf("access %q: %w", k, err)
		}
		if rec.Removed {
			return nil
		}
		if !rec.PremisesTypePIV1() {
			unknown++
		}
		for _, dt := range datesOf(&rec.Access) {
			if err := dates.Put(dateKey(dt, rec.AccessID), nil); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	return putUint(meta, keyUnknownPremises, uint64(unknown))
}

// ChangeRetention is how long the change log keeps an entry: at least the
// 24 hours of ON-API's events.md.
const ChangeRetention = 7 * 24 * time.Hour

// Purge forgets the change-log entries older than before and moves the
// horizon (the time before which the log is incomplete) to it.
func (cv Changes) Purge(before time.Time) (int, error) {
	n := 0
	err := cv.db.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketChangeLog)
		end := changeKey(before, 0)
		c := b.Cursor()
		for k, _ := c.First(); k != nil && bytes.Compare(k, end) < 0; k, _ = c.First() {
			if err := b.Delete(k); err != nil {
				return err
			}
			n++
		}
		meta := tx.Bucket(bucketMeta)
		if getInt(meta, keyChangeHorizon) < before.UnixNano() {
			return putInt(meta, keyChangeHorizon, before.UnixNano())
		}
		return nil
	})
	return n, err
}

// NoteCatalogue records the fingerprint of the service catalogue and the
// rules the answers are computed with (a hash the caller makes). A
// fingerprint other than the stored one is a change of every access's
// answer that lists services, stamped now; CatalogueStamp gives it.
func (d *DB) NoteCatalogue(fingerprint string) (time.Time, error) {
	var t time.Time
	err := d.update(func(tx *bolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		if string(meta.Get(keyCatalogHash)) == fingerprint {
			t = time.Unix(0, getInt(meta, keyCatalogStamp)).UTC()
			return nil
		}
		t = d.stamp()
		if err := meta.Put(keyCatalogHash, []byte(fingerprint)); err != nil {
			return err
		}
		if err := putInt(meta, keyCatalogStamp, t.UnixNano()); err != nil {
			return err
		}
		return d.commitStamp(meta, t, tx)
	})
	return t, err
}

func catalogueStamp(tx *bolt.Tx) time.Time {
	ns := getInt(tx.Bucket(bucketMeta), keyCatalogStamp)
	if ns == 0 {
		return time.Time{}
	}
	return time.Unix(0, ns).UTC()
}

// Now is the store's clock.
func (d *DB) Now() time.Time { return d.now() }
