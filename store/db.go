package store

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
)

// FileName is the name of the database file in the state directory.
const FileName = "accessd.db"

// Options configure Open.
type Options struct {
	// LockTimeout bounds the wait for the file lock another process holds.
	LockTimeout time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Logger receives what the store does on its own (migrations); nil discards.
	Logger *slog.Logger
	// NoSync skips fsync (tests and benchmarks only).
	NoSync bool
	// MinFreeBytes is the free space on the store's file system below
	// which it goes read-only (space.go); 0 means DefaultMinFreeBytes.
	MinFreeBytes int64
}

// DB is accessd's store: one bbolt file.
type DB struct {
	bolt *bolt.DB
	log  *slog.Logger
	now  func() time.Time

	// writeMu serialises the store's write transactions with the start of
	// answers, so that change stamps and cut-offs never cross (see stamp
	// and beginAnswer).
	writeMu sync.Mutex
	// lastStamp is the newest change stamp given, cutoff the newest
	// cut-off of an answer handed out; both under writeMu.
	lastStamp time.Time
	cutoff    time.Time
	// outbox holds the outbox's budget, notify and change hooks.
	outbox outboxState
	// following names the hub whose inventory this box follows: imports
	// are refused (SetFollowing); nil when it follows none.
	following atomic.Pointer[string]

	// errs counts the store errors met (Errors).
	errs errorCounts
	// space is the read-only mode (space.go).
	space space
	// releasing is true while ReleaseMappedSoon's goroutine runs.
	releasing atomic.Bool
	// circuits keeps circuit look-ups' answers per inventory generation.
	lookups lookupCache
}

// ErrNotFound is returned (wrapped) when a record does not exist.
var ErrNotFound = errors.New("not found")

// Open opens or creates the store file path, migrating it to the current
// schema. It fails when another process holds the file longer than
// opts.LockTimeout. It checks the file before bbolt maps it and refuses
// one that is damaged, or missing or empty where the state directory's
// marker says a store was (see package storefile and integrity.go); a
// fault reading the file is an error, not a crash.
func Open(path string, opts Options) (*DB, error) {
	if opts.LockTimeout == 0 {
		opts.LockTimeout = 5 * time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("create state directory: %w", err)
	}
	info, marker, err := preOpen(path, opts)
	if err != nil {
		return nil, err
	}
	bdb, err := openBolt(path, &bolt.Options{
		Timeout:         opts.LockTimeout,
		InitialMmapSize: initialMmapSize,
		// The freelist is written with every commit (bbolt's default): with
		// NoFreelistSync, Open would walk every page of the file to rebuild
		// it, paging the whole store in (RSS) and slowing every start.
		FreelistType: bolt.FreelistMapType,
		NoSync:       opts.NoSync,
	})
	if err != nil {
		if errors.Is(err, bolt.ErrTimeout) {
			return nil, fmt.Errorf("open %s: another process holds its lock (is accessd already running?)", path)
		}
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	d := &DB{bolt: bdb, log: opts.Logger, now: opts.Now}
	d.SetMinFreeBytes(opts.MinFreeBytes)
	if err := d.setup(); err != nil {
		bdb.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	if err := d.bolt.View(func(tx *bolt.Tx) error { d.lookups.committed(generationIn(tx)); return nil }); err != nil {
		bdb.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	d.checkSpace()
	d.afterOpen(info, marker)
	return d, nil
}

// setup migrates the file and loads the change stamps; a fault or a bbolt
// panic on a damaged page is an error.
func (d *DB) setup() (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer recoverFault(d.Path(), &err)
	if err := d.migrate(); err != nil {
		return err
	}
	return d.loadStamps()
}

// initialMmapSize reserves address space so that a long read transaction (a
// slow client streaming an export) rarely blocks a writer that needs to grow
// the map: bbolt remaps only beyond this size.
const initialMmapSize = 1 << 30

// Close writes the marker and closes the file. Every transaction must
// have ended.
func (d *DB) Close() error {
	if err := d.WriteMarker(); err != nil {
		d.log.Warn("cannot write the store marker", "err", err)
	}
	return d.bolt.Close()
}

// Path is the file the store lives in.
func (d *DB) Path() string { return d.bolt.Path() }

// Ping reads the schema version: a cheap proof that the store answers.
func (d *DB) Ping() error {
	return d.bolt.View(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketMeta).Get(keySchemaVersion) == nil {
			return errors.New("store has no schema version")
		}
		return nil
	})
}

// Backup writes a consistent copy of the whole store to w from one read
// transaction, while the daemon keeps running.
func (d *DB) Backup(w io.Writer) (int64, error) {
	var n int64
	err := d.bolt.View(func(tx *bolt.Tx) error {
		var err error
		n, err = tx.WriteTo(w)
		return err
	})
	if err != nil {
		return n, fmt.Errorf("backup: %w", err)
	}
	return n, nil
}

// BackupSize is the size a Backup will write.
func (d *DB) BackupSize() (int64, error) {
	var n int64
	err := d.bolt.View(func(tx *bolt.Tx) error { n = tx.Size(); return nil })
	return n, err
}

// Stats are store figures for status output and metrics.
type Stats struct {
	Accesses   int
	Tombstones int
	FileBytes  int64
	Schema     uint64
}

// Stats counts what the store holds.
func (d *DB) Stats() (Stats, error) {
	var s Stats
	err := d.bolt.View(func(tx *bolt.Tx) error {
		m := tx.Bucket(bucketMeta)
		s.Accesses = int(getUint(m, keyAccessCount))
		s.Tombstones = int(getUint(m, keyTombstoneCount))
		s.Schema = getUint(m, keySchemaVersion)
		s.FileBytes = tx.Size()
		return nil
	})
	return s, err
}

// update runs fn in a write transaction under writeMu.
// While the store is read-only (space.go) it fails at once with a
// ReadOnlyError; a write that fails for want of space makes it read-only.
func (d *DB) update(fn func(tx *bolt.Tx) error) error {
	if err := d.readOnlyErr(); err != nil {
		return err
	}
	d.writeMu.Lock()
	defer d.writeMu.Unlock()
	err := d.afterWrite(d.bolt.Update(d.noteGeneration(fn)))
	d.noteErr(err)
	return err
}

// noteGeneration wraps a write transaction's fn so that, once it is
// committed, the circuit cache learns the inventory generation it left
// (before the write returns to its caller).
func (d *DB) noteGeneration(fn func(tx *bolt.Tx) error) func(tx *bolt.Tx) error {
	return func(tx *bolt.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		gen := generationIn(tx)
		tx.OnCommit(func() { d.lookups.committed(gen) })
		return nil
	}
}

// view runs fn in a read transaction.
func (d *DB) view(fn func(tx *bolt.Tx) error) error {
	err := d.bolt.View(fn)
	d.noteErr(err)
	return err
}
