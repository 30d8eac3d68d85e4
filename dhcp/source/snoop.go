package source

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"time"

	"github.com/mdlayher/packet"
	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"

	"github.com/stadsnat/accessd/dhcp/binding"
)

// DHCPFilter is the classic BPF program of the snoop socket: IPv4 UDP
// datagrams from or to port 67 or 68, and no fragment but the first. On
// an AF_PACKET SOCK_DGRAM socket the program sees the packet from its
// network header on, in both directions (the server's own replies
// included); the socket takes every protocol, so the first test is the IP
// version nibble (ARP, IPv6 and the rest fail it).
func DHCPFilter() []bpf.Instruction {
	const (
		drop   = 0
		accept = 1 << 18
	)
	// Offsets of the jump targets are counted from the next instruction.
	return []bpf.Instruction{
		/* 0 */ bpf.LoadAbsolute{Off: 0, Size: 1},
		/* 1 */ bpf.ALUOpConstant{Op: bpf.ALUOpShiftRight, Val: 4},
		/* 2 */ bpf.JumpIf{Cond: bpf.JumpNotEqual, Val: 4, SkipTrue: 12}, // not IPv4 → drop
		/* 3 */ bpf.LoadAbsolute{Off: 9, Size: 1},
		/* 4 */ bpf.JumpIf{Cond: bpf.JumpNotEqual, Val: unix.IPPROTO_UDP, SkipTrue: 10}, // not UDP → drop
		/* 5 */ bpf.LoadAbsolute{Off: 6, Size: 2},
		/* 6 */ bpf.JumpIf{Cond: bpf.JumpBitsSet, Val: 0x1fff, SkipTrue: 8}, // a later fragment → drop
		/* 7 */ bpf.LoadMemShift{Off: 0}, // X = IP header length
		/* 8 */ bpf.LoadIndirect{Off: 0, Size: 2}, // source port
		/* 9 */ bpf.JumpIf{Cond: bpf.JumpEqual, Val: 67, SkipTrue: 6},
		/* 10 */ bpf.JumpIf{Cond: bpf.JumpEqual, Val: 68, SkipTrue: 5},
		/* 11 */ bpf.LoadIndirect{Off: 2, Size: 2}, // destination port
		/* 12 */ bpf.JumpIf{Cond: bpf.JumpEqual, Val: 67, SkipTrue: 3},
		/* 13 */ bpf.JumpIf{Cond: bpf.JumpEqual, Val: 68, SkipTrue: 2},
		/* 14 */ bpf.RetConstant{Val: drop},
		/* 15 */ bpf.RetConstant{Val: drop},
		/* 16 */ bpf.RetConstant{Val: accept},
	}
}

// IPError says why an IP packet holds no DHCP payload.
type IPError struct {
	Offset int
	Reason string
}

func (e *IPError) Error() string {
	return "ip packet offset " + strconv.Itoa(e.Offset) + ": " + e.Reason
}

// DHCPPayload returns the UDP payload of an IPv4 packet from or to port
// 67 or 68, aliasing b. It checks what it reads: version, header length,
// total length, protocol, fragments, UDP length and ports.
func DHCPPayload(b []byte) ([]byte, error) {
	if len(b) < 20 {
		return nil, &IPError{len(b), "shorter than an IPv4 header"}
	}
	if b[0]>>4 != 4 {
		return nil, &IPError{0, "not IPv4"}
	}
	ihl := int(b[0]&0x0f) * 4
	if ihl < 20 || ihl > len(b) {
		return nil, &IPError{0, "header length " + strconv.Itoa(ihl) + " does not fit"}
	}
	total := int(binary.BigEndian.Uint16(b[2:4]))
	if total < ihl || total > len(b) {
		return nil, &IPError{2, "total length " + strconv.Itoa(total) + " does not fit the " + strconv.Itoa(len(b)) + " bytes read"}
	}
	b = b[:total]
	if b[9] != unix.IPPROTO_UDP {
		return nil, &IPError{9, "not UDP"}
	}
	if frag := binary.BigEndian.Uint16(b[6:8]); frag&0x3fff != 0 {
		return nil, &IPError{6, "a fragment"}
	}
	u := b[ihl:]
	if len(u) < 8 {
		return nil, &IPError{ihl, "shorter than a UDP header"}
	}
	sp, dp := binary.BigEndian.Uint16(u[0:2]), binary.BigEndian.Uint16(u[2:4])
	if !dhcpPort(sp) && !dhcpPort(dp) {
		return nil, &IPError{ihl, "not DHCP ports " + strconv.Itoa(int(sp)) + " → " + strconv.Itoa(int(dp))}
	}
	ul := int(binary.BigEndian.Uint16(u[4:6]))
	if ul < 8 || ul > len(u) {
		return nil, &IPError{ihl + 4, "UDP length " + strconv.Itoa(ul) + " does not fit"}
	}
	return u[8:ul], nil
}

func dhcpPort(p uint16) bool { return p == 67 || p == 68 }

// Snoop captures DHCP on one interface of the DHCP server's box with an
// AF_PACKET socket: the requests and the server's answers (an ACK confirms
// a binding with yiaddr and the lease time). It needs CAP_NET_RAW.
type Snoop struct {
	iface string
	conn  *packet.Conn
	sink  Sink
	log   *slog.Logger
}

// OpenSnoop opens the capture socket on the named interface with the
// DHCP filter attached and a large receive buffer.
func OpenSnoop(iface string, sink Sink, log *slog.Logger) (*Snoop, error) {
	ifi, err := net.InterfaceByName(iface)
	if err != nil {
		return nil, fmt.Errorf("dhcp snoop on %s: %w", iface, err)
	}
	raw, err := bpf.Assemble(DHCPFilter())
	if err != nil {
		return nil, fmt.Errorf("dhcp snoop filter: %w", err)
	}
	// ETH_P_ALL, not ETH_P_IP: the kernel hands outgoing packets (the
	// server's own replies) only to sockets of all protocols; the filter
	// keeps IPv4 alone.
	c, err := packet.Listen(ifi, packet.Datagram, unix.ETH_P_ALL, &packet.Config{Filter: raw})
	if err != nil {
		return nil, fmt.Errorf("dhcp snoop on %s (needs CAP_NET_RAW): %w", iface, err)
	}
	got, forced := 0, false
	if rc, err := c.SyscallConn(); err == nil {
		got, forced = SetReceiveBuffer(rc, ReceiveBuffer)
	}
	log.Info("DHCP snoop capturing", "interface", iface, "receive_buffer_bytes", got, "forced", forced)
	return &Snoop{iface: iface, conn: c, sink: sink, log: log}, nil
}

// Run reads until ctx is done, then closes the socket.
func (s *Snoop) Run(ctx context.Context) error {
	go func() {
		<-ctx.Done()
		s.conn.Close()
	}()
	buf := make([]byte, 1<<16)
	var pkts [1][]byte
	bad := 0
	for {
		n, _, err := s.conn.ReadFrom(buf)
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return nil
			}
			return fmt.Errorf("dhcp snoop on %s: %w", s.iface, err)
		}
		at := time.Now()
		p, err := DHCPPayload(buf[:n])
		if err != nil {
			if bad++; bad <= 10 {
				s.log.Debug("captured packet without a DHCP payload ignored", "interface", s.iface, "err", err)
			}
			continue
		}
		pkts[0] = p
		s.sink.Push(binding.SourceSnoop, at, pkts[:])
	}
}

// Stats returns the kernel's counts of packets captured and dropped for
// want of buffer since the last call.
func (s *Snoop) Stats() (packets, drops uint32, err error) {
	st, err := s.conn.Stats()
	if err != nil {
		return 0, 0, err
	}
	return st.Packets, st.Drops, nil
}
