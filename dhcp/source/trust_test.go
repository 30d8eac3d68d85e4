package source

import (
	"context"
	"net"
	"net/netip"
	"testing"
	"time"

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
// IPv4.
func TestTrusted(t *testing.T) {
	lo := []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
	for _, tc := range []struct {
		allowed []netip.Prefix
		addr    net.Addr
		want    bool
	}{
		{nil, &net.UDPAddr{IP: net.ParseIP("127.0.0.1"), Port: 67}, false},
		{lo, &net.UDPAddr{IP: net.ParseIP("127.0.0.1"), Port: 67}, true},
		{lo, &net.UDPAddr{IP: net.ParseIP("::ffff:127.0.0.1"), Port: 67}, true},
		{lo, &net.UDPAddr{IP: net.ParseIP("127.0.0.2"), Port: 67}, false},
		{lo, &net.UnixAddr{Name: "x"}, false},
		{lo, &net.UDPAddr{}, false},
	} {
		if got := trusted(tc.allowed, tc.addr); got != tc.want {
			t.Errorf("trusted(%v, %v) = %v", tc.allowed, tc.addr, got)
		}
	}
}
