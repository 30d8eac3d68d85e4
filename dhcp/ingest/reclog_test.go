package ingest

import (
	"testing"

	"github.com/stadsnat/accessd/dhcp/hwaddr"
	"github.com/stadsnat/accessd/store"
)

// A recLog keeps every copy at its index across its small first array and
// its pooled chunks, replaces one in place, and is empty and reusable
// after release.
func TestRecLogAcrossChunks(t *testing.T) {
	l := recLog{pool: newRecChunks()}
	rec := func(i int) store.BindingRecord {
		return store.BindingRecord{MAC: store.MAC(hwaddr.MAC{2, 0, byte(i >> 16), byte(i >> 8), byte(i), 0})}
	}
	for round := range 2 {
		n := recFirst + 2*recChunk + 3
		for i := range n {
			if got := l.add(rec(i)); got != i {
				t.Fatalf("round %d: add %d returned index %d", round, i, got)
			}
		}
		l.set(recFirst, rec(n+1))
		for i := range n {
			want := rec(i)
			if i == recFirst {
				want = rec(n + 1)
			}
			if l.at(i).MAC != want.MAC {
				t.Fatalf("round %d: copy %d is %v, want %v", round, i, l.at(i).MAC, want.MAC)
			}
		}
		l.release()
		if l.n != 0 || len(l.chunks) != 0 || l.first[0].MAC != (store.MAC{}) {
			t.Fatalf("round %d: after release n=%d chunks=%d", round, l.n, len(l.chunks))
		}
	}
}
