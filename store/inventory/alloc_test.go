package inventory_test

import (
	"bytes"
	"errors"
	"runtime"
	"strings"
	"testing"

	"github.com/stadsnat/accessd/store/inventory"
)

// Reading an inventory, as the import API and accessctl import do (every
// good access kept in a slice), allocates at most allocPerByte bytes in
// all per byte of input, plus allocBase for the readers' buffers: a
// hostile file cannot make accessd allocate a multiple of its size that
// grows with how many problems it packs into a byte (1.5 MB of [{},{},…]
// once took 1.8 GB). A valid 100,000-access file allocates about 18 bytes
// per byte (CSV) or 5 (JSON); a file of the shortest valid CSV rows about
// 30.
const (
	allocPerByte = 64
	allocBase    = 1 << 20
)

// readAlloc reads data as the import path does and returns what it
// allocated, the accesses and the error.
func readAlloc(f inventory.Format, data []byte) (uint64, int, error) {
	var in []inventory.Access
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	err := inventory.Read(f, bytes.NewReader(data), func(_ int, a inventory.Access) error {
		in = append(in, a)
		return nil
	})
	runtime.ReadMemStats(&m1)
	return m1.TotalAlloc - m0.TotalAlloc, len(in), err
}

func checkAlloc(t *testing.T, f inventory.Format, data []byte) {
	t.Helper()
	got, _, err := readAlloc(f, data)
	limit := uint64(allocPerByte*len(data) + allocBase)
	if got > limit {
		t.Fatalf("reading %d bytes of %s allocated %d bytes (%.0f per byte), more than %d per byte + %d",
			len(data), f, got, float64(got)/float64(max(len(data), 1)), allocPerByte, allocBase)
	}
	var ps *inventory.Problems
	if errors.As(err, &ps) && (len(ps.List) > inventory.MaxProblems || ps.Count() < len(ps.List)) {
		t.Fatalf("%d problems listed of %d: at most %d may be", len(ps.List), ps.Count(), inventory.MaxProblems)
	}
}

// emptyObjects is a JSON array of n empty objects, the input of issue 12.
func emptyObjects(n int) []byte {
	return []byte("[" + strings.Repeat("{},", n-1) + "{}]")
}

// shortRows is a CSV of n rows that each break nine rules.
func shortRows(n int) []byte {
	return []byte(csvHeader + strings.Repeat(",,,,,,,,,,,,,,,,,,,,\n", n))
}

func FuzzReadAlloc(f *testing.F) {
	f.Add([]byte(specExample), false)
	f.Add([]byte(onapiExample), true)
	for _, tc := range badCSVCases() {
		f.Add([]byte(csvHeader+tc.row), false)
	}
	for _, tc := range badJSONCases() {
		f.Add([]byte(tc.in), true)
	}
	f.Add(emptyObjects(20000), true)
	f.Add(shortRows(5000), false)
	f.Add([]byte("["+strings.Repeat("\n", 50000)+"{}]"), true)
	f.Fuzz(func(t *testing.T, data []byte, isJSON bool) {
		format := inventory.CSV
		if isJSON {
			format = inventory.JSON
		}
		checkAlloc(t, format, data)
	})
}

// The input of issue 12: 1.5 MB of empty objects. Every problem is
// counted, the first MaxProblems are listed, and reading allocates a
// bounded multiple of the input.
func TestEmptyObjectsAreCheap(t *testing.T) {
	data := emptyObjects(500_000)
	got, n, err := readAlloc(inventory.JSON, data)
	var ps *inventory.Problems
	if n != 0 || !errors.As(err, &ps) {
		t.Fatalf("%d accesses, %v", n, err)
	}
	if len(ps.List) != inventory.MaxProblems || ps.Count() < 500_000*5 {
		t.Errorf("%d problems listed, %d counted", len(ps.List), ps.Count())
	}
	if limit := uint64(allocPerByte*len(data) + allocBase); got > limit {
		t.Errorf("%d bytes of empty objects allocated %d bytes (%.0f per byte)", len(data), got, float64(got)/float64(len(data)))
	}
	t.Logf("%d bytes of empty objects: %d problems, %d listed, %d bytes allocated (%.2f per byte)",
		len(data), ps.Count(), len(ps.List), got, float64(got)/float64(len(data)))
	for _, csvData := range [][]byte{shortRows(100_000)} {
		checkAlloc(t, inventory.CSV, csvData)
	}
}
