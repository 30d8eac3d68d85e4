package neigh

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"

	"github.com/stadsnat/accessd/dhcp/hwaddr"
)

// ErrNotFound is returned when the table has no usable entry for an IP.
var ErrNotFound = errors.New("no neighbour entry")

// State is a neighbour entry's NUD state bit set (NUD_* in the kernel).
type State uint16

// NUD states.
const (
	Incomplete State = unix.NUD_INCOMPLETE
	Reachable  State = unix.NUD_REACHABLE
	Stale      State = unix.NUD_STALE
	Delay      State = unix.NUD_DELAY
	Probe      State = unix.NUD_PROBE
	Failed     State = unix.NUD_FAILED
	NoARP      State = unix.NUD_NOARP
	Permanent  State = unix.NUD_PERMANENT
)

func (s State) String() string {
	var parts []string
	for _, x := range []struct {
		s State
		n string
	}{{Incomplete, "incomplete"}, {Reachable, "reachable"}, {Stale, "stale"}, {Delay, "delay"}, {Probe, "probe"}, {Failed, "failed"}, {NoARP, "noarp"}, {Permanent, "permanent"}} {
		if s&x.s != 0 {
			parts = append(parts, x.n)
		}
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, "|")
}

func (s State) rank() int {
	switch {
	case s&Permanent != 0:
		return 6
	case s&Reachable != 0:
		return 5
	case s&NoARP != 0:
		return 4
	case s&Delay != 0:
		return 3
	case s&Probe != 0:
		return 2
	case s&Stale != 0:
		return 1
	}
	return 0
}

func (s State) usable() bool { return s&(Incomplete|Failed) == 0 }

// Neighbor is one usable neighbour entry.
type Neighbor struct {
	IP      netip.Addr
	MAC     hwaddr.MAC
	Ifindex int
	State   State
}

// Lookuper finds the neighbour of an IP.
type Lookuper interface {
	Lookup(ctx context.Context, ip netip.Addr) (Neighbor, error)
}

// Options configure Open.
type Options struct {
	// NetNS is a file descriptor of a network namespace to read (0: the
	// namespace of the calling thread). Entering one needs CAP_SYS_ADMIN.
	NetNS int
}

// Table reads the kernel's IPv4 neighbour table. It is safe for concurrent
// use.
type Table struct {
	c *netlink.Conn
	snapshots
}

// Open dials rtnetlink.
func Open(opts Options) (*Table, error) {
	c, err := netlink.Dial(unix.NETLINK_ROUTE, &netlink.Config{NetNS: opts.NetNS})
	if err != nil {
		return nil, fmt.Errorf("neigh: dial rtnetlink: %w", err)
	}
	t := &Table{c: c}
	t.snapshots = newSnapshots(t.Dump, time.Now)
	return t, nil
}

// Close closes the netlink socket.
func (t *Table) Close() error { return t.c.Close() }

// Lookup returns the best usable entry for ip, or ErrNotFound (also for
// an address that is not IPv4: the table holds none), from a recent dump
// of the table (see snapshots). Errors never name the address: callers
// log them, and addresses are personal data.
func (t *Table) Lookup(ctx context.Context, ip netip.Addr) (Neighbor, error) {
	ip = ip.Unmap()
	if !ip.Is4() {
		return Neighbor{}, fmt.Errorf("neigh: only IPv4 addresses have entries: %w", ErrNotFound)
	}
	return t.lookup(ctx, ip)
}

func best(all []Neighbor, ip netip.Addr) (Neighbor, error) {
	var found Neighbor
	ok := false
	for _, n := range all {
		if n.IP != ip {
			continue
		}
		if !ok || n.State.rank() > found.State.rank() || (n.State.rank() == found.State.rank() && n.Ifindex < found.Ifindex) {
			found, ok = n, true
		}
	}
	if !ok {
		return Neighbor{}, fmt.Errorf("neigh: %w", ErrNotFound)
	}
	return found, nil
}

// Dump returns every usable IPv4 neighbour entry.
func (t *Table) Dump(ctx context.Context) ([]Neighbor, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(5 * time.Second)
	}
	if err := t.c.SetDeadline(deadline); err != nil {
		return nil, fmt.Errorf("neigh: set deadline: %w", err)
	}
	req := netlink.Message{
		Header: netlink.Header{Type: unix.RTM_GETNEIGH, Flags: netlink.Request | netlink.Dump},
		Data:   ndmsg(unix.AF_INET),
	}
	msgs, err := t.c.Execute(req)
	if err != nil {
		return nil, fmt.Errorf("neigh: RTM_GETNEIGH dump: %w", err)
	}
	out := make([]Neighbor, 0, len(msgs))
	for _, m := range msgs {
		n, ok, err := parse(m)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, n)
		}
	}
	return out, nil
}

const ndmsgLen = 12 // struct ndmsg: family, pad1, pad2(2), ifindex(4), state(2), flags, type

func ndmsg(family uint8) []byte {
	b := make([]byte, ndmsgLen)
	b[0] = family
	return b
}

// parse decodes one RTM_NEWNEIGH message; ok is false for entries we skip.
func parse(m netlink.Message) (Neighbor, bool, error) {
	if m.Header.Type != unix.RTM_NEWNEIGH {
		return Neighbor{}, false, nil
	}
	if len(m.Data) < ndmsgLen {
		return Neighbor{}, false, fmt.Errorf("neigh: RTM_NEWNEIGH of %d bytes, want at least %d", len(m.Data), ndmsgLen)
	}
	if m.Data[0] != unix.AF_INET {
		return Neighbor{}, false, nil
	}
	n := Neighbor{
		Ifindex: int(int32(binary.NativeEndian.Uint32(m.Data[4:8]))),
		State:   State(binary.NativeEndian.Uint16(m.Data[8:10])),
	}
	ad, err := netlink.NewAttributeDecoder(m.Data[ndmsgLen:])
	if err != nil {
		return Neighbor{}, false, fmt.Errorf("neigh: attributes: %w", err)
	}
	var haveIP, haveMAC bool
	for ad.Next() {
		switch ad.Type() {
		case unix.NDA_DST:
			if a, ok := netip.AddrFromSlice(ad.Bytes()); ok && a.Is4() {
				n.IP, haveIP = a, true
			}
		case unix.NDA_LLADDR:
			n.MAC, haveMAC = hwaddr.FromBytes(ad.Bytes())
		}
	}
	if err := ad.Err(); err != nil {
		return Neighbor{}, false, fmt.Errorf("neigh: attributes: %w", err)
	}
	if !haveIP || !haveMAC || !n.State.usable() {
		return Neighbor{}, false, nil
	}
	return n, true, nil
}

// Static is a fixed table, for tests of code that depends on Lookuper.
type Static map[netip.Addr]Neighbor

// Lookup implements Lookuper.
func (s Static) Lookup(ctx context.Context, ip netip.Addr) (Neighbor, error) {
	if err := ctx.Err(); err != nil {
		return Neighbor{}, err
	}
	if n, ok := s[ip.Unmap()]; ok {
		return n, nil
	}
	return Neighbor{}, fmt.Errorf("neigh: %w", ErrNotFound)
}
