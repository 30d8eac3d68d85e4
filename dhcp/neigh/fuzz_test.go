package neigh

import (
	"testing"

	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"
)

// FuzzParse: any RTM_NEWNEIGH payload parses or fails without panicking,
// and a usable entry has an IPv4 address and a usable state.
func FuzzParse(f *testing.F) {
	seed := msg(unix.AF_INET, 3, Reachable,
		netlink.Attribute{Type: unix.NDA_DST, Data: []byte{10, 0, 0, 1}},
		netlink.Attribute{Type: unix.NDA_LLADDR, Data: []byte{2, 0, 0, 0, 0, 1}})
	f.Add(seed.Data)
	f.Add([]byte{2, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		n, ok, err := parse(netlink.Message{Header: netlink.Header{Type: unix.RTM_NEWNEIGH}, Data: b})
		if err != nil || !ok {
			return
		}
		if !n.IP.Is4() || !n.State.usable() {
			t.Fatalf("usable entry %+v", n)
		}
	})
}
