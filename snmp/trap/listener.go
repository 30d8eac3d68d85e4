package trap

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"syscall"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sys/unix"

	"github.com/stadsnat/accessd/snmp/client"
)

// Handler is told about link traps from a sender: the poller's LinkTrap.
// It reports whether the sender is a known switch; it must not block.
type Handler interface {
	LinkTrap(from netip.Addr, ifIndex int) bool
}

// Config configures a Listener.
type Config struct {
	// Listen is the UDP address to bind ("0.0.0.0:162"), unless Conn is
	// given (e.g. a socket from systemd); the listener closes either at
	// the end of Run.
	Listen string
	Conn   net.PacketConn
	// Communities accepted in v1/v2c traps (none: v1/v2c refused).
	Communities []string
	// Users accepted in v3 traps (none: v3 refused).
	Users []client.USM
	// QueueSize bounds datagrams waiting for decoding (default 4096).
	QueueSize int
	// ReadBuffer is the socket receive buffer asked for, in bytes
	// (default 4 MiB; SO_RCVBUFFORCE when permitted, else capped by
	// net.core.rmem_max).
	ReadBuffer int
	Logger     *slog.Logger
	Registerer prometheus.Registerer
}

// Listener receives traps. Create with New, run with Run.
type Listener struct {
	conn    net.PacketConn
	dec     *Decoder
	h       Handler
	log     *slog.Logger
	m       *metrics
	queue   chan datagram
	ready   chan struct{}
	runOnce sync.Once
}

type datagram struct {
	from netip.AddrPort
	b    []byte
}

// maxDatagram is the largest UDP payload read.
const maxDatagram = 65535

// New opens the socket (or takes cfg.Conn) and prepares the decoder.
func New(cfg Config, h Handler) (*Listener, error) {
	if h == nil {
		return nil, errors.New("trap: nil handler")
	}
	dec, err := NewDecoder(cfg.Communities, cfg.Users)
	if err != nil {
		return nil, err
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.QueueSize <= 0 {
		cfg.QueueSize = 4096
	}
	if cfg.ReadBuffer <= 0 {
		cfg.ReadBuffer = 4 << 20
	}
	m, err := newMetrics(cfg.Registerer)
	if err != nil {
		return nil, err
	}
	conn := cfg.Conn
	if conn == nil {
		conn, err = net.ListenPacket("udp", cfg.Listen)
		if err != nil {
			return nil, fmt.Errorf("trap: listen %s: %w", cfg.Listen, err)
		}
	}
	got := setReadBuffer(conn, cfg.ReadBuffer)
	log.Debug("trap socket ready", "addr", conn.LocalAddr().String(), "rcvbuf", got)
	return &Listener{conn: conn, dec: dec, h: h, log: log, m: m,
		queue: make(chan datagram, cfg.QueueSize), ready: make(chan struct{})}, nil
}

// setReadBuffer asks for a large receive buffer and returns what the
// kernel granted (0 if unknown).
func setReadBuffer(conn net.PacketConn, n int) int {
	sc, ok := conn.(interface {
		SyscallConn() (syscall.RawConn, error)
	})
	if !ok {
		return 0
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return 0
	}
	got := 0
	raw.Control(func(fd uintptr) {
		if unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, n) != nil {
			_ = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUF, n)
		}
		got, _ = unix.GetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUF)
	})
	return got
}

// Addr is the local address of the socket.
func (l *Listener) Addr() net.Addr { return l.conn.LocalAddr() }

// Ready is closed once Run is receiving.
func (l *Listener) Ready() <-chan struct{} { return l.ready }

// Run receives and handles traps until ctx is done, then closes the
// socket and returns ctx's error.
func (l *Listener) Run(ctx context.Context) error {
	readerDone := make(chan error, 1)
	go func() { readerDone <- l.read() }()
	procDone := make(chan struct{})
	go func() {
		defer close(procDone)
		for d := range l.queue {
			l.handle(d)
		}
	}()
	l.runOnce.Do(func() { close(l.ready) })
	var err error
	select {
	case <-ctx.Done():
		err = ctx.Err()
		l.conn.Close()
		<-readerDone
	case rerr := <-readerDone:
		l.conn.Close()
		err = fmt.Errorf("trap: read: %w", rerr)
	}
	close(l.queue)
	<-procDone
	return err
}

// read copies datagrams into the queue; it never waits on processing.
func (l *Listener) read() error {
	buf := make([]byte, maxDatagram)
	uc, isUDP := l.conn.(*net.UDPConn)
	for {
		var (
			n    int
			from netip.AddrPort
			err  error
		)
		if isUDP {
			n, from, err = uc.ReadFromUDPAddrPort(buf)
		} else {
			var a net.Addr
			n, a, err = l.conn.ReadFrom(buf)
			if ua, ok := a.(*net.UDPAddr); ok {
				from = ua.AddrPort()
			}
		}
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return err
		}
		d := datagram{from: from, b: append([]byte(nil), buf[:n]...)}
		select {
		case l.queue <- d:
		default:
			l.m.dropped()
		}
	}
}

// handle decodes one datagram and triggers the poller.
func (l *Listener) handle(d datagram) {
	from := d.from.Addr().Unmap()
	t, err := l.dec.Decode(d.b)
	if err != nil {
		reason := "malformed"
		switch {
		case errors.Is(err, ErrCommunity):
			reason = "community"
		case errors.Is(err, ErrAuth):
			reason = "auth"
		case errors.Is(err, ErrNotTrap):
			reason = "not_trap"
		}
		l.m.rejected(reason)
		l.log.Debug("trap rejected", "from", from.String(), "reason", reason, "err", err)
		return
	}
	l.m.received(t.Kind)
	if t.Inform && t.Reply != nil {
		if _, err := l.conn.WriteTo(t.Reply, net.UDPAddrFromAddrPort(d.from)); err != nil {
			l.log.Debug("inform response not sent", "to", from.String(), "err", err)
		}
	}
	if t.Kind == Other || t.IfIndex == 0 {
		return
	}
	known := l.h.LinkTrap(from, t.IfIndex)
	if !known && t.AgentAddr.IsValid() && t.AgentAddr != from {
		known = l.h.LinkTrap(t.AgentAddr, t.IfIndex)
	}
	if !known {
		l.m.rejected("unknown_switch")
		l.log.Debug("link trap from a switch that is not polled: ignored", "from", from.String(), "ifindex", t.IfIndex)
		return
	}
	l.log.Debug("link trap: reading the port now", "switch", from.String(), "kind", string(t.Kind), "ifindex", t.IfIndex)
}
