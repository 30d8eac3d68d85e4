package source

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"runtime"
	"slices"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"github.com/stadsnat/accessd/dhcp/binding"
)

// Sink receives the packets a source reads. Push must copy what it keeps
// and must not block; Untrusted counts packets a source dropped because
// they came from an address it does not trust.
type Sink interface {
	Push(src binding.Source, at time.Time, pkts [][]byte)
	Untrusted(src binding.Source, n int)
}

// ReceiveBuffer is the socket receive buffer the sources ask for: at
// 100,000 packets/s a scheduling hiccup of a few milliseconds must not
// overflow it (4 MiB lost about 0.9 % on a busy two-core machine).
const ReceiveBuffer = 32 << 20

// ListenRelay binds the passive relay-copy listener on addr (e.g.
// "0.0.0.0:67"), with the receive buffer set.
func ListenRelay(addr string) (*net.UDPConn, error) {
	la, err := net.ResolveUDPAddr("udp4", addr)
	if err != nil {
		return nil, fmt.Errorf("dhcp relay listener %q: %w", addr, err)
	}
	c, err := net.ListenUDP("udp4", la)
	if err != nil {
		return nil, fmt.Errorf("dhcp relay listener: %w", err)
	}
	return c, nil
}

// SetReceiveBuffer asks for n bytes of receive buffer: SO_RCVBUFFORCE
// first (CAP_NET_ADMIN: net.core.rmem_max does not cap it), else
// SO_RCVBUF (capped by rmem_max). It returns the size the kernel reports
// (twice the usable size) and whether the forced size was granted.
func SetReceiveBuffer(rc interface {
	Control(func(fd uintptr)) error
}, n int) (got int, forced bool) {
	_ = rc.Control(func(fd uintptr) {
		if unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, n) == nil {
			forced = true
		} else {
			_ = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUF, n)
		}
		got, _ = unix.GetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUF)
	})
	return got, forced
}

// Relay reads relay copies from UDP sockets: this box is an extra DHCP
// server address on the relays; it listens passively and never answers
// (it has no code that writes to the socket).
//
// Anyone who can send a UDP datagram to the port could forge a relayed
// DHCPREQUEST (a victim's option 82, the sender's own address as option
// 50) and so be taken for the victim's access by the bounce URL, or a
// RELEASE that ends a real binding. Only datagrams whose source address is
// in the allowed prefixes (dhcp.relay.allowed_sources: the relays) reach
// the sink; the others are counted (Sink.Untrusted) and dropped. No
// prefix trusts no one.
type Relay struct {
	conns   []*net.UDPConn
	allowed atomic.Pointer[[]netip.Prefix]
	sink    Sink
	log     *slog.Logger
}

// NewRelay reads from conns (socket-activated or from ListenRelay) into
// sink the datagrams whose source is in allowed; it sets each socket's
// receive buffer.
func NewRelay(conns []*net.UDPConn, allowed []netip.Prefix, sink Sink, log *slog.Logger) *Relay {
	r := &Relay{conns: conns, sink: sink, log: log}
	r.SetAllowed(allowed)
	for _, c := range conns {
		rc, err := c.SyscallConn()
		if err != nil {
			continue
		}
		got, forced := SetReceiveBuffer(rc, ReceiveBuffer)
		lvl := slog.LevelInfo
		if got < ReceiveBuffer {
			lvl = slog.LevelWarn
		}
		log.Log(context.Background(), lvl, "DHCP relay listener ready (passive: never answers)", "address", c.LocalAddr().String(),
			"receive_buffer_bytes", got, "forced", forced)
	}
	return r
}

// SetAllowed replaces the trusted source prefixes (a reload); packets
// read from then on are judged by them.
func (r *Relay) SetAllowed(allowed []netip.Prefix) {
	ps := slices.Clone(allowed)
	r.allowed.Store(&ps)
	if len(ps) == 0 {
		r.log.Error("DHCP relay copies are all refused: dhcp.relay.allowed_sources lists no relay (give the relays' source addresses)")
	}
}

// batch is how many packets one recvmmsg reads at most.
const batch = 64

// maxPacket is the largest datagram kept whole; DHCP over Ethernet fits
// in 1500 bytes, a longer one is cut and fails to decode.
const maxPacket = 4096

// Run reads until ctx is done (then it closes the sockets), one goroutine
// per socket; a reader only copies packets into the sink, it never waits
// for processing.
func (r *Relay) Run(ctx context.Context) error {
	errc := make(chan error, len(r.conns))
	for _, c := range r.conns {
		go func() { errc <- r.read(ctx, c) }()
	}
	go func() {
		<-ctx.Done()
		for _, c := range r.conns {
			c.Close()
		}
	}()
	var first error
	for range r.conns {
		if err := <-errc; err != nil && first == nil {
			first = err
		}
	}
	return first
}

func (r *Relay) read(ctx context.Context, c *net.UDPConn) error {
	rc, err := c.SyscallConn()
	if err != nil {
		return fmt.Errorf("read relay copies on %s: %w", c.LocalAddr(), err)
	}
	br := newBatchReader(rc, batch, maxPacket)
	pkts := make([][]byte, 0, batch)
	lim := untrustedLog{log: r.log, addr: c.LocalAddr().String()}
	for {
		n, err := br.read()
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return fmt.Errorf("read relay copies on %s: %w", c.LocalAddr(), err)
		}
		at := time.Now()
		pkts = pkts[:0]
		untrusted := 0
		var from netip.AddrPort
		allowed := *r.allowed.Load()
		for i := range n {
			if a := br.from(i); !trusted(allowed, a.Addr()) {
				untrusted++
				from = a
				continue
			}
			pkts = append(pkts, br.packet(i))
		}
		if untrusted > 0 {
			r.sink.Untrusted(binding.SourceRelay, untrusted)
			lim.note(at, untrusted, from)
		}
		r.sink.Push(binding.SourceRelay, at, pkts)
		if n == batch {
			// A full batch: the socket holds more, and the reader would
			// go on reading without ever giving its P up (recvmmsg is a
			// raw syscall), ahead of the processor, the writer and the
			// collector, which then fill the queue: it lets them run.
			runtime.Gosched()
		}
	}
}

// trusted reports whether a datagram's source address (IPv4-mapped
// addresses unmapped; invalid when unknown) is in the allowed prefixes.
func trusted(allowed []netip.Prefix, ip netip.Addr) bool {
	if !ip.IsValid() {
		return false
	}
	for _, p := range allowed {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// untrustedLog says at most once a minute how many relay copies came from
// untrusted addresses: a flood of forged packets must not flood the log
// too. The addresses themselves may be customers', so they are not
// logged.
type untrustedLog struct {
	log   *slog.Logger
	addr  string
	last  time.Time
	count int
}

func (u *untrustedLog) note(now time.Time, n int, from netip.AddrPort) {
	u.count += n
	if now.Sub(u.last) < time.Minute {
		return
	}
	u.log.Warn("DHCP relay copies from addresses not in dhcp.relay.allowed_sources dropped (accessd_dhcp_untrusted_total)",
		"listener", u.addr, "packets", u.count)
	u.log.Debug("DHCP relay copy from an untrusted address", "listener", u.addr, "source", from)
	u.last, u.count = now, 0
}
