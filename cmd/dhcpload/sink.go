package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync/atomic"
	"time"

	"golang.org/x/net/ipv4"
	"golang.org/x/sys/unix"

	"github.com/stadsnat/accessd/dhcp/circuit"
	"github.com/stadsnat/accessd/dhcp/dhcp4"
)

type sinkConfig struct {
	Listen     string
	Duration   time.Duration
	Decode     bool
	ReadBuffer int
	Interval   time.Duration
	Out        io.Writer
	// ready, when set, receives the bound address once listening.
	ready chan<- net.Addr
	// packets, when set, is kept up to date with the count (for tests).
	packets *atomic.Int64
}

type sinkResult struct {
	Packets, Bytes, DecodeErrors int64
	First, Last                  time.Time
	Decode                       bool
}

func (s sinkResult) String() string {
	span := s.Last.Sub(s.First)
	rate := 0.0
	if span > 0 && s.Packets > 1 {
		rate = float64(s.Packets-1) / span.Seconds()
	}
	what := "do-nothing listener"
	if s.Decode {
		what = fmt.Sprintf("decoding listener, %d decode errors", s.DecodeErrors)
	}
	return fmt.Sprintf("received %d packets (%d bytes) in %.3fs from first to last: %.0f pkt/s (%s)",
		s.Packets, s.Bytes, span.Seconds(), rate, what)
}

func runSink(ctx context.Context, cfg sinkConfig) (sinkResult, error) {
	c, err := listenSink(cfg)
	if err != nil {
		return sinkResult{}, err
	}
	defer c.Close()
	var dec *circuit.Decoder
	if cfg.Decode {
		if dec, err = circuit.NewDecoder(nil); err != nil {
			return sinkResult{}, err
		}
	}
	packets := cfg.packets
	if packets == nil {
		packets = new(atomic.Int64)
	}
	end := time.Time{}
	if cfg.Duration > 0 {
		end = time.Now().Add(cfg.Duration)
	}
	stopReport := make(chan struct{})
	defer close(stopReport)
	if cfg.Interval > 0 && cfg.Out != nil {
		go report(cfg.Out, cfg.Interval, packets, stopReport)
	}
	r := sinkReader{pc: ipv4.NewPacketConn(c), dec: dec, res: sinkResult{Decode: cfg.Decode}}
	for i := range r.msgs {
		r.msgs[i].Buffers = [][]byte{make([]byte, 1500)}
	}
	for ctx.Err() == nil {
		// Short read deadlines so that ctx and the duration are honoured.
		dl := time.Now().Add(200 * time.Millisecond)
		if !end.IsZero() {
			if !time.Now().Before(end) {
				break
			}
			if end.Before(dl) {
				dl = end
			}
		}
		_ = c.SetReadDeadline(dl)
		if err := r.readBatch(); err != nil {
			return r.res, err
		}
		packets.Store(r.res.Packets)
	}
	if ctx.Err() != nil {
		// Stopped (a signal once the sender is done): what the socket's
		// buffer holds arrived before the stop and counts.
		if err := r.drain(c); err != nil {
			return r.res, err
		}
		packets.Store(r.res.Packets)
	}
	return r.res, nil
}

// drain reads until the kernel reports no datagram queued on c (SIOCINQ:
// the size of the next one; a generated packet is never empty), for at
// most drainFor: a sender still going does not keep a stopped sink up. A
// read the scheduler delays past its deadline reads nothing and is tried
// again.
func (r *sinkReader) drain(c *net.UDPConn) error {
	rc, err := c.SyscallConn()
	if err != nil {
		return fmt.Errorf("drain: %w", err)
	}
	for end := time.Now().Add(drainFor); time.Now().Before(end); {
		queued, qerr := 0, error(nil)
		if err := rc.Control(func(fd uintptr) { queued, qerr = unix.IoctlGetInt(int(fd), unix.SIOCINQ) }); err != nil {
			return fmt.Errorf("drain: %w", err)
		}
		if qerr != nil {
			return fmt.Errorf("drain: SIOCINQ: %w", qerr)
		}
		if queued == 0 {
			return nil
		}
		_ = c.SetReadDeadline(time.Now().Add(time.Second))
		if err := r.readBatch(); err != nil {
			return err
		}
	}
	return nil
}

// drainFor bounds a stopped sink's draining: a full 32 MiB buffer takes
// well under a second.
const drainFor = 5 * time.Second

// listenSink opens the sink's socket with its receive buffer and tells
// the caller (and the operator) where it listens.
func listenSink(cfg sinkConfig) (*net.UDPConn, error) {
	laddr, err := net.ResolveUDPAddr("udp4", cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("-listen %q: %w", cfg.Listen, err)
	}
	c, err := net.ListenUDP("udp4", laddr)
	if err != nil {
		return nil, fmt.Errorf("listen %s: %w", cfg.Listen, err)
	}
	if cfg.ReadBuffer > 0 {
		setReadBuffer(c, cfg.ReadBuffer)
	}
	if cfg.Out != nil && cfg.Interval > 0 {
		fmt.Fprintf(cfg.Out, "sink: listening on %s, receive buffer %d bytes\n", c.LocalAddr(), readBuffer(c))
	}
	if cfg.ready != nil {
		cfg.ready <- c.LocalAddr()
	}
	return c, nil
}

// sinkReader reads batches of datagrams and counts (and, with a decoder,
// decodes) them.
type sinkReader struct {
	pc   *ipv4.PacketConn
	msgs [64]ipv4.Message
	dec  *circuit.Decoder
	p    dhcp4.Packet
	res  sinkResult
}

// readBatch reads one batch; a read deadline passing is not an error.
func (r *sinkReader) readBatch() error {
	n, err := r.pc.ReadBatch(r.msgs[:], 0)
	if err != nil {
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return nil
		}
		return fmt.Errorf("read: %w", err)
	}
	now := time.Now()
	if r.res.Packets == 0 && n > 0 {
		r.res.First = now
	}
	for i := range n {
		r.res.Bytes += int64(r.msgs[i].N)
		if r.dec != nil {
			if err := r.p.Decode(r.msgs[i].Buffers[0][:r.msgs[i].N]); err != nil {
				r.res.DecodeErrors++
			} else if _, err := r.dec.Decode(r.p.GIAddr, r.p.Option82); err != nil {
				r.res.DecodeErrors++
			}
		}
	}
	r.res.Packets += int64(n)
	if n > 0 {
		r.res.Last = now
	}
	return nil
}

func report(out io.Writer, every time.Duration, packets *atomic.Int64, stop <-chan struct{}) {
	t := time.NewTicker(every)
	defer t.Stop()
	prev := int64(0)
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			n := packets.Load()
			if n != prev {
				fmt.Fprintf(out, "sink: %d packets, %.0f pkt/s\n", n, float64(n-prev)/every.Seconds())
			}
			prev = n
		}
	}
}

// setReadBuffer asks for n bytes of receive buffer, with SO_RCVBUFFORCE
// (root) first so that net.core.rmem_max does not cap it.
func setReadBuffer(c *net.UDPConn, n int) {
	if rc, err := c.SyscallConn(); err == nil {
		var serr error
		_ = rc.Control(func(fd uintptr) {
			serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, n)
		})
		if serr == nil {
			return
		}
	}
	_ = c.SetReadBuffer(n)
}

// readBuffer returns the socket's receive buffer as the kernel reports it
// (twice the requested size: the kernel's bookkeeping share).
func readBuffer(c *net.UDPConn) int {
	rc, err := c.SyscallConn()
	if err != nil {
		return 0
	}
	v := 0
	_ = rc.Control(func(fd uintptr) {
		v, _ = unix.GetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUF)
	})
	return v
}
