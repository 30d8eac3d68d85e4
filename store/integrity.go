package store

import (
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"os"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/stadsnat/accessd/internal/storefile"
)

// Kinds of store error, the label of accessd_store_errors_total.
const (
	ErrKindChecksum = "checksum" // a record failed its CRC-32C
	ErrKindDecode   = "decode"   // a record's checksum is right but it does not decode
	ErrKindMeta     = "meta"     // a meta page of the file is damaged
	ErrKindRollback = "rollback" // the file is at an older transaction than the marker saw
	ErrKindNoSpace  = "nospace"  // a write failed for want of disk space
)

// ErrorKinds lists the kinds, for metrics.
func ErrorKinds() []string {
	return []string{ErrKindChecksum, ErrKindDecode, ErrKindMeta, ErrKindRollback, ErrKindNoSpace}
}

// errorCounts counts store errors by kind.
type errorCounts struct {
	mu sync.Mutex
	n  map[string]*atomic.Uint64
}

func (c *errorCounts) add(kind string) {
	c.mu.Lock()
	if c.n == nil {
		c.n = map[string]*atomic.Uint64{}
	}
	v := c.n[kind]
	if v == nil {
		v = new(atomic.Uint64)
		c.n[kind] = v
	}
	c.mu.Unlock()
	v.Add(1)
}

// Errors returns how many store errors of each kind the process met.
func (d *DB) Errors() map[string]uint64 {
	d.errs.mu.Lock()
	defer d.errs.mu.Unlock()
	out := map[string]uint64{}
	for k, v := range d.errs.n {
		out[k] = v.Load()
	}
	return out
}

// noteErr counts an error a transaction returned, by kind. (A nil error,
// nearly every read, returns before errors.As, whose target would cost
// every read an allocation.)
func (d *DB) noteErr(err error) {
	if err == nil {
		return
	}
	var de *DamageError
	if errors.As(err, &de) {
		d.errs.add(de.Kind)
	}
}

// DamageError is a record the store cannot vouch for: it fails its
// checksum, or it does not decode. It is an error, never an answer: the
// APIs answer 500 with its public cause, and the log names the bucket and
// the key.
type DamageError struct {
	Kind   string // ErrKindChecksum or ErrKindDecode
	Bucket string
	Key    string // printable, shortened
	Err    error  // the decoder's error (ErrKindDecode)
}

func (e *DamageError) Error() string {
	what := "fails its checksum"
	if e.Kind == ErrKindDecode {
		what = "does not decode"
		if e.Err != nil {
			what += ": " + e.Err.Error()
		}
	}
	return fmt.Sprintf("damaged store record: %s/%s %s (restore a backup: accessctl restore)", e.Bucket, e.Key, what)
}

func (e *DamageError) Unwrap() error { return e.Err }

// Is makes every DamageError an ErrCorrupt.
func (e *DamageError) Is(target error) bool { return target == ErrCorrupt }

// PublicCause is what an API client is told (package httperr).
func (e *DamageError) PublicCause() string {
	return "accessd's store is damaged: a record it needs fails its integrity check; the operator must restore a backup"
}

// PublicStatus is the HTTP status of the answer (package httperr).
func (e *DamageError) PublicStatus() int { return http.StatusInternalServerError }

// damaged makes a DamageError for bucket b and key k.
func damaged(kind string, b, k []byte, err error) *DamageError {
	key := string(k)
	for _, c := range k {
		if c < 0x20 || c > 0x7e {
			key = hex.EncodeToString(k)
			break
		}
	}
	if len(key) > 64 {
		key = key[:64] + "…"
	}
	return &DamageError{Kind: kind, Bucket: string(b), Key: key, Err: err}
}

// recoverFault turns a fault reading the mapped file (a page beyond its
// end: SIGBUS) or a panic of bbolt on a damaged page into an error, for
// the goroutine that calls it deferred with debug.SetPanicOnFault(true)
// set (see openBolt).
func recoverFault(path string, err *error) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("the store file %s is damaged (%v): stop accessd and restore a backup (accessctl restore FILE)", path, r)
	}
}

// preOpen checks the file before bbolt maps it, and the state directory's
// marker: a file that went missing or empty where a store was, or one
// shorter than its meta page says, is an error that says what to do. It
// returns what it found for afterOpen.
func preOpen(path string, opts Options) (storefile.Info, *storefile.Marker, error) {
	mp := storefile.MarkerPath(path)
	m, hasMarker, merr := storefile.ReadMarker(mp)
	if merr != nil {
		opts.Logger.Warn("store marker unreadable; it is written again", "err", merr)
	}
	info, err := storefile.Check(path)
	empty := errors.Is(err, os.ErrNotExist) || err == nil && info.Size == 0
	switch {
	case empty && hasMarker:
		return info, nil, fmt.Errorf("the state directory held a store (%d accesses, transaction %d, %s) but %s is missing or empty: "+
			"accessd does not start empty over it. Restore a backup with `accessctl restore FILE`; to start with an empty store on purpose, remove %s",
			m.Accesses, m.TxID, m.Written.Local().Format(time.DateTime), path, mp)
	case empty:
		return info, nil, nil
	case err != nil:
		return info, nil, fmt.Errorf("%s: %w. Stop accessd and restore a backup (accessctl restore FILE)", path, err)
	}
	if !hasMarker {
		return info, nil, nil
	}
	return info, &m, nil
}

// afterOpen compares the opened file with what was seen before: a damaged
// meta page (bbolt opened at the other, older one) and a transaction id
// older than the marker's are logged loudly and counted; a different
// identity is a replaced file (a restore). Then it writes the marker.
func (d *DB) afterOpen(info storefile.Info, m *storefile.Marker) {
	if n := info.DamagedMeta(); n >= 0 {
		d.errs.add(ErrKindMeta)
		d.log.Error("STORE DAMAGED: a meta page of the store file is invalid; bbolt opened the other, older one, and the next commit rewrites it",
			"file", d.Path(), "meta_page", n, "problem", info.Meta[n].Problem, "opened_at_transaction", info.TxID(),
			"what_to_do", "check the disk; if data is missing, stop accessd and restore a backup (accessctl restore FILE)")
	}
	// The transaction the file opened at is the meta page's, read before
	// anything could commit (a migration, the stamps).
	id, txid := d.identity()
	if info.Size > 0 {
		txid = info.TxID()
	}
	if m != nil && m.Store == id && txid < m.TxID {
		d.errs.add(ErrKindRollback)
		d.log.Error("STORE ROLLED BACK: the store file is at an older transaction than accessd last saw committed; the changes since are lost",
			"file", d.Path(), "transaction", txid, "last_seen", m.TxID, "last_seen_at", m.Written.UTC().Format(time.RFC3339),
			"what_to_do", "if the file was replaced on purpose nothing is wrong; otherwise check the disk and re-import the inventory")
	} else if m != nil && m.Store != id {
		d.log.Warn("the store file is another store than the one the state directory held (a restored backup?)",
			"file", d.Path(), "store", id, "previous", m.Store)
	}
	if err := d.WriteMarker(); err != nil {
		d.log.Warn("cannot write the store marker", "err", err)
	}
}

// identity is the store's identity (its creation time) and the
// transaction it is at.
func (d *DB) identity() (string, uint64) {
	var id string
	var txid uint64
	d.bolt.View(func(tx *bolt.Tx) error {
		txid = uint64(tx.ID())
		if m := tx.Bucket(bucketMeta); m != nil {
			id = hex.EncodeToString(m.Get(keyCreated))
		}
		return nil
	})
	return id, txid
}

// WriteMarker records beside the file that the state directory holds this
// store, at its current transaction (accessd does it at start, every
// minute and at stop): a later start refuses to begin empty in its
// place and notices a transaction id that went back. A fault reading the
// file (it was cut short) is an error, and the marker keeps what it had.
func (d *DB) WriteMarker() (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer recoverFault(d.Path(), &err)
	id, txid := d.identity()
	st, _ := d.Stats()
	return storefile.WriteMarker(storefile.MarkerPath(d.Path()), storefile.Marker{Store: id, TxID: txid,
		Accesses: st.Accesses, Bytes: st.FileBytes, Written: d.now().UTC()})
}

// openBolt opens the file with bbolt, turning a fault or a panic on a
// damaged page into an error.
func openBolt(path string, bo *bolt.Options) (db *bolt.DB, err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer recoverFault(path, &err)
	return bolt.Open(path, 0o640, bo)
}
