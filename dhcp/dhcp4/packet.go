package dhcp4

import (
	"encoding/binary"
	"net/netip"
	"strconv"

	"github.com/stadsnat/accessd/dhcp/hwaddr"
	"github.com/stadsnat/accessd/dhcp/option82"
)

// MessageType is the DHCP message type (option 53); 0 means absent (BOOTP).
type MessageType uint8

// Message types of RFC 2132 9.6.
const (
	Discover MessageType = 1
	Offer    MessageType = 2
	Request  MessageType = 3
	Decline  MessageType = 4
	Ack      MessageType = 5
	Nak      MessageType = 6
	Release  MessageType = 7
	Inform   MessageType = 8
)

var typeNames = [...]string{"none", "discover", "offer", "request", "decline", "ack", "nak", "release", "inform"}

// String returns the lower-case name ("discover"), "none" for 0 and
// "type(N)" for others (metric label friendly).
func (t MessageType) String() string {
	if int(t) < len(typeNames) {
		return typeNames[t]
	}
	return "type(" + strconv.Itoa(int(t)) + ")"
}

// BOOTP op codes.
const (
	BootRequest uint8 = 1
	BootReply   uint8 = 2
)

// Option codes this package reads.
const (
	OptPad         = 0
	OptHostname    = 12
	OptRequestedIP = 50
	OptLeaseTime   = 51
	OptOverload    = 52
	OptMessageType = 53
	OptServerID    = 54
	OptClientID    = 61
	OptRelayAgent  = 82
	OptEnd         = 255
)

// Fixed header layout (RFC 2131 figure 1).
const (
	offSname   = 44
	offFile    = 108
	offCookie  = 236
	offOptions = 240
	// MinLen is the shortest packet Decode accepts: header plus magic cookie.
	MinLen = offOptions
)

// Packet is a decoded DHCPv4 packet. Zero addresses (0.0.0.0) in the fixed
// header are valid netip.Addrs; absent options are invalid netip.Addrs.
type Packet struct {
	Op     uint8
	HType  uint8
	HLen   uint8
	Hops   uint8
	XID    uint32
	Secs   uint16
	Flags  uint16
	CIAddr netip.Addr
	YIAddr netip.Addr
	SIAddr netip.Addr
	GIAddr netip.Addr
	// CHAddr is the raw 16-byte client hardware address field; see MAC.
	CHAddr [16]byte

	MessageType MessageType
	RequestedIP netip.Addr // option 50
	ServerID    netip.Addr // option 54
	LeaseTime   uint32     // option 51, seconds; valid when HasLeaseTime
	// HasLeaseTime reports whether option 51 was present.
	HasLeaseTime bool
	// Hostname (option 12) aliases the input. Personal data: never log it.
	Hostname []byte
	// ClientID (option 61) aliases the input.
	ClientID []byte
	// Option82 holds every relay agent information instance in order.
	Option82 []option82.Option
	// Overload is the value of option 52 (0 when absent).
	Overload uint8

	scratch []byte        // RFC 3396 concatenations
	o82     []occurrence  // option 82 occurrences of the current decode
	o82buf  [2]occurrence // backing store of o82 for the usual case
}

type occurrence struct {
	off  int // offset of the option's value in the packet
	data []byte
}

// MAC returns the client hardware address when it is Ethernet (htype 1,
// hlen 6).
func (p *Packet) MAC() (hwaddr.MAC, bool) {
	if p.HType != 1 || p.HLen != 6 {
		return hwaddr.MAC{}, false
	}
	return hwaddr.MAC(p.CHAddr[:6]), true
}

// Broadcast reports the BOOTP broadcast flag.
func (p *Packet) Broadcast() bool { return p.Flags&0x8000 != 0 }

// Decode decodes b into a new Packet.
func Decode(b []byte) (*Packet, error) {
	p := new(Packet)
	if err := p.Decode(b); err != nil {
		return nil, err
	}
	return p, nil
}

// Decode decodes b into p, reusing p's slices. On error p's contents are
// unspecified.
func (p *Packet) Decode(b []byte) error {
	if len(b) < MinLen {
		return derr(len(b), -1, ErrShort, "packet of "+strconv.Itoa(len(b))+" bytes, want at least "+strconv.Itoa(MinLen), nil)
	}
	if b[offCookie] != 99 || b[offCookie+1] != 130 || b[offCookie+2] != 83 || b[offCookie+3] != 99 {
		return derr(offCookie, -1, ErrMagicCookie, "", nil)
	}
	if b[2] > 16 {
		return derr(2, -1, ErrHLen, "hlen "+strconv.Itoa(int(b[2])), nil)
	}
	scratch, o82, opt82 := p.scratch[:0], p.o82[:0], p.Option82
	*p = Packet{
		Op:     b[0],
		HType:  b[1],
		HLen:   b[2],
		Hops:   b[3],
		XID:    binary.BigEndian.Uint32(b[4:]),
		Secs:   binary.BigEndian.Uint16(b[8:]),
		Flags:  binary.BigEndian.Uint16(b[10:]),
		CIAddr: netip.AddrFrom4([4]byte(b[12:16])),
		YIAddr: netip.AddrFrom4([4]byte(b[16:20])),
		SIAddr: netip.AddrFrom4([4]byte(b[20:24])),
		GIAddr: netip.AddrFrom4([4]byte(b[24:28])),
		CHAddr: [16]byte(b[28:44]),
	}
	p.scratch, p.o82 = scratch, o82
	p.Option82 = opt82[:0]

	var seen seenSet
	if err := p.walk(b, offOptions, len(b), true, &seen); err != nil {
		return err
	}
	if p.Overload&1 != 0 {
		if err := p.walk(b, offFile, offCookie, false, &seen); err != nil {
			return err
		}
	}
	if p.Overload&2 != 0 {
		if err := p.walk(b, offSname, offFile, false, &seen); err != nil {
			return err
		}
	}
	return p.finishOption82()
}

// seenSet tracks which single-instance options were already read.
type seenSet struct{ hostname, clientID, overload bool }

// walk reads the options in b[start:end].
func (p *Packet) walk(b []byte, start, end int, main bool, seen *seenSet) error {
	for i := start; i < end; {
		code := b[i]
		if code == OptPad {
			i++
			continue
		}
		if code == OptEnd {
			return nil
		}
		if i+1 >= end {
			return derr(i, int(code), ErrOptionTruncated, "option code without length byte", nil)
		}
		l := int(b[i+1])
		v := i + 2
		if v+l > end {
			return derr(i, int(code), ErrOptionTruncated, "length "+strconv.Itoa(l)+", "+strconv.Itoa(end-v)+" bytes left", nil)
		}
		data := b[v : v+l : v+l]
		switch code {
		case OptMessageType:
			if p.MessageType != 0 || l != 1 {
				return fixedErr(i, code, l, 1, p.MessageType != 0)
			}
			p.MessageType = MessageType(data[0])
			if p.MessageType == 0 {
				return derr(i, int(code), ErrOptionLength, "message type 0", nil)
			}
		case OptRequestedIP:
			if p.RequestedIP.IsValid() || l != 4 {
				return fixedErr(i, code, l, 4, p.RequestedIP.IsValid())
			}
			p.RequestedIP = netip.AddrFrom4([4]byte(data))
		case OptServerID:
			if p.ServerID.IsValid() || l != 4 {
				return fixedErr(i, code, l, 4, p.ServerID.IsValid())
			}
			p.ServerID = netip.AddrFrom4([4]byte(data))
		case OptLeaseTime:
			if p.HasLeaseTime || l != 4 {
				return fixedErr(i, code, l, 4, p.HasLeaseTime)
			}
			p.LeaseTime, p.HasLeaseTime = binary.BigEndian.Uint32(data), true
		case OptOverload:
			if !main {
				break // only meaningful in the options field
			}
			if seen.overload || l != 1 {
				return fixedErr(i, code, l, 1, seen.overload)
			}
			if data[0] < 1 || data[0] > 3 {
				return derr(i, int(code), ErrOptionLength, "overload value "+strconv.Itoa(int(data[0]))+", want 1-3", nil)
			}
			seen.overload = true
			p.Overload = data[0]
		case OptHostname:
			p.Hostname = p.concat(p.Hostname, data, seen.hostname)
			seen.hostname = true
		case OptClientID:
			p.ClientID = p.concat(p.ClientID, data, seen.clientID)
			seen.clientID = true
		case OptRelayAgent:
			p.o82 = append(p.o82, occurrence{off: v, data: data})
		}
		i = v + l
	}
	return nil
}

func fixedErr(off int, code byte, l, want int, repeated bool) error {
	if repeated {
		return derr(off, int(code), ErrOptionLength, "repeated; RFC 3396 concatenation breaks its fixed length of "+strconv.Itoa(want), nil)
	}
	return derr(off, int(code), ErrOptionLength, "length "+strconv.Itoa(l)+", want "+strconv.Itoa(want), nil)
}

// concat implements RFC 3396 for a repeated option, in p.scratch.
func (p *Packet) concat(prev, data []byte, repeated bool) []byte {
	if !repeated {
		return data
	}
	start := len(p.scratch)
	p.scratch = append(p.scratch, prev...)
	p.scratch = append(p.scratch, data...)
	return p.scratch[start:len(p.scratch):len(p.scratch)]
}

// finishOption82 parses the collected option 82 occurrences.
func (p *Packet) finishOption82() error {
	if len(p.o82) == 0 {
		return nil
	}
	separate := true
	for _, oc := range p.o82 {
		if err := p.addInstance(oc.data, oc.off); err != nil {
			separate = false
			break
		}
	}
	if separate {
		return nil
	}
	if len(p.o82) == 1 {
		return p.addInstanceErr(p.o82[0].data, p.o82[0].off)
	}
	// An RFC 3396 split inside a sub-option: concatenate and parse as one.
	p.Option82 = p.Option82[:0]
	start := len(p.scratch)
	for _, oc := range p.o82 {
		p.scratch = append(p.scratch, oc.data...)
	}
	value := p.scratch[start:len(p.scratch):len(p.scratch)]
	subs := p.nextSubs()
	subs, err := option82.AppendParse(subs, value)
	if err != nil {
		return p.option82Err(err)
	}
	p.Option82 = append(p.Option82, option82.Option{Subs: subs, Raw: value})
	return nil
}

// nextSubs returns a reusable sub-option slice for the next instance.
func (p *Packet) nextSubs() []option82.SubOption {
	n := len(p.Option82)
	if n < cap(p.Option82) {
		return p.Option82[:n+1][n].Subs[:0]
	}
	return nil
}

func (p *Packet) addInstance(value []byte, off int) error {
	subs, err := option82.AppendParse(p.nextSubs(), value)
	if err != nil {
		return err
	}
	p.Option82 = append(p.Option82, option82.Option{Subs: subs, Raw: value})
	return nil
}

func (p *Packet) addInstanceErr(value []byte, off int) error {
	if err := p.addInstance(value, off); err != nil {
		var pe *option82.ParseError
		if asParseError(err, &pe) {
			return derr(off+pe.Offset, OptRelayAgent, ErrOption82, pe.Error(), err)
		}
		return derr(off, OptRelayAgent, ErrOption82, err.Error(), err)
	}
	return nil
}

// option82Err maps an error inside the concatenated value back to the
// packet offset of the occurrence holding the failing byte.
func (p *Packet) option82Err(err error) error {
	var pe *option82.ParseError
	if !asParseError(err, &pe) {
		return derr(p.o82[0].off, OptRelayAgent, ErrOption82, err.Error(), err)
	}
	rel := pe.Offset
	for _, oc := range p.o82 {
		if rel < len(oc.data) {
			return derr(oc.off+rel, OptRelayAgent, ErrOption82, pe.Error(), err)
		}
		rel -= len(oc.data)
	}
	last := p.o82[len(p.o82)-1]
	return derr(last.off+len(last.data), OptRelayAgent, ErrOption82, pe.Error(), err)
}

func asParseError(err error, pe **option82.ParseError) bool {
	e, ok := err.(*option82.ParseError)
	if ok {
		*pe = e
	}
	return ok
}
