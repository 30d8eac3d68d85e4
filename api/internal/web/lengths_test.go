package web

import (
	"net/http"
	"strconv"
	"sync"
	"testing"
)

// TestLengths: every length gets its own digits, shared or not; a shared
// value is not written into by an Add after it, and costs no allocation.
func TestLengths(t *testing.T) {
	var l Lengths
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for n := g; n < 3*maxSharedLength; n += 7 {
				h := http.Header{}
				l.SetContentLength(h, n)
				if got := h.Get("Content-Length"); got != strconv.Itoa(n) {
					t.Errorf("length %d: %q", n, got)
					return
				}
			}
		})
	}
	wg.Wait()
	var none *Lengths
	h := http.Header{}
	none.SetContentLength(h, 42)
	if got := h.Get("Content-Length"); got != "42" {
		t.Errorf("nil Lengths: %q", got)
	}
	a, b := http.Header{}, http.Header{}
	l.SetContentLength(a, 300)
	l.SetContentLength(b, 300)
	a.Add("Content-Length", "7")
	if got := b.Values("Content-Length"); len(got) != 1 || got[0] != "300" {
		t.Errorf("an Add to one answer's value changed another's: %q", got)
	}
	if n := testing.AllocsPerRun(100, func() { l.SetContentLength(b, 300) }); n != 0 {
		t.Errorf("a shared length: %v allocations", n)
	}
}
