package connwatch

import (
	"io"
	"net"
	"sync"
	"sync/atomic"
)

type listener struct {
	net.Listener
	w *Watch
}

// Accept watches each new connection, in its header phase from now.
func (ln *listener) Accept() (net.Conn, error) {
	nc, err := ln.Listener.Accept()
	if err != nil {
		return nil, err
	}
	c := &conn{Conn: nc, w: ln.w}
	c.enter(header, ln.w.clock.Load())
	ln.w.add(c)
	return c, nil
}

// conn is a watched connection. Its state word holds its phase (low bits)
// and the clock's milliseconds when the phase began.
type conn struct {
	net.Conn
	w     *Watch
	state atomic.Uint64
	once  sync.Once
}

func (c *conn) enter(p phase, ms int64) {
	c.state.Store(uint64(ms)<<phaseBits | uint64(p))
}

// Read starts the header phase at the first byte after idling: as in
// net/http, a request's header time counts from its first byte.
func (c *conn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	if n > 0 {
		if st := c.state.Load(); phase(st&phaseMask) == idle {
			c.state.CompareAndSwap(st, uint64(c.w.clock.Load())<<phaseBits|uint64(header))
		}
	}
	return n, err
}

// Close stops watching the connection and closes it (once).
func (c *conn) Close() error {
	c.once.Do(func() { c.w.remove(c) })
	return c.Conn.Close()
}

// CloseWrite half-closes, when the connection can: net/http does so
// before it closes a connection whose request it refused.
func (c *conn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// ReadFrom hands a copy to the connection's own ReadFrom (sendfile for a
// TCP connection, which net/http uses for files).
func (c *conn) ReadFrom(r io.Reader) (int64, error) {
	if rf, ok := c.Conn.(io.ReaderFrom); ok {
		return rf.ReadFrom(r)
	}
	return io.Copy(writerOnly{c.Conn}, r)
}

// NetConn is the connection underneath.
func (c *conn) NetConn() net.Conn { return c.Conn }

// writerOnly hides a writer's ReadFrom, so io.Copy does not loop back.
type writerOnly struct{ io.Writer }
