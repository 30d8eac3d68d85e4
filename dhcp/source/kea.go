package source

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"syscall"
	"time"

	"github.com/stadsnat/accessd/dhcp/kealease"
)

// LeaseSink receives rows of Kea's lease file in file order and applies
// them before it returns.
type LeaseSink interface {
	KeaRows(ctx context.Context, rows []kealease.Lease) error
	KeaBadRows(n int)
}

// KeaFile follows Kea's memfile lease file: it reads the whole file at
// start, then polls it and reads what was appended; when Kea's lease file
// cleanup replaces the file (a new inode) or it shrinks, it reads it
// again from the start.
//
// Polling the file's status (once a second by default) rather than
// inotify: Kea replaces the file by rename during cleanup, so inotify
// would have to watch the directory and re-arm on every replacement,
// while one stat per second catches appends and replacements alike, needs
// no extra descriptor or dependency, and a second's delay is nothing for
// reconciliation (relay copies and snoop are the real-time sources).
type KeaFile struct {
	path  string
	every time.Duration
	sink  LeaseSink
	log   *slog.Logger

	ino    uint64
	offset int64
	header []byte
	lines  int // lines before offset
	// longLine: offset is inside a line longer than keaReadChunk.
	longLine bool
}

// NewKeaFile follows the file at path; every ≤ 0 means one second.
func NewKeaFile(path string, every time.Duration, sink LeaseSink, log *slog.Logger) *KeaFile {
	if every <= 0 {
		every = time.Second
	}
	return &KeaFile{path: path, every: every, sink: sink, log: log}
}

// rowsPerBatch bounds the rows handed to the sink at once.
const rowsPerBatch = 4096

// Run reads the file, calls ready (once the first read is applied, or
// failed because the file is missing), and follows the file until ctx is
// done.
func (k *KeaFile) Run(ctx context.Context, ready func()) error {
	if err := k.poll(ctx); err != nil && ctx.Err() == nil {
		k.log.Warn("cannot read Kea's lease file yet; will keep trying", "file", k.path, "err", err)
	}
	ready()
	t := time.NewTicker(k.every)
	defer t.Stop()
	failing := false
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		err := k.poll(ctx)
		switch {
		case ctx.Err() != nil:
			return nil
		case err != nil && !failing:
			k.log.Warn("cannot read Kea's lease file; will keep trying", "file", k.path, "err", err)
			failing = true
		case err == nil && failing:
			k.log.Info("Kea's lease file is readable again", "file", k.path)
			failing = false
		}
	}
}

// keaReadChunk bounds one read of the lease file. Kea appends a row for
// every lease change and only its lease file cleanup (when configured)
// shrinks the file, so it can be large, and a start or a replacement
// reads it from the beginning: in chunks of whole lines, never at once.
const keaReadChunk = 4 << 20

// poll reads what is new in the file.
func (k *KeaFile) poll(ctx context.Context) error {
	f, err := os.Open(k.path)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	var ino uint64
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		ino = st.Ino
	}
	if ino != k.ino || fi.Size() < k.offset {
		if k.ino != 0 {
			k.log.Info("Kea's lease file was replaced; reading it again", "file", k.path)
		}
		k.ino, k.offset, k.header, k.lines, k.longLine = ino, 0, nil, 0, false
	}
	var buf []byte
	for k.offset < fi.Size() {
		if err := ctx.Err(); err != nil {
			return err
		}
		n := min(fi.Size()-k.offset, keaReadChunk)
		if int64(cap(buf)) < n {
			buf = make([]byte, n)
		}
		chunk := buf[:n]
		if m, err := f.ReadAt(chunk, k.offset); m < len(chunk) {
			return fmt.Errorf("read at offset %d: %w", k.offset, err)
		}
		if k.longLine {
			// The rest of a line longer than a chunk: skip to its end.
			nl := bytes.IndexByte(chunk, '\n')
			if nl < 0 {
				k.offset += n
				continue
			}
			k.offset += int64(nl) + 1
			k.lines++
			k.longLine = false
			k.sink.KeaBadRows(1)
			k.log.Warn("bad row in Kea's lease file skipped", "file", k.path, "line", k.lines,
				"err", fmt.Sprintf("line longer than %d bytes", keaReadChunk))
			continue
		}
		end := bytes.LastIndexByte(chunk, '\n')
		if end < 0 {
			if n < keaReadChunk {
				return nil // only part of a line: Kea may be writing it
			}
			k.offset += n
			k.longLine = true
			continue
		}
		if err := k.apply(ctx, chunk[:end+1]); err != nil {
			return err
		}
	}
	return nil
}

// apply hands the rows of chunk, whole lines at the file's offset, to the
// sink and moves the offset past them.
func (k *KeaFile) apply(ctx context.Context, chunk []byte) error {
	if k.header == nil {
		nl := bytes.IndexByte(chunk, '\n')
		k.header = bytes.Clone(chunk[:nl+1])
	}
	var r *kealease.Reader
	skip := 0 // lines of the stream before the file's own
	if k.offset == 0 {
		r = kealease.NewReader(bytes.NewReader(chunk))
	} else {
		r = kealease.NewReader(io.MultiReader(bytes.NewReader(k.header), bytes.NewReader(chunk)))
		skip = 1
	}
	rows := make([]kealease.Lease, 0, rowsPerBatch)
	for r.Next() {
		rows = append(rows, r.Lease())
		if len(rows) == rowsPerBatch {
			if err := k.sink.KeaRows(ctx, rows); err != nil {
				return err
			}
			rows = make([]kealease.Lease, 0, rowsPerBatch)
		}
	}
	if err := r.Err(); err != nil {
		return fmt.Errorf("%s: %w", k.path, err)
	}
	if len(rows) > 0 {
		if err := k.sink.KeaRows(ctx, rows); err != nil {
			return err
		}
	}
	if n := r.BadRows(); n > 0 {
		k.sink.KeaBadRows(n)
		for i, e := range r.RowErrors() {
			if i == 5 {
				k.log.Warn("more bad rows in Kea's lease file", "file", k.path, "bad_rows", n)
				break
			}
			k.log.Warn("bad row in Kea's lease file skipped", "file", k.path, "line", e.Line-skip+k.lines, "err", e)
		}
	}
	k.lines += r.Lines() - skip
	k.offset += int64(len(chunk))
	return nil
}
