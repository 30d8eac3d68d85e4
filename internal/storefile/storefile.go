// Package storefile checks the store's bbolt file before anything maps
// it, and keeps the marker beside it that says the state directory held
// data. It reads the file with plain reads and imports nothing of accessd
// or bbolt, so accessctl may use it on a stopped daemon's file.
//
// bbolt maps the file into memory: reading a page past the end of a
// truncated file is a SIGBUS, which no error check can catch, and accessd
// died in a crash loop. Check compares the file's size with what its meta
// pages say before bbolt opens it, and says which meta page, if any, is
// damaged (bbolt would quietly open at the other one's older transaction).
//
// The marker (accessd.db.marker, written atomically) records the store's
// identity and the last transaction seen, so a store file that went
// missing, was emptied or went back in time is noticed instead of being
// taken for a new, empty store.
package storefile

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
)

// bbolt's on-disk layout: pages of PageSize bytes; page 0 and 1 are meta
// pages, each a 16-byte page header then the meta: magic, version, page
// size, flags (4 bytes each), the root bucket (page id, sequence), the
// freelist page id, the high-water page id, the transaction id (8 bytes
// each) and an FNV-1a 64 checksum of the 56 bytes before it.
const (
	pageHeader = 16
	metaSize   = 64
	sumOffset  = 56
	magic      = 0xED0CDAED
	version    = 2
	minPage    = 1024
	maxPage    = 1 << 24
)

// Meta is one meta page as read from the file.
type Meta struct {
	Valid    bool   // magic, version and checksum are right
	Problem  string // why not, when not
	PageSize uint32
	Root     uint64 // the root bucket's page
	Freelist uint64 // the freelist's page
	HighPage uint64 // pages in use (the high-water mark): the file must hold them
	TxID     uint64
}

// Info is what Check found.
type Info struct {
	Size int64
	Meta [2]Meta
	// Current is the meta bbolt opens the file at: the valid one with
	// the higher transaction id.
	Current int
}

// TxID is the transaction the file opens at.
func (i Info) TxID() uint64 { return i.Meta[i.Current].TxID }

// DamagedMeta is the index of a damaged meta page of an otherwise usable
// file, or -1 (an empty file has none).
func (i Info) DamagedMeta() int {
	if i.Size == 0 {
		return -1
	}
	for n, m := range i.Meta {
		if !m.Valid {
			return n
		}
	}
	return -1
}

// ErrDamaged is wrapped by every error Check returns for a file bbolt
// must not open.
var ErrDamaged = errors.New("the store file is damaged")

// Check reads the meta pages of the bbolt file at path and checks the file
// against them. An empty file (bbolt makes a new store in it) is Size 0
// and no error. A file no meta page describes, or shorter than its meta
// page says, is an error wrapping ErrDamaged: bbolt would fail on it or
// fault reading past its end.
func Check(path string) (Info, error) {
	f, err := os.Open(path)
	if err != nil {
		return Info{}, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return Info{}, err
	}
	info := Info{Size: st.Size()}
	if info.Size == 0 {
		return info, nil
	}
	info.Meta[0] = readMeta(f, 0)
	ps := int64(info.Meta[0].PageSize)
	if !info.Meta[0].Valid {
		ps = findSecondMeta(f, info.Size)
	}
	if ps > 0 && ps < info.Size {
		info.Meta[1] = readMeta(f, ps)
	} else {
		info.Meta[1] = Meta{Problem: "cannot be found: the file is too short"}
	}
	switch {
	case !info.Meta[0].Valid && !info.Meta[1].Valid:
		return info, fmt.Errorf("%w: neither meta page is valid (page 0: %s; page 1: %s)", ErrDamaged, info.Meta[0].Problem, info.Meta[1].Problem)
	case !info.Meta[0].Valid:
		info.Current = 1
	case info.Meta[1].Valid && info.Meta[1].TxID > info.Meta[0].TxID:
		info.Current = 1
	}
	m := info.Meta[info.Current]
	need := int64(m.HighPage) * int64(m.PageSize)
	if info.Size < need {
		return info, fmt.Errorf("%w: it is %d bytes, but its meta page (transaction %d) says it holds %d pages of %d bytes (%d bytes): it was cut short",
			ErrDamaged, info.Size, m.TxID, m.HighPage, m.PageSize, need)
	}
	if m.Root >= m.HighPage || m.Freelist >= m.HighPage && m.Freelist != ^uint64(0) {
		return info, fmt.Errorf("%w: its meta page (transaction %d) points past its %d pages (root %d, freelist %d)",
			ErrDamaged, m.TxID, m.HighPage, m.Root, m.Freelist)
	}
	return info, nil
}

// readMeta reads the meta of the page at off.
func readMeta(f io.ReaderAt, off int64) Meta {
	var b [pageHeader + metaSize]byte
	if n, err := f.ReadAt(b[:], off); n < len(b) {
		return Meta{Problem: fmt.Sprintf("cannot be read: %v", err)}
	}
	d := b[pageHeader:]
	le := binary.LittleEndian
	m := Meta{PageSize: le.Uint32(d[8:]), Root: le.Uint64(d[16:]), Freelist: le.Uint64(d[32:]),
		HighPage: le.Uint64(d[40:]), TxID: le.Uint64(d[48:])}
	h := fnv.New64a()
	h.Write(d[:sumOffset])
	switch {
	case le.Uint32(d[0:]) != magic:
		m.Problem = "not a bbolt meta page (wrong magic number)"
	case le.Uint32(d[4:]) != version:
		m.Problem = fmt.Sprintf("unknown bbolt version %d", le.Uint32(d[4:]))
	case le.Uint64(d[sumOffset:]) != h.Sum64():
		m.Problem = "its checksum does not match"
	case m.PageSize < minPage || m.PageSize > maxPage || m.PageSize&(m.PageSize-1) != 0:
		m.Problem = fmt.Sprintf("page size %d", m.PageSize)
	default:
		m.Valid = true
	}
	return m
}

// findSecondMeta looks for page 1 when page 0 is unreadable, as bbolt
// does: at every power-of-two page size from 1 KiB. It returns the page
// size of the first valid meta found there (0 when none).
func findSecondMeta(f io.ReaderAt, size int64) int64 {
	for ps := int64(minPage); ps <= maxPage && ps < size; ps <<= 1 {
		if m := readMeta(f, ps); m.Valid && int64(m.PageSize) == ps {
			return ps
		}
	}
	return 0
}
