package web

import (
	"net/http"
	"strconv"
	"sync/atomic"
)

// maxSharedLength bounds the lengths a Lengths shares a value for: the
// answers of the look-ups are a few hundred bytes.
const maxSharedLength = 2048

// Lengths are Content-Length header values shared between answers, one
// per length: the answers of a look-up have a handful of lengths, and a
// value of its own is two allocations a request (its digits and its
// slice). A shared value has len == cap, as the shared values of fast.go,
// so that an Add after it copies instead of writing into it. A Lengths
// must not be copied; a nil one shares nothing.
type Lengths struct {
	byLen [maxSharedLength]atomic.Pointer[[]string]
}

// SetContentLength sets Content-Length: n.
func (l *Lengths) SetContentLength(h http.Header, n int) {
	h["Content-Length"] = l.value(n)
}

func (l *Lengths) value(n int) []string {
	if l == nil || n < 0 || n >= maxSharedLength {
		return []string{strconv.Itoa(n)}
	}
	if v := l.byLen[n].Load(); v != nil {
		return *v
	}
	v := []string{strconv.Itoa(n)}
	l.byLen[n].Store(&v)
	return v
}
