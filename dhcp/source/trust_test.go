package source

import (
	"context"
	"encoding/binary"
	"net"
	"net/netip"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/stadsnat/accessd/internal/testkit"
)

// Only datagrams from dhcp.relay.allowed_sources reach the sink; the rest
// are counted and dropped. The second sender is 127.0.0.2, another
// loopback address of this host.
func TestRelayDropsUntrustedSources(t *testing.T) {
	c, err := ListenRelay("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &sink{}
	r := NewRelay([]*net.UDPConn{c}, []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}, s, quiet())
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	send := func(from string, n int) {
		out, err := net.DialUDP("udp4", &net.UDPAddr{IP: net.ParseIP(from)}, c.LocalAddr().(*net.UDPAddr))
		if err != nil {
			t.Fatal(err)
		}
		defer out.Close()
		for range n {
			if _, err := out.Write([]byte("from " + from)); err != nil {
				t.Fatal(err)
			}
		}
	}
	send("127.0.0.2", 7)
	send("127.0.0.1", 3)
	testkit.WaitUntil(t, 5*time.Second, "3 trusted and 7 untrusted datagrams", func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return len(s.pkts) == 3 && s.untrusted == 7
	})
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run: %v", err)
	}
	for _, p := range s.pkts {
		if p != "from 127.0.0.1" {
			t.Errorf("untrusted datagram reached the sink: %q", p)
		}
	}
}

// No allowed source trusts no one; an IPv4-mapped source is judged as
// IPv4 (the sockaddr is read unmapped); an unknown source is not trusted.
func TestTrusted(t *testing.T) {
	lo := []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
	in4 := func(a [4]byte, port uint16) (*unix.RawSockaddrInet6, uint32) {
		var sa unix.RawSockaddrInet6
		sa4 := (*unix.RawSockaddrInet4)(unsafe.Pointer(&sa))
		sa4.Family, sa4.Addr = unix.AF_INET, a
		binary.BigEndian.PutUint16((*[2]byte)(unsafe.Pointer(&sa4.Port))[:], port)
		return &sa, unix.SizeofSockaddrInet4
	}
	in6 := func(s string, port uint16) (*unix.RawSockaddrInet6, uint32) {
		sa := unix.RawSockaddrInet6{Family: unix.AF_INET6, Addr: netip.MustParseAddr(s).As16()}
		binary.BigEndian.PutUint16((*[2]byte)(unsafe.Pointer(&sa.Port))[:], port)
		return &sa, unix.SizeofSockaddrInet6
	}
	unknown := func() (*unix.RawSockaddrInet6, uint32) {
		return &unix.RawSockaddrInet6{Family: unix.AF_UNIX}, unix.SizeofSockaddrInet6
	}
	short := func() (*unix.RawSockaddrInet6, uint32) {
		sa, _ := in6("::ffff:127.0.0.1", 67)
		return sa, unix.SizeofSockaddrInet4
	}
	for i, tc := range []struct {
		allowed []netip.Prefix
		sa      func() (*unix.RawSockaddrInet6, uint32)
		want    bool
	}{
		{nil, func() (*unix.RawSockaddrInet6, uint32) { return in4([4]byte{127, 0, 0, 1}, 67) }, false},
		{lo, func() (*unix.RawSockaddrInet6, uint32) { return in4([4]byte{127, 0, 0, 1}, 67) }, true},
		{lo, func() (*unix.RawSockaddrInet6, uint32) { return in6("::ffff:127.0.0.1", 67) }, true},
		{lo, func() (*unix.RawSockaddrInet6, uint32) { return in4([4]byte{127, 0, 0, 2}, 67) }, false},
		{lo, unknown, false},
		{lo, short, false},
		{lo, func() (*unix.RawSockaddrInet6, uint32) { return &unix.RawSockaddrInet6{}, 0 }, false},
	} {
		a := sockaddrAddrPort(tc.sa())
		if got := trusted(tc.allowed, a.Addr()); got != tc.want {
			t.Errorf("case %d: trusted(%v, %v) = %v", i, tc.allowed, a, got)
		}
		if a.IsValid() && a.Port() != 67 {
			t.Errorf("case %d: port %d, want 67", i, a.Port())
		}
	}
}
