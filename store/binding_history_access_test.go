package store

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	bolt "go.etcd.io/bbolt"
)

// hist is an interval of IP 10.64.0.n held by MAC m on access from hour
// from to hour to.
func hist(n, m byte, access string, from, to int) BindingInterval {
	return BindingInterval{IP: ip(fmt.Sprintf("10.64.0.%d", n)), MAC: mac(m), Access: access, Circuit: "10.0.0.1 ge-0/0/1",
		From: t0.Add(time.Duration(from) * time.Hour), To: t0.Add(time.Duration(to) * time.Hour), Confirmed: true}
}

func accessHistory(t *testing.T, d *DB, access string, limit int) ([]string, bool) {
	t.Helper()
	ivs, more, err := d.Bindings().HistoryOfAccess(access, limit)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, iv := range ivs {
		got = append(got, fmt.Sprintf("%s %s %d-%d", iv.IP, iv.MAC, iv.From.Sub(t0)/time.Hour, iv.To.Sub(t0)/time.Hour))
	}
	return got, more
}

// The history of an access is its intervals on every IP, in time order,
// the newest limit of them; intervals without an access are not indexed;
// the purge takes the index entries with the intervals.
func TestHistoryOfAccess(t *testing.T) {
	d, _ := openTest(t)
	commit(t, d, &BindingCommit{History: []BindingInterval{
		hist(1, 1, "A1", 0, 2), hist(2, 1, "A1", 2, 5), hist(1, 2, "A2", 3, 4), hist(3, 3, "A1", 6, 9),
		hist(4, 4, "", 1, 2), hist(5, 5, "A10", 1, 3), hist(6, 6, "A", 1, 3),
	}})
	for _, c := range []struct {
		access string
		limit  int
		want   []string
		more   bool
	}{
		{"A1", 0, []string{"10.64.0.1 02:00:00:00:00:01 0-2", "10.64.0.2 02:00:00:00:00:01 2-5", "10.64.0.3 02:00:00:00:00:03 6-9"}, false},
		{"A1", 2, []string{"10.64.0.2 02:00:00:00:00:01 2-5", "10.64.0.3 02:00:00:00:00:03 6-9"}, true},
		{"A1", 3, []string{"10.64.0.1 02:00:00:00:00:01 0-2", "10.64.0.2 02:00:00:00:00:01 2-5", "10.64.0.3 02:00:00:00:00:03 6-9"}, false},
		{"A2", 0, []string{"10.64.0.1 02:00:00:00:00:02 3-4"}, false},
		{"A10", 0, []string{"10.64.0.5 02:00:00:00:00:05 1-3"}, false},
		{"A", 0, []string{"10.64.0.6 02:00:00:00:00:06 1-3"}, false},
		{"NONE", 0, nil, false},
	} {
		got, more := accessHistory(t, d, c.access, c.limit)
		if diff := cmp.Diff(c.want, got); diff != "" || more != c.more {
			t.Errorf("%s limit %d: more %v, want %v (-want +got):\n%s", c.access, c.limit, more, c.more, diff)
		}
	}
	if _, _, err := d.Bindings().HistoryOfAccess("", 0); err == nil {
		t.Error("history of the empty AccessId: no error")
	}

	if _, _, err := d.Bindings().PurgeHistory(t0.Add(6 * time.Hour)); err != nil {
		t.Fatal(err)
	}
	if got, _ := accessHistory(t, d, "A1", 0); !cmp.Equal(got, []string{"10.64.0.3 02:00:00:00:00:03 6-9"}) {
		t.Errorf("A1 after the purge: %v", got)
	}
	var left int
	d.view(func(tx *bolt.Tx) error {
		left = tx.Bucket(bucketHistoryAccess).Stats().KeyN
		return nil
	})
	if left != 1 {
		t.Errorf("%d access index entries after the purge, want 1 (A1's last)", left)
	}
}

// An interval written again under the same key with another access (a
// replayed commit) moves its index entry.
func TestHistoryOfAccessRewrite(t *testing.T) {
	d, _ := openTest(t)
	commit(t, d, &BindingCommit{History: []BindingInterval{hist(1, 1, "A1", 0, 2)}})
	commit(t, d, &BindingCommit{History: []BindingInterval{hist(1, 1, "A2", 0, 2)}})
	if got, _ := accessHistory(t, d, "A1", 0); len(got) != 0 {
		t.Errorf("A1 still has %v", got)
	}
	if got, _ := accessHistory(t, d, "A2", 0); len(got) != 1 {
		t.Errorf("A2 has %v, want the interval", got)
	}
}

// The migration that adds the index (the latest, or the one named so)
// indexes the history a file already has.
func TestMigrationIndexesHistoryByAccess(t *testing.T) {
	var version uint64
	for _, m := range migrations() {
		if m.Name == "index the DHCP IP history by access" {
			version = m.Version
		}
	}
	if version == 0 {
		t.Fatal("no migration indexes the history by access")
	}
	path := atSchema(t, version-1, func(tx *bolt.Tx) error {
		if tx.Bucket(bucketHistoryAccess) != nil {
			t.Errorf("bucket %s exists before its migration", bucketHistoryAccess)
		}
		h := tx.Bucket(bucketBindingHistory)
		for _, iv := range []BindingInterval{hist(1, 1, "A1", 0, 2), hist(2, 1, "A1", 2, 5), hist(3, 3, "", 0, 1)} {
			if err := h.Put(intervalKey(&iv), encodeInterval(&iv)); err != nil {
				return err
			}
		}
		return h.Put(append([]byte{10, 64, 0, 9}, make([]byte, 14)...), []byte{99}) // damaged: skipped
	})
	d, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	got, _ := accessHistory(t, d, "A1", 0)
	if diff := cmp.Diff([]string{"10.64.0.1 02:00:00:00:00:01 0-2", "10.64.0.2 02:00:00:00:00:01 2-5"}, got); diff != "" {
		t.Errorf("A1's history after the migration (-want +got):\n%s", diff)
	}
}
