package upstream_test

import (
	"path/filepath"
	"testing"

	"github.com/stadsnat/accessd/cmd/accessd/internal/upstream"
	"github.com/stadsnat/accessd/cmd/accessd/internal/upstream/outbox"
	"github.com/stadsnat/accessd/cmd/accessd/internal/upstream/outbox/storagetest"
	"github.com/stadsnat/accessd/store"
)

// openStore opens a store file in a temporary directory with the outbox's
// budget; it is closed when the test ends.
func openStore(t testing.TB, path string, budget int64) *store.DB {
	t.Helper()
	db, err := store.Open(path, store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	db.Outbox().SetBudget(budget)
	return db
}

// TestStoreOutboxConformance runs the outbox.Storage conformance suite on
// the bbolt store's outbox, reopening the file for the durability checks.
func TestStoreOutboxConformance(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, budget int64) storagetest.Harness {
		path := filepath.Join(t.TempDir(), store.FileName)
		db := openStore(t, path, budget)
		t.Cleanup(func() { db.Close() })
		s := upstream.NewStorage(db.Outbox())
		return storagetest.Harness{Storage: s, Append: s, Reopen: func(t *testing.T) (outbox.Storage, outbox.Appender) {
			if err := db.Close(); err != nil {
				t.Fatal(err)
			}
			db = openStore(t, path, budget)
			s := upstream.NewStorage(db.Outbox())
			return s, s
		}}
	})
}
