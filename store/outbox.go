package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
)

// The upstream outbox (Outbox view, outbox*.go): every change an upstream
// system must learn is an OutboxEntry, written in the transaction of the
// change. The delivery side (package outbox of the daemon) reads each
// sink's entries after its cursor, moves the cursor on and parks what
// the upstream refuses for good; this file is the entry and the append,
// outbox_record.go the persisted form of the records, outbox_queue.go the
// delivery's reads and writes,
// outbox_compact.go the disk budget, outbox_hooks.go how other domains
// add entries inside their transactions. The rules are those of the
// daemon's outbox.Storage contract, which its conformance suite checks
// against this store.

// Bucket and key names of the outbox. See doc.go for the tree.
var (
	bucketOutbox           = []byte("outbox")
	bucketOutboxKey        = []byte("outbox_key")
	bucketOutboxLatest     = []byte("outbox_latest")
	bucketOutboxSuperseded = []byte("outbox_superseded")
	bucketOutboxParked     = []byte("outbox_parked")
	bucketOutboxSinks      = []byte("outbox_sinks")

	keyOutboxBytes = []byte("outbox_bytes")
)

func outboxBuckets() [][]byte {
	return [][]byte{bucketOutbox, bucketOutboxKey, bucketOutboxLatest, bucketOutboxSuperseded, bucketOutboxParked, bucketOutboxSinks}
}

// OutboxEntry is one change addressed to one upstream sink.
type OutboxEntry struct {
	// Seq is given at append: strictly increasing across all sinks.
	Seq uint64
	// Sink is the upstream system ("atlas-portal", "cubit").
	Sink string
	// Key is what the entry is about: the unit of order and compaction.
	Key string
	// IdempotencyKey is the same for every delivery of the entry.
	IdempotencyKey string
	// Kind says what Payload holds.
	Kind    string
	Payload []byte
	// Created is when the change was made; zero at append means now.
	Created time.Time
	// Attempts counts failed deliveries (kept for parked entries).
	Attempts int
}

// Size is what an entry counts against the byte budget: its fields and a
// fixed overhead for the record and its index keys. It is the same sum as
// the daemon's outbox.Entry.Size, so that both sides agree on the budget.
func (e *OutboxEntry) Size() int64 {
	const overhead = 64
	return int64(overhead + len(e.Sink) + len(e.Key) + len(e.IdempotencyKey) + len(e.Kind) + len(e.Payload))
}

// validate says what is missing from an entry about to be appended.
func (e *OutboxEntry) validate() error {
	switch {
	case e.Sink == "" || hasNUL(e.Sink):
		return errors.New("outbox entry: sink is empty or holds a NUL byte")
	case e.Key == "" || hasNUL(e.Key):
		return fmt.Errorf("outbox entry for %s: key is empty or holds a NUL byte", e.Sink)
	case e.IdempotencyKey == "":
		return fmt.Errorf("outbox entry for %s key %s: idempotency key is empty", e.Sink, e.Key)
	case e.Kind == "":
		return fmt.Errorf("outbox entry for %s key %s: kind is empty", e.Sink, e.Key)
	}
	return nil
}

func hasNUL(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == 0 {
			return true
		}
	}
	return false
}

// OutboxParked is an entry its sink refused for good, with the refusal.
type OutboxParked struct {
	OutboxEntry
	Error  string
	Parked time.Time
}

// Outbox is the view of the upstream outbox: the entries of each sink,
// their cursors, the parked entries and the disk budget.
type Outbox struct{ db *DB }

// Outbox returns the view of the upstream outbox.
func (d *DB) Outbox() Outbox { return Outbox{d} }

// outboxSettings are the outbox's settings of the moment (SetBudget,
// SetNotifyFor, SetHooksFor).
type outboxSettings struct {
	budget int64
	notify map[string]func(sink string) // by owner
	hooks  map[string]ChangeHooks       // by owner
	// calls are the hooks of every owner, by kind, in owner order: what
	// the transactions run (a kind nobody hooks costs one length check).
	calls hookCalls
}

// outboxState is the part of DB the outbox keeps in memory.
type outboxState struct {
	settings atomic.Pointer[outboxSettings]
	group    commitGroup
}

func (d *DB) outboxSettings() outboxSettings {
	if s := d.outbox.settings.Load(); s != nil {
		return *s
	}
	return outboxSettings{}
}

// change swaps the settings through f.
func (v Outbox) change(f func(*outboxSettings)) {
	for {
		old := v.db.outbox.settings.Load()
		var s outboxSettings
		if old != nil {
			s = *old
		}
		f(&s)
		if v.db.outbox.settings.CompareAndSwap(old, &s) {
			return
		}
	}
}

// SetBudget sets the byte budget (OutboxEntry.Size over pending and parked
// entries); 0 is unbounded. A reload may change it.
func (v Outbox) SetBudget(bytes int64) {
	v.change(func(s *outboxSettings) { s.budget = max(bytes, 0) })
}

// SetNotify sets what is called, after the commit, for each sink that a
// transaction appended entries to: the sink's delivery wakes up. It must
// not block. It is SetNotifyFor with the owner "".
func (v Outbox) SetNotify(f func(sink string)) { v.SetNotifyFor("", f) }

// SetNotifyFor sets owner's notify function (nil removes it): several
// subsystems deliver sinks of their own, and each is told of every sink.
func (v Outbox) SetNotifyFor(owner string, f func(sink string)) {
	v.change(func(s *outboxSettings) {
		s.notify = maps.Clone(s.notify)
		if s.notify == nil {
			s.notify = map[string]func(string){}
		}
		if f == nil {
			delete(s.notify, owner)
		} else {
			s.notify[owner] = f
		}
	})
}

// OutboxTx appends outbox entries inside a write transaction, so that an
// entry is durable exactly when the change it reports is: the order
// transaction (OrderTx.Outbox), the import transaction (the Access hook),
// or one of its own (Outbox.Append).
type OutboxTx struct {
	tx       *bolt.Tx
	db       *DB
	now      time.Time
	notified map[string]bool
	counts   *outboxCounts // nil: the counts are written through
}

// newOutboxTx makes the appender of a write transaction.
func (d *DB) newOutboxTx(tx *bolt.Tx, now time.Time) *OutboxTx {
	return &OutboxTx{tx: tx, db: d, now: now}
}

// Now is the store clock's time at the start of the transaction.
func (x *OutboxTx) Now() time.Time { return x.now }

// Append adds entries (all or none: an invalid one fails the transaction),
// giving each its Seq and, when zero, Created; when they take the outbox
// to its budget, it compacts in the same transaction.
func (x *OutboxTx) Append(entries ...OutboxEntry) error {
	for i := range entries {
		if err := entries[i].validate(); err != nil {
			return err
		}
	}
	ob := x.tx.Bucket(bucketOutbox)
	var added int64
	for i := range entries {
		e := entries[i]
		seq, err := ob.NextSequence()
		if err != nil {
			return err
		}
		e.Seq = seq
		if e.Created.IsZero() {
			e.Created = x.now
		}
		if err := x.push(&e, true); err != nil {
			return fmt.Errorf("append to the outbox of %s: %w", e.Sink, err)
		}
		added += e.Size()
		x.notifyAfterCommit(e.Sink)
	}
	if len(entries) == 0 {
		return nil
	}
	if err := x.addBytes(added); err != nil {
		return err
	}
	_, err := x.compactIfDue()
	return err
}

// push queues e under its sink and, when it is a new state (not a
// requeued old one), makes it its key's latest and marks the key's other
// pending entries superseded. The caller counts the bytes of the whole
// outbox.
func (x *OutboxTx) push(e *OutboxEntry, newState bool) error {
	qk := outboxQueueKey(e.Sink, e.Seq)
	if err := x.tx.Bucket(bucketOutbox).Put(qk, sealOwned(encodeOutboxEntry(e))); err != nil {
		return err
	}
	kb := x.tx.Bucket(bucketOutboxKey)
	prefix := outboxKeyPrefix(e.Sink, e.Key)
	if newState {
		sup := x.tx.Bucket(bucketOutboxSuperseded)
		c := kb.Cursor()
		for k, _ := c.Seek(prefix); k != nil && hasPrefixLen(k, prefix, 8); k, _ = c.Next() {
			if err := sup.Put(k[len(prefix):], seal([]byte(e.Sink))); err != nil {
				return err
			}
		}
		if err := x.tx.Bucket(bucketOutboxLatest).Put(prefix[:len(prefix)-1], sealOwned(u64(e.Seq))); err != nil {
			return err
		}
	}
	if err := kb.Put(binary.BigEndian.AppendUint64(prefix, e.Seq), nil); err != nil {
		return err
	}
	return x.sink(e.Sink, func(s *outboxSink) { s.Pending++; s.Bytes += e.Size() })
}

func (x *OutboxTx) notifyAfterCommit(sink string) {
	if x.notified[sink] {
		return
	}
	if x.notified == nil {
		x.notified = map[string]bool{}
	}
	x.notified[sink] = true
	db := x.db
	x.tx.OnCommit(func() {
		for _, f := range db.outboxSettings().notify {
			f(sink)
		}
	})
}

// outboxSink is the record of one sink in outbox_sinks/.
type outboxSink struct {
	Cursor    uint64
	Pending   int
	Parked    int
	Bytes     int64
	Compacted uint64
}

// readOutboxSink reads the record of sink name (zero when there is none).
func readOutboxSink(tx *bolt.Tx, name string) (outboxSink, error) {
	v, err := get(tx, bucketOutboxSinks, []byte(name))
	if err != nil {
		return outboxSink{}, err
	}
	s, ok := decodeOutboxSink(v)
	if !ok {
		return s, damaged(ErrKindDecode, bucketOutboxSinks, []byte(name), errShortRecord)
	}
	return s, nil
}

func encodeOutboxSink(s *outboxSink) []byte {
	b := make([]byte, 0, 5*binary.MaxVarintLen64+sumLen)
	b = binary.AppendUvarint(b, s.Cursor)
	b = binary.AppendUvarint(b, uint64(s.Pending))
	b = binary.AppendUvarint(b, uint64(s.Parked))
	b = binary.AppendUvarint(b, uint64(s.Bytes))
	return binary.AppendUvarint(b, s.Compacted)
}

// decodeOutboxSink decodes a sink's record; nil is a sink with nothing
// yet. ok is false when the record is cut short.
func decodeOutboxSink(v []byte) (s outboxSink, ok bool) {
	if v == nil {
		return s, true
	}
	r := varintReader{b: v}
	s.Cursor = r.uvarint()
	s.Pending = int(r.uvarint())
	s.Parked = int(r.uvarint())
	s.Bytes = int64(r.uvarint())
	s.Compacted = r.uvarint()
	return s, !r.bad
}

// Keys: outbox/ and outbox_parked/ are sink 0x00 seq(8); outbox_key/ is
// sink 0x00 key 0x00 seq(8); outbox_latest/ is sink 0x00 key.

func outboxQueueKey(sink string, seq uint64) []byte { return key2(sink, seq) }

func outboxSinkPrefix(sink string) []byte { return append([]byte(sink), 0) }

// outboxKeyPrefix is sink 0x00 key 0x00, with room for the seq.
func outboxKeyPrefix(sink, key string) []byte {
	k := make([]byte, 0, len(sink)+len(key)+10)
	k = append(k, sink...)
	k = append(k, 0)
	k = append(k, key...)
	return append(k, 0)
}

func hasPrefixLen(k, prefix []byte, rest int) bool {
	return len(k) == len(prefix)+rest && string(k[:len(prefix)]) == string(prefix)
}

// migrateCreateUpstreamBuckets creates the outbox, the Atlas portal's
// state and the index of orders by Atlas order id, which it fills from
// the orders already stored.
func migrateCreateUpstreamBuckets(tx *bolt.Tx) error {
	for _, b := range append(outboxBuckets(), bucketAtlasPortal, bucketAtlasPortalOrders, bucketOrderAtlas) {
		if _, err := tx.CreateBucketIfNotExists(b); err != nil {
			return err
		}
	}
	idx := tx.Bucket(bucketOrderAtlas)
	return tx.Bucket(bucketOrders).ForEach(func(k, v []byte) error {
		ord, err := rawJSON[Order]("order", v) // before records were sealed (migration 10)
		if err != nil {
			return err
		}
		return indexAtlasOrder(idx, &ord, k)
	})
}
