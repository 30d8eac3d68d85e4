package store

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/stadsnat/accessd/store/inventory"
)

// rssFileKB is the process's file-backed resident memory.
func rssFileKB(t *testing.T) int {
	t.Helper()
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Skipf("no /proc/self/status: %v", err)
	}
	for l := range strings.Lines(string(b)) {
		if rest, ok := strings.CutPrefix(l, "RssFile:"); ok {
			n, _ := strconv.Atoi(strings.Fields(rest)[0])
			return n
		}
	}
	t.Skip("no RssFile in /proc/self/status")
	return 0
}

// TestReleaseMapped: the pages a read mapped leave the resident set, and
// the store reads the same afterwards.
func TestReleaseMapped(t *testing.T) {
	d, _ := openTest(t)
	as := make([]inventory.Access, 5000)
	for i := range as {
		as[i] = acc(fmt.Sprintf("A%05d", i), fmt.Sprintf("10.0.%d.%d ge-0/0/%d", i/250, i%250, i%48))
		as[i].StreetName = strings.Repeat("Långgatan ", 20) // bigger records: more pages
	}
	mustImport(t, d, ImportOptions{}, as...)
	if err := d.ReleaseMapped(); err != nil {
		t.Fatal(err)
	}
	read := func() int {
		n := 0
		if err := d.Ports().EachAccessPort(func(_, _, _ string) error { n++; return nil }); err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := rssFileKB(t)
	if n := read(); n != len(as) {
		t.Fatalf("read %d accesses, want %d", n, len(as))
	}
	touched := rssFileKB(t)
	if err := d.ReleaseMapped(); err != nil {
		t.Fatal(err)
	}
	released := rssFileKB(t)
	if touched-before < 1000 || released > before+200 {
		t.Errorf("RssFile %d kB before the read, %d kB after it, %d kB after ReleaseMapped: want the read's pages gone", before, touched, released)
	}
	if n := read(); n != len(as) {
		t.Errorf("after ReleaseMapped: read %d accesses, want %d", n, len(as))
	}
	if a, err := d.Inventory().Access("A04999"); err != nil || a.StreetName != as[4999].StreetName {
		t.Errorf("after ReleaseMapped: A04999 = %+v, %v", a, err)
	}
}
