package web

import (
	"net/http"
	"time"

	"github.com/stadsnat/accessd/store"
)

// Export opens the accesses export a request asks for: everything, or with
// If-Modified-Since what changed since then (opts says what counts as a
// change; its Since is set here). It sets Last-Modified, which the
// standards require on every 200 and accessd also sends on a 304. When
// nothing changed it answers 304 Not Modified itself (with contentType304,
// if not empty, as Content-Type, as PI V1's and ON-API's examples show)
// and returns a nil snapshot; otherwise the caller streams the snapshot
// and must Close it.
func Export(w http.ResponseWriter, r *http.Request, db *store.DB, contentType304 string, opts store.ExportOptions) (*store.Snapshot, error) {
	since, incremental := IfModifiedSince(r, db.Now())
	opts.Since = time.Time{}
	if incremental {
		opts.Since = since
	}
	snap, err := db.Inventory().Export(opts)
	if err != nil {
		return nil, Internal(err)
	}
	SetLastModified(w, snap.LastModified)
	if incremental && snap.Count == 0 {
		snap.Close()
		NotModified(w, contentType304)
		return nil, nil
	}
	return snap, nil
}

// NotModified answers 304 with contentType, if not empty, as Content-Type.
func NotModified(w http.ResponseWriter, contentType string) {
	if contentType != "" {
		w.Header().Set("Content-Type", contentType)
	}
	w.WriteHeader(http.StatusNotModified)
}
