package store

import (
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	bolt "go.etcd.io/bbolt"
)

// DefaultMinFreeBytes is Options.MinFreeBytes when zero: the store goes
// read-only below 8 MiB free on its file system.
const DefaultMinFreeBytes = 8 << 20

// Read-only mode. A full disk must not take the reads down with the
// writes: accessd once failed to start on one ("requeue interrupted
// orders: no space left on device"), and its read APIs with it. The store
// goes read-only when its file system has less than Options.MinFreeBytes
// free (at Open and at each probe) or when a write fails for want of
// space (ENOSPC, EDQUOT): writes then fail at once with a ReadOnlyError
// (503 with its cause in every API), reads go on, and the daemon's
// readiness says why. Probe, which the daemon calls every few seconds,
// leaves the mode once there is room again and a test write commits.

// ReadOnlyError is a write refused while the store is read-only.
type ReadOnlyError struct{ Reason string }

func (e *ReadOnlyError) Error() string { return "the store is read-only: " + e.Reason }

// PublicCause is what an API client is told (package httperr).
func (e *ReadOnlyError) PublicCause() string {
	return "accessd's store is read-only for now: " + e.Reason + "; writes resume by themselves when there is room"
}

// PublicStatus is the HTTP status of the answer (package httperr).
func (e *ReadOnlyError) PublicStatus() int { return http.StatusServiceUnavailable }

// ErrReadOnly matches every ReadOnlyError (errors.Is).
var ErrReadOnly = errors.New("the store is read-only")

// Is makes a ReadOnlyError an ErrReadOnly.
func (e *ReadOnlyError) Is(target error) bool { return target == ErrReadOnly }

// space is the read-only state.
type space struct {
	mu       sync.Mutex
	minFree  uint64
	reason   string // "" = writable
	since    time.Time
	lastFree uint64
}

// SetMinFreeBytes sets the free space below which the store goes
// read-only (0: DefaultMinFreeBytes); the next Probe applies it.
func (d *DB) SetMinFreeBytes(n int64) {
	d.space.mu.Lock()
	defer d.space.mu.Unlock()
	d.space.minFree = uint64(n)
	if n <= 0 {
		d.space.minFree = DefaultMinFreeBytes
	}
}

// ReadOnly reports whether the store refuses writes, and why.
func (d *DB) ReadOnly() (reason string, since time.Time, ro bool) {
	d.space.mu.Lock()
	defer d.space.mu.Unlock()
	return d.space.reason, d.space.since, d.space.reason != ""
}

// readOnlyErr is the error of a write refused now (nil: writable).
func (d *DB) readOnlyErr() error {
	if reason, _, ro := d.ReadOnly(); ro {
		return &ReadOnlyError{Reason: reason}
	}
	return nil
}

// goReadOnly enters read-only mode for reason (once; later reasons are
// not kept).
func (d *DB) goReadOnly(reason string) {
	d.space.mu.Lock()
	defer d.space.mu.Unlock()
	if d.space.reason != "" {
		return
	}
	d.space.reason, d.space.since = reason, d.now()
	d.log.Error("STORE READ-ONLY: writes are refused until there is room again; reads go on",
		"reason", reason, "state_dir", filepath.Dir(d.Path()),
		"what_to_do", "free space on the state directory's file system; accessd resumes writing by itself")
}

// noSpace reports a write error caused by a full file system (or quota).
func noSpace(err error) bool {
	if errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) {
		return true
	}
	// bbolt formats some of its I/O errors with %s: only the text is left.
	return err != nil && (strings.Contains(err.Error(), "no space left on device") || strings.Contains(err.Error(), "disk quota exceeded"))
}

// afterWrite looks at a write transaction's error: a full disk makes the
// store read-only, and the write's error says so.
func (d *DB) afterWrite(err error) error {
	if !noSpace(err) {
		return err
	}
	d.errs.add(ErrKindNoSpace)
	d.goReadOnly("no space left on the state directory's file system")
	return fmt.Errorf("%w (%w)", &ReadOnlyError{Reason: "no space left on the state directory's file system"}, err)
}

// freeBytes is what the store's file system has free for it.
func (d *DB) freeBytes() (uint64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(filepath.Dir(d.Path()), &st); err != nil {
		return 0, err
	}
	return st.Bavail * uint64(st.Bsize), nil
}

// checkSpace goes read-only when the file system has less than the
// minimum free.
func (d *DB) checkSpace() {
	free, err := d.freeBytes()
	if err != nil {
		return
	}
	d.space.mu.Lock()
	d.space.lastFree = free
	minFree := d.space.minFree
	d.space.mu.Unlock()
	if free < minFree {
		d.goReadOnly(fmt.Sprintf("only %d bytes free on the state directory's file system, less than %d", free, minFree))
	}
}

// Probe checks the free space and, while read-only, whether the store
// may write again: when there is room, a test write (the probe time in
// meta) must commit. It returns true when the store is writable.
func (d *DB) Probe() bool {
	d.checkSpace()
	if _, _, ro := d.ReadOnly(); !ro {
		return true
	}
	d.space.mu.Lock()
	room := d.space.lastFree >= d.space.minFree
	d.space.mu.Unlock()
	if !room {
		return false
	}
	d.writeMu.Lock()
	err := d.bolt.Update(func(tx *bolt.Tx) error { return putInt(tx.Bucket(bucketMeta), keyProbe, d.now().UnixNano()) })
	d.writeMu.Unlock()
	if err != nil {
		return false
	}
	d.space.mu.Lock()
	since := d.space.since
	d.space.reason, d.space.since = "", time.Time{}
	d.space.mu.Unlock()
	d.log.Info("store writable again: there is room on the state directory's file system", "read_only_for", d.now().Sub(since).Round(time.Second))
	return true
}

// keyProbe is meta's key for the probe's test write.
var keyProbe = []byte("space_probe")
