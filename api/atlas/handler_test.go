package atlas

import (
	"strconv"
	"testing"
)

// mbps is strconv.Itoa.
func TestMbps(t *testing.T) {
	for _, n := range []int{0, 1, 10, 99, 100, 101, 250, 500, 999, 1000, 2500, 5000, 10000, 100000, -5} {
		if got, want := mbps(n), strconv.Itoa(n); got != want {
			t.Errorf("mbps(%d) = %q, want %q", n, got, want)
		}
	}
}
