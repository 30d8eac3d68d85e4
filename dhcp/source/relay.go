package source

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"

	"golang.org/x/net/ipv4"
	"golang.org/x/sys/unix"

	"github.com/stadsnat/accessd/dhcp/binding"
)

// Sink receives the packets a source reads. Push must copy what it keeps
// and must not block.
type Sink interface {
	Push(src binding.Source, at time.Time, pkts [][]byte)
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
type Relay struct {
	conns []*net.UDPConn
	sink  Sink
	log   *slog.Logger
}

// NewRelay reads from conns (socket-activated or from ListenRelay) into
// sink; it sets each socket's receive buffer.
func NewRelay(conns []*net.UDPConn, sink Sink, log *slog.Logger) *Relay {
	r := &Relay{conns: conns, sink: sink, log: log}
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
	pc := ipv4.NewPacketConn(c)
	msgs := make([]ipv4.Message, batch)
	bufs := make([]byte, batch*maxPacket)
	for i := range msgs {
		msgs[i].Buffers = [][]byte{bufs[i*maxPacket : (i+1)*maxPacket]}
	}
	pkts := make([][]byte, 0, batch)
	for {
		n, err := pc.ReadBatch(msgs, 0)
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
		for i := range n {
			pkts = append(pkts, msgs[i].Buffers[0][:msgs[i].N])
		}
		r.sink.Push(binding.SourceRelay, at, pkts)
	}
}
