package testkit

import (
	"net"
	"testing"
)

// FreeTCPAddr returns a loopback address "127.0.0.1:PORT" whose TCP port
// was free a moment ago (the kernel chose it), for a daemon's
// configuration.
func FreeTCPAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// FreeUDPPort returns a UDP port on 127.0.0.1 that was free a moment ago
// (the kernel chose it).
func FreeUDPPort(t testing.TB) int {
	t.Helper()
	c, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port
}
