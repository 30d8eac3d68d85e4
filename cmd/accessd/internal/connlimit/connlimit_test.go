package connlimit

import (
	"errors"
	"net"
	"net/netip"
	"testing"
	"time"
)

// dial connects from the loopback address from and reports whether the
// connection stays open (a refused one is closed at once: EOF).
func dial(t *testing.T, ln net.Listener, from string) (net.Conn, bool) {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}}
	c, err := d.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	_, err = c.Read(make([]byte, 1))
	var ne net.Error
	return c, errors.As(err, &ne) && ne.Timeout()
}

func TestLimits(t *testing.T) {
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	lim := New(Options{Max: 4, PerSource: 2, Exempt: []netip.Prefix{netip.MustParsePrefix("127.0.0.9/32")}})
	l := lim.Listen(inner)
	accepted := make(chan net.Conn, 16)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				close(accepted)
				return
			}
			accepted <- c
		}
	}()
	defer l.Close()
	if _, ok := dial(t, l, "127.0.0.1"); !ok {
		t.Fatal("first connection refused")
	}
	dial(t, l, "127.0.0.1")
	if _, ok := dial(t, l, "127.0.0.1"); ok {
		t.Error("a third connection from one source stayed open")
	}
	dial(t, l, "127.0.0.9")
	if _, ok := dial(t, l, "127.0.0.9"); !ok {
		t.Error("an exempt source was bounded")
	}
	if _, ok := dial(t, l, "127.0.0.2"); ok {
		t.Error("a fifth connection stayed open")
	}
	st := lim.Stats()
	if st.Open != 4 || st.RefusedSource != 1 || st.RefusedTotal != 1 {
		t.Errorf("stats %+v", st)
	}
	(<-accepted).Close() // the server closes one: a new one fits
	if _, ok := dial(t, l, "127.0.0.2"); !ok {
		t.Error("no room after a close")
	}
	c := <-accepted
	c.Close()
	c.Close() // counted out once
	if st := lim.Stats(); st.Open != 3 {
		t.Errorf("open %d after closing twice", st.Open)
	}
	if nc, ok := c.(interface{ NetConn() net.Conn }); !ok || nc.NetConn() == nil {
		t.Error("NetConn does not reach the connection")
	}
}
