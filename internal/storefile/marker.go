package storefile

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// Marker is what the state directory remembers of its store, beside it
// (MarkerPath): that it held data, which store it was and the last
// transaction accessd saw committed.
type Marker struct {
	// Store is the store's identity: its creation time, from its meta
	// bucket (a backup of the same store has the same one).
	Store    string    `json:"store"`
	TxID     uint64    `json:"txid"`
	Accesses int       `json:"accesses"`
	Bytes    int64     `json:"bytes"`
	Written  time.Time `json:"written"`
}

// MarkerPath is the marker of the store file at storePath.
func MarkerPath(storePath string) string { return storePath + ".marker" }

// ReadMarker reads the marker at path; ok is false when there is none.
func ReadMarker(path string) (m Marker, ok bool, err error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return Marker{}, false, nil
	}
	if err != nil {
		return Marker{}, false, fmt.Errorf("read the store marker: %w", err)
	}
	if err := json.Unmarshal(b, &m); err != nil || m.Store == "" {
		return Marker{}, false, fmt.Errorf("the store marker %s is unreadable (%v): it is written again", path, err)
	}
	return m, true, nil
}

// WriteMarker writes m to path atomically: a temporary file in the same
// directory, synced, renamed over the old one, and the directory synced.
func WriteMarker(path string, m Marker) error {
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, ".marker-*")
	if err != nil {
		return fmt.Errorf("write the store marker: %w", err)
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.Write(append(b, '\n'))
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), 0o640)
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return fmt.Errorf("write the store marker: %w", err)
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}
