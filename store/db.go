package store

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
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
}

// DB is accessd's store: one bbolt file.
type DB struct {
	bolt *bolt.DB
	log  *slog.Logger
	now  func() time.Time

	// writeMu serialises the store's write transactions with the start of
	// exports, so that change stamps and Last-Modified values never cross
	// (see stamp).
	writeMu sync.Mutex
	// lastStamp is the newest modification time ever given to an access,
	// watermark the newest Last-Modified handed out; both under writeMu.
	lastStamp time.Time
	watermark time.Time
}

// ErrNotFound is returned (wrapped) when a record does not exist.
var ErrNotFound = errors.New("not found")

// Open opens or creates the store file path, migrating it to the current
// schema. It fails when another process holds the file longer than
// opts.LockTimeout.
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
	bdb, err := bolt.Open(path, 0o640, &bolt.Options{
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
	if err := d.migrate(); err != nil {
		bdb.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	if err := d.loadStamps(); err != nil {
		bdb.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return d, nil
}

// initialMmapSize reserves address space so that a long read transaction (a
// slow client streaming an export) rarely blocks a writer that needs to grow
// the map: bbolt remaps only beyond this size.
const initialMmapSize = 1 << 30

// Close closes the file. Every transaction must have ended.
func (d *DB) Close() error { return d.bolt.Close() }

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
func (d *DB) update(fn func(tx *bolt.Tx) error) error {
	d.writeMu.Lock()
	defer d.writeMu.Unlock()
	return d.bolt.Update(fn)
}

// view runs fn in a read transaction.
func (d *DB) view(fn func(tx *bolt.Tx) error) error { return d.bolt.View(fn) }
