package web

import (
	"net/http"
	"time"

	"github.com/stadsnat/accessd/store"
)

// Export opens the accesses export a request asks for: everything, or with
// If-Modified-Since what changed since then. It sets Last-Modified, which
// the standards require on every 200 and accessd also sends on a 304. When
// nothing changed it answers 304 Not Modified itself (with contentType304,
// if not empty, as Content-Type) and returns a nil snapshot; otherwise the
// caller streams the snapshot and must Close it.
func Export(w http.ResponseWriter, r *http.Request, db *store.DB, contentType304 string) (*store.Snapshot, error) {
	since, incremental := IfModifiedSince(r)
	if !incremental {
		since = time.Time{}
	}
	snap, err := db.Accesses(since)
	if err != nil {
		return nil, Internal(err)
	}
	SetLastModified(w, snap.LastModified)
	if incremental && snap.Count == 0 {
		snap.Close()
		if contentType304 != "" {
			w.Header().Set("Content-Type", contentType304)
		}
		w.WriteHeader(http.StatusNotModified)
		return nil, nil
	}
	return snap, nil
}
