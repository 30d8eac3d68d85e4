package store

import (
	"fmt"

	bolt "go.etcd.io/bbolt"
	"golang.org/x/sys/unix"
)

// ReleaseMapped takes the store file's pages out of the process's resident
// set. bbolt reads the file through a shared, read-only memory map: every
// page a start-up scan or an export touched stays counted in the daemon's
// RSS although it is the kernel's page cache, which keeps it (and can
// reclaim it) anyway. MADV_DONTNEED on such a mapping drops only the
// mapping's page-table entries; the next read of a page maps it again from
// the page cache, unchanged (bbolt writes with pwrite, never through the
// map). It runs inside a read transaction, so bbolt cannot remap the file
// meanwhile.
func (d *DB) ReleaseMapped() error {
	return d.bolt.View(func(tx *bolt.Tx) error {
		return madviseDontNeed(d.bolt.Info().Data, uintptr(tx.Size()))
	})
}

// ReleaseMappedSoon starts ReleaseMapped on a goroutine of its own
// unless one is under way, and does not wait for it: for a long scan, in
// the callback of one of the store's reads (EachAccessPort, an export's
// Each), every few thousand records, so that the pages it went through do
// not pile up in the resident set. (Called there directly, ReleaseMapped
// would open a second read transaction in the scan's goroutine, which
// deadlocks with a writer waiting to remap the file; on its own goroutine
// it waits for that writer instead.) A failure is logged.
func (d *DB) ReleaseMappedSoon() {
	if !d.releasing.CompareAndSwap(false, true) {
		return
	}
	go func() {
		defer d.releasing.Store(false)
		if err := d.ReleaseMapped(); err != nil {
			d.log.Warn("the store's mapped pages stay resident", "err", err)
		}
	}()
}

// madviseDontNeed drops the page-table entries of size bytes at addr.
func madviseDontNeed(addr, size uintptr) error {
	if size == 0 {
		return nil
	}
	if _, _, errno := unix.Syscall(unix.SYS_MADVISE, addr, size, unix.MADV_DONTNEED); errno != 0 {
		return fmt.Errorf("release the store's mapped pages: %w", errno)
	}
	return nil
}
