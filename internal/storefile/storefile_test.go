package storefile

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	bolt "go.etcd.io/bbolt"
)

// newFile makes a bbolt file with some data and n more transactions.
func newFile(t *testing.T, n int) (string, []byte) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "accessd.db")
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if err := db.Update(func(tx *bolt.Tx) error {
			b, err := tx.CreateBucketIfNotExists([]byte("b"))
			if err != nil {
				return err
			}
			return b.Put([]byte{byte(i)}, make([]byte, 3000))
		}); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return path, b
}

func TestCheck(t *testing.T) {
	path, good := newFile(t, 20)
	info, err := Check(path)
	if err != nil || info.DamagedMeta() != -1 || info.TxID() < 20 || info.Size != int64(len(good)) {
		t.Fatalf("a good file: %+v, %v", info, err)
	}
	ps := int(info.Meta[0].PageSize)
	write := func(b []byte) {
		t.Helper()
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name string
		file []byte
		want string // in the error; "" = no error
	}{
		{"truncated", good[:3*ps], "it was cut short"},
		{"zeroed", make([]byte, len(good)), "neither meta page is valid"},
		{"cut within the first page", good[:100], "it was cut short"},
		{"cut within the first meta", good[:50], "neither meta page is valid"},
		{"empty", nil, ""},
	} {
		write(tc.file)
		_, err := Check(path)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.want != "" && (!errors.Is(err, ErrDamaged) || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: %v, want ErrDamaged saying %q", tc.name, err, tc.want)
		}
	}
	// One damaged meta page: the file opens at the other one, and Check
	// says which is damaged.
	cur := info.Current
	bad := append([]byte(nil), good...)
	bad[cur*ps+pageHeader+48] ^= 0xff // the txid of the newest meta
	write(bad)
	info2, err := Check(path)
	if err != nil || info2.DamagedMeta() != cur || info2.Current == cur || info2.TxID() != info.TxID()-1 {
		t.Errorf("newest meta damaged: %+v, %v", info2, err)
	}
	write(nil)
	if info, err := Check(path); err != nil || info.DamagedMeta() != -1 {
		t.Errorf("an empty file: %+v %v", info, err)
	}
	if _, err := Check(filepath.Join(t.TempDir(), "none")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a missing file: %v", err)
	}
}

func TestMarker(t *testing.T) {
	path := MarkerPath(filepath.Join(t.TempDir(), "accessd.db"))
	if _, ok, err := ReadMarker(path); ok || err != nil {
		t.Fatalf("no marker: %v %v", ok, err)
	}
	m := Marker{Store: "0123", TxID: 42, Accesses: 7, Bytes: 1 << 20, Written: time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)}
	if err := WriteMarker(path, m); err != nil {
		t.Fatal(err)
	}
	got, ok, err := ReadMarker(path)
	if !ok || err != nil {
		t.Fatalf("%v %v", ok, err)
	}
	if diff := cmp.Diff(m, got); diff != "" {
		t.Errorf("marker (-want +got):\n%s", diff)
	}
	os.WriteFile(path, []byte("{garbage"), 0o600)
	if _, ok, err := ReadMarker(path); ok || err == nil {
		t.Errorf("a damaged marker: %v %v", ok, err)
	}
}

// Check never panics, and a file it passes holds every page its current
// meta page names.
func FuzzCheck(f *testing.F) {
	dir := f.TempDir()
	src := filepath.Join(dir, "seed.db")
	db, err := bolt.Open(src, 0o600, &bolt.Options{PageSize: 1024})
	if err != nil {
		f.Fatal(err)
	}
	db.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucket([]byte("b")); return err })
	db.Close()
	good, err := os.ReadFile(src)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good[:4096])
	f.Add(good[:2048])
	f.Add(good[:100])
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		path := filepath.Join(t.TempDir(), "f.db")
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		info, err := Check(path)
		if err != nil || info.Size == 0 {
			return
		}
		m := info.Meta[info.Current]
		if !m.Valid || info.Size < int64(m.HighPage)*int64(m.PageSize) {
			t.Fatalf("passed a file it should not: %+v", info)
		}
	})
}
