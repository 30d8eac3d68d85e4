// Package connlimit bounds the connections a server holds: in all, and per
// source address. A thousand idle keep-alive connections once exhausted
// accessd's file descriptors, and then neither HTTP nor the admin socket
// accepted anything. A Limiter's listeners accept every connection the
// kernel queued, and close at once the ones beyond a limit, so a flood costs a
// descriptor only for the moment it takes to close it, the process keeps
// descriptors for everything else, and a client sees its connection closed
// rather than hanging in the backlog.
//
// When accept itself fails for want of descriptors (EMFILE, ENFILE, which
// limits sized below RLIMIT_NOFILE should make rare), a listener waits
// and tries again instead of handing the error to net/http, which would
// log it on every retry.
package connlimit

import (
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Options configure a Limiter.
type Options struct {
	// Max bounds the connections held open at once (0: no bound).
	Max int
	// PerSource bounds them per source address, IPv6 per /64 (0: no
	// bound; a unix socket's peers have no address and are not bounded).
	PerSource int
	// Exempt lists sources with no per-source bound (trusted proxies,
	// whose clients all share their address).
	Exempt []netip.Prefix
	// Name says which server, in log lines.
	Name string
	// Log receives one warning a minute at most while connections are
	// refused, and the accept failures.
	Log *slog.Logger
}

// Limiter holds at most Options.Max connections over all the listeners
// it wraps, and Options.PerSource from one address.
type Limiter struct {
	o Options

	mu       sync.Mutex
	open     int
	bySource map[netip.Addr]int
	lastLog  time.Time
	unlogged int

	refusedTotal, refusedSource, acceptFailures atomic.Uint64
}

// New makes a Limiter.
func New(o Options) *Limiter {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return &Limiter{o: o, bySource: map[netip.Addr]int{}}
}

// Listen wraps ln: its connections count against the Limiter's limits.
func (l *Limiter) Listen(ln net.Listener) net.Listener { return &listener{Listener: ln, l: l} }

// listener is one of a Limiter's listeners.
type listener struct {
	net.Listener
	l *Limiter
}

// Stats are a Limiter's figures.
type Stats struct {
	Open int
	// RefusedTotal and RefusedSource count connections closed at once
	// because of Max and of PerSource.
	RefusedTotal, RefusedSource uint64
	// AcceptFailures counts accept errors waited out (no descriptors).
	AcceptFailures uint64
}

// Stats returns the figures.
func (l *Limiter) Stats() Stats {
	l.mu.Lock()
	open := l.open
	l.mu.Unlock()
	return Stats{Open: open, RefusedTotal: l.refusedTotal.Load(), RefusedSource: l.refusedSource.Load(),
		AcceptFailures: l.acceptFailures.Load()}
}

// Accept returns the next connection within the limits.
func (ln *listener) Accept() (net.Conn, error) {
	l := ln.l
	backoff := 5 * time.Millisecond
	for {
		c, err := ln.Listener.Accept()
		if err != nil {
			if !outOfDescriptors(err) {
				return nil, err
			}
			l.acceptFailures.Add(1)
			l.warn("accept failed for want of file descriptors: waiting (raise LimitNOFILE or lower the connection limits)", err)
			time.Sleep(backoff)
			backoff = min(2*backoff, time.Second)
			continue
		}
		backoff = 5 * time.Millisecond
		if lc, ok := l.admit(c); ok {
			return lc, nil
		}
		c.Close()
	}
}

// outOfDescriptors reports EMFILE or ENFILE.
func outOfDescriptors(err error) bool {
	return errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE)
}

// admit counts c in, or reports that a limit refuses it.
func (l *Limiter) admit(c net.Conn) (net.Conn, bool) {
	src, hasSrc := sourceOf(c.RemoteAddr())
	if hasSrc && l.exempt(src) {
		hasSrc = false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case l.o.Max > 0 && l.open >= l.o.Max:
		l.refusedTotal.Add(1)
		l.noteRefused("connection limit reached: new connections are closed at once")
		return nil, false
	case hasSrc && l.o.PerSource > 0 && l.bySource[src] >= l.o.PerSource:
		l.refusedSource.Add(1)
		l.noteRefused("a source address reached its connection limit: its new connections are closed at once")
		return nil, false
	}
	l.open++
	if hasSrc {
		l.bySource[src]++
	}
	return &conn{Conn: c, l: l, src: src, hasSrc: hasSrc}, true
}

func (l *Limiter) exempt(a netip.Addr) bool {
	for _, p := range l.o.Exempt {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// release counts a closed connection out.
func (l *Limiter) release(src netip.Addr, hasSrc bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.open--
	if hasSrc {
		if l.bySource[src]--; l.bySource[src] <= 0 {
			delete(l.bySource, src)
		}
	}
}

// noteRefused logs a refusal, at most once a minute with how many were
// not logged. Call with l.mu held.
func (l *Limiter) noteRefused(msg string) {
	now := time.Now()
	if now.Sub(l.lastLog) < time.Minute {
		l.unlogged++
		return
	}
	l.o.Log.Warn(msg, "server", l.o.Name, "open", l.open, "max", l.o.Max, "per_source", l.o.PerSource,
		"refused_since_last_line", l.unlogged+1)
	l.lastLog, l.unlogged = now, 0
}

// warn logs an accept failure once a minute at most.
func (l *Limiter) warn(msg string, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	if now.Sub(l.lastLog) < time.Minute {
		return
	}
	l.lastLog = now
	l.o.Log.Warn(msg, "server", l.o.Name, "open", l.open, "err", err)
}

// sourceOf is the key of a TCP peer: its address, or an IPv6 /64.
func sourceOf(a net.Addr) (netip.Addr, bool) {
	ta, ok := a.(*net.TCPAddr)
	if !ok {
		return netip.Addr{}, false
	}
	ip, ok := netip.AddrFromSlice(ta.IP)
	if !ok {
		return netip.Addr{}, false
	}
	ip = ip.Unmap()
	if ip.Is6() {
		p, _ := ip.Prefix(64)
		return p.Addr(), true
	}
	return ip, true
}

// conn counts itself out once, on its first Close.
type conn struct {
	net.Conn
	l      *Limiter
	src    netip.Addr
	hasSrc bool
	once   sync.Once
}

func (c *conn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() { c.l.release(c.src, c.hasSrc) })
	return err
}

// CloseWrite half-closes a TCP connection (net/http's graceful close).
func (c *conn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// NetConn is the connection it wraps (for the peer credentials of a unix
// socket).
func (c *conn) NetConn() net.Conn { return c.Conn }
