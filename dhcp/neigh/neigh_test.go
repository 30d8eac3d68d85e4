package neigh

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"

	"github.com/stadsnat/accessd/dhcp/hwaddr"
	"github.com/stadsnat/accessd/internal/testkit"
)

var cmpAddr = cmp.Comparer(func(a, b netip.Addr) bool { return a == b })

// TestNamespace creates a namespace with a veth pair, adds a permanent
// neighbour entry and finds it over rtnetlink.
func TestNamespace(t *testing.T) {
	netns := testkit.NewNetns(t, testkit.UniqueName("adt-neigh-", 40))
	ns := netns.Name
	run := func(args ...string) {
		t.Helper()
		testkit.Run(t, append([]string{"ip"}, args...)...)
	}
	testkit.Veth(t, netns, "adt-nb0", netns, "adt-nb1")
	run("-n", ns, "addr", "add", "10.251.0.1/24", "dev", "adt-nb0")
	run("-n", ns, "neigh", "add", "10.251.0.2", "lladdr", "02:00:5e:00:53:01", "dev", "adt-nb0", "nud", "permanent")
	run("-n", ns, "neigh", "add", "10.251.0.3", "dev", "adt-nb0", "nud", "incomplete")

	f, err := os.Open("/run/netns/" + ns)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tab, err := Open(Options{NetNS: int(f.Fd())})
	if err != nil {
		t.Fatal(err)
	}
	defer tab.Close()

	var lk Lookuper = tab
	got, err := lk.Lookup(context.Background(), netip.MustParseAddr("10.251.0.2"))
	if err != nil {
		t.Fatal(err)
	}
	idx, err := exec.Command("ip", "-n", ns, "-o", "link", "show", "adt-nb0").Output()
	if err != nil {
		t.Fatal(err)
	}
	var ifindex int
	fmt.Sscanf(string(idx), "%d:", &ifindex)
	want := Neighbor{IP: netip.MustParseAddr("10.251.0.2"), MAC: hwaddr.MAC{0x02, 0x00, 0x5e, 0x00, 0x53, 0x01}, Ifindex: ifindex, State: Permanent}
	if diff := cmp.Diff(want, got, cmpAddr); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	for _, ip := range []string{"10.251.0.3", "10.251.0.9"} {
		if _, err := tab.Lookup(context.Background(), netip.MustParseAddr(ip)); !errors.Is(err, ErrNotFound) {
			t.Errorf("Lookup(%s) = %v, want ErrNotFound", ip, err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := tab.Lookup(ctx, netip.MustParseAddr("10.251.0.2")); !errors.Is(err, context.Canceled) {
		t.Errorf("Lookup with cancelled context = %v", err)
	}
}

func msg(family uint8, ifindex int32, state State, attrs ...netlink.Attribute) netlink.Message {
	b := make([]byte, ndmsgLen)
	b[0] = family
	binary.NativeEndian.PutUint32(b[4:], uint32(ifindex))
	binary.NativeEndian.PutUint16(b[8:], uint16(state))
	ab, err := netlink.MarshalAttributes(attrs)
	if err != nil {
		panic(err)
	}
	return netlink.Message{Header: netlink.Header{Type: unix.RTM_NEWNEIGH}, Data: append(b, ab...)}
}

func TestParseAndBest(t *testing.T) {
	ip := []byte{10, 0, 0, 1}
	mac1 := []byte{2, 0, 0, 0, 0, 1}
	mac2 := []byte{2, 0, 0, 0, 0, 2}
	msgs := []netlink.Message{
		msg(unix.AF_INET, 3, Stale, netlink.Attribute{Type: unix.NDA_DST, Data: ip}, netlink.Attribute{Type: unix.NDA_LLADDR, Data: mac1}),
		msg(unix.AF_INET, 5, Reachable, netlink.Attribute{Type: unix.NDA_DST, Data: ip}, netlink.Attribute{Type: unix.NDA_LLADDR, Data: mac2}),
		msg(unix.AF_INET, 2, Failed, netlink.Attribute{Type: unix.NDA_DST, Data: ip}, netlink.Attribute{Type: unix.NDA_LLADDR, Data: mac1}),
		msg(unix.AF_INET, 2, Reachable, netlink.Attribute{Type: unix.NDA_DST, Data: []byte{10, 0, 0, 2}}),
		msg(unix.AF_INET6, 2, Reachable, netlink.Attribute{Type: unix.NDA_DST, Data: make([]byte, 16)}, netlink.Attribute{Type: unix.NDA_LLADDR, Data: mac1}),
	}
	var all []Neighbor
	for _, m := range msgs {
		n, ok, err := parse(m)
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			all = append(all, n)
		}
	}
	if len(all) != 2 {
		t.Fatalf("parsed %d usable entries: %+v", len(all), all)
	}
	got, err := best(all, netip.MustParseAddr("10.0.0.1"))
	if err != nil {
		t.Fatal(err)
	}
	want := Neighbor{IP: netip.MustParseAddr("10.0.0.1"), MAC: hwaddr.MAC(mac2), Ifindex: 5, State: Reachable}
	if diff := cmp.Diff(want, got, cmpAddr); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if _, _, err := parse(netlink.Message{Header: netlink.Header{Type: unix.RTM_NEWNEIGH}, Data: []byte{2}}); err == nil {
		t.Error("short message accepted")
	}
	if s := (Reachable | Permanent).String(); s != "reachable|permanent" {
		t.Errorf("State.String = %q", s)
	}
}

func TestStatic(t *testing.T) {
	n := Neighbor{IP: netip.MustParseAddr("10.0.0.1"), MAC: hwaddr.MAC{2, 0, 0, 0, 0, 1}, State: Permanent}
	var lk Lookuper = Static{n.IP: n}
	got, err := lk.Lookup(context.Background(), netip.MustParseAddr("::ffff:10.0.0.1"))
	if err != nil || got != n {
		t.Errorf("Lookup = %+v, %v", got, err)
	}
	if _, err := lk.Lookup(context.Background(), netip.MustParseAddr("10.0.0.2")); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing entry: %v", err)
	}
}

// An address the IPv4 table cannot hold (an IPv6 browser at the bounce URL,
// accessctl lookup ip of an IPv6 address) has no entry, like any other
// address without one; and no error names the address, since callers log
// them above debug level and addresses are personal data.
func TestLookupErrorsNotFoundWithoutAddress(t *testing.T) {
	v6 := netip.MustParseAddr("2001:db8::4711")
	v4 := netip.MustParseAddr("10.0.0.9")
	tab := &Table{} // never dialled: a non-IPv4 address is answered before any dump
	_, err6 := tab.Lookup(context.Background(), v6)
	_, errBest := best(nil, v4)
	_, errStatic := Static{}.Lookup(context.Background(), v4)
	for _, c := range []struct {
		name string
		err  error
		ip   netip.Addr
	}{{"Table.Lookup(IPv6)", err6, v6}, {"best", errBest, v4}, {"Static.Lookup", errStatic, v4}} {
		if !errors.Is(c.err, ErrNotFound) {
			t.Errorf("%s = %v, want ErrNotFound", c.name, c.err)
		}
		if c.err != nil && strings.Contains(c.err.Error(), c.ip.String()) {
			t.Errorf("%s: error %q names the address", c.name, c.err)
		}
	}
}
