package source

import (
	"net"
	"testing"
)

// A read of a batch allocates nothing, and gives each datagram whole with
// its sender's address.
func TestBatchReaderAllocatesNothing(t *testing.T) {
	c, err := ListenRelay("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	rc, err := c.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	out, err := net.DialUDP("udp4", nil, c.LocalAddr().(*net.UDPAddr))
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	from := out.LocalAddr().(*net.UDPAddr).AddrPort()
	br := newBatchReader(rc, 8, 512)
	p := []byte("a relayed packet")
	read := func() {
		// One datagram a read: the read never waits for a second.
		if _, err := out.Write(p); err != nil {
			t.Fatal(err)
		}
		n, err := br.read()
		if err != nil || n != 1 {
			t.Fatalf("read: %d, %v", n, err)
		}
		if string(br.packet(0)) != string(p) || br.from(0) != from {
			t.Fatalf("read %q from %v, want %q from %v", br.packet(0), br.from(0), p, from)
		}
	}
	read()
	if a := testing.AllocsPerRun(100, read); a != 0 {
		t.Errorf("%.1f allocations a read, want none", a)
	}
}
