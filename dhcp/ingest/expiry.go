package ingest

import (
	"slices"
	"time"

	"github.com/stadsnat/accessd/dhcp/binding"
	"github.com/stadsnat/accessd/dhcp/hwaddr"
)

// expiries lists the active bindings by the second their expiry falls in,
// so that a sweep looks at the bindings that may be due instead of every
// active one (a million of them every sweep interval). An entry is a hint
// written when a binding gets an expiry: the binding may have been
// renewed, ended or forgotten since, and the sweep checks it again.
type expiries struct {
	bySec map[int64][]hwaddr.MAC
}

func newExpiries() expiries { return expiries{bySec: map[int64][]hwaddr.MAC{}} }

// note lists b when it is active, holds an address and expires.
func (x *expiries) note(b *binding.Binding) {
	if !b.State.Active() || !b.IP.IsValid() || b.Expires.IsZero() {
		return
	}
	sec := b.Expires.Unix()
	x.bySec[sec] = append(x.bySec[sec], b.MAC)
}

// take removes and returns the lists of the seconds up to now's, oldest
// first.
func (x *expiries) take(now time.Time) [][]hwaddr.MAC {
	var secs []int64
	for sec := range x.bySec {
		if sec <= now.Unix() {
			secs = append(secs, sec)
		}
	}
	slices.Sort(secs)
	out := make([][]hwaddr.MAC, len(secs))
	for i, sec := range secs {
		out[i] = x.bySec[sec]
		delete(x.bySec, sec)
	}
	return out
}
