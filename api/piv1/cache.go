package piv1

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"sync"
)

// exportCache keeps the newest full export as a file, so that a repeat
// of it — every service provider polls the whole list — is sent from the
// file by the kernel (net/http's sendfile) with a Content-Length, instead
// of being rendered again. A file belongs to one inventory generation
// (store.Snapshot.Generation: it changes with every created, changed or
// removed access, and nothing else changes PI V1's full export), so a
// generation that moved on is never answered from an older file.
//
// The file is written by the first full export of a generation while it
// is sent (a tee), and only kept when the whole export was written; other
// requests meanwhile render their own. Its directory holds nothing else;
// files left by a crash are removed when the cache is made. Nothing here
// is needed to answer: an error only makes the export rendered again.
type exportCache struct {
	dir string
	log *slog.Logger

	mu       sync.Mutex
	gen      uint64 // the generation of path
	path     string // "" until a file is kept
	size     int64
	building bool
	failing  bool // the last file could not be made (logged once)
}

const cachePrefix = "piv1-export-"

// newExportCache makes dir (0700) and empties it of earlier exports.
func newExportCache(dir string, log *slog.Logger) (*exportCache, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("PI V1 export cache: %w", err)
	}
	old, err := filepath.Glob(filepath.Join(dir, cachePrefix+"*"))
	if err != nil {
		return nil, fmt.Errorf("PI V1 export cache: %w", err)
	}
	for _, p := range old {
		if err := os.Remove(p); err != nil {
			return nil, fmt.Errorf("PI V1 export cache: remove a stale export: %w", err)
		}
	}
	return &exportCache{dir: dir, log: log}, nil
}

// open returns the kept export of generation gen, opened, and its size;
// nil when there is none.
func (c *exportCache) open(gen uint64) (*os.File, int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.path == "" || c.gen != gen {
		return nil, 0
	}
	// Opened under the lock: a newer export replacing this one removes
	// the file only after, and an open file stays readable.
	f, err := os.Open(c.path)
	if err != nil {
		c.log.Warn("cannot open the kept PI V1 export; rendering it instead", "err", err)
		c.path = ""
		return nil, 0
	}
	return f, c.size
}

// create starts the file of generation gen, when no file of it (or of a
// later one) is kept and no other request is writing one; nil otherwise.
func (c *exportCache) create(gen uint64) *cacheWriter {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.building || (c.path != "" && c.gen >= gen) {
		return nil
	}
	f, err := os.CreateTemp(c.dir, cachePrefix+"tmp-*")
	if err != nil {
		if !c.failing { // once, not at every export, until it works again
			c.log.Warn("cannot keep the PI V1 export; every full export is rendered until this is mended", "dir", c.dir, "err", err)
		}
		c.failing = true
		return nil
	}
	if c.failing {
		c.log.Info("the PI V1 export can be kept again", "dir", c.dir)
		c.failing = false
	}
	c.building = true
	return &cacheWriter{c: c, f: f, gen: gen}
}

// cacheWriter is the file being written by one export.
type cacheWriter struct {
	c    *exportCache
	f    *os.File
	gen  uint64
	size int64
	err  error
}

// Write writes p to the file; after a failure it only remembers it (the
// export itself goes on).
func (w *cacheWriter) Write(p []byte) {
	if w.err != nil {
		return
	}
	n, err := w.f.Write(p)
	w.size += int64(n)
	w.err = err
}

// finish keeps the file when the whole export was written (complete),
// removes it otherwise.
func (w *cacheWriter) finish(complete bool) {
	c := w.c
	err := w.err
	if cerr := w.f.Close(); err == nil {
		err = cerr
	}
	path := filepath.Join(c.dir, cachePrefix+strconv.FormatUint(w.gen, 10)+".xml")
	if complete && err == nil {
		err = os.Rename(w.f.Name(), path)
	}
	if !complete || err != nil {
		os.Remove(w.f.Name())
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.building = false
	if !complete {
		return
	}
	if err != nil {
		c.log.Warn("cannot keep the PI V1 export; the next full export is rendered again", "err", err)
		return
	}
	if c.path != "" && c.path != path {
		if err := os.Remove(c.path); err != nil && !errors.Is(err, os.ErrNotExist) {
			c.log.Warn("cannot remove an older PI V1 export", "err", err)
		}
	}
	c.gen, c.path, c.size = w.gen, path, w.size
}

// serveFile copies the kept export to w and closes it. The file goes to
// w's ReadFrom as it is, so that net/http can hand it to sendfile.
func serveFile(w io.Writer, f *os.File) error {
	defer f.Close()
	if rf, ok := w.(io.ReaderFrom); ok {
		_, err := rf.ReadFrom(f)
		return err
	}
	_, err := io.Copy(w, f)
	return err
}
