package main

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"strings"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4"
	"golang.org/x/net/ipv4"
)

type genConfig struct {
	Target           string
	Rate             float64
	Duration         time.Duration
	Count            int64
	Clients          int
	ClientBase       int  // the first client's number: its MAC and address
	RandomMACs       bool // MACs spread over the key space (real clients'), not numbered in order
	Switches, Ports  int
	SwitchBase       int
	PortBase         int
	RemoteID         string
	CircuitID        string
	GIAddr           string
	ServerID         string
	Mix              float64
	Batch            int
	AllowNonLoopback bool
	Seed             uint64
}

// template is one circuit's prebuilt packet of one message type, with the
// offsets of the fields patched per client.
type template struct {
	b                         []byte
	offClientID, offRequested int // value offsets; -1 when absent
}

type generator struct {
	cfg      genConfig
	dst      *net.UDPAddr
	circuits int
	discover []template // per circuit
	request  []template // per circuit
}

type result struct {
	Sent, Discovers, Requests int64
	Errors                    int64
	Elapsed                   time.Duration
	Target                    float64
}

func (r result) String() string {
	rate := 0.0
	if r.Elapsed > 0 {
		rate = float64(r.Sent) / r.Elapsed.Seconds()
	}
	target := "flat out"
	if r.Target > 0 {
		target = fmt.Sprintf("target %.0f pkt/s", r.Target)
	}
	return fmt.Sprintf("sent %d packets (%d discover, %d request) in %.3fs: %.0f pkt/s (%s), send errors %d",
		r.Sent, r.Discovers, r.Requests, r.Elapsed.Seconds(), rate, target, r.Errors)
}

func newGenerator(c genConfig) (*generator, error) {
	switch {
	case c.Clients < 1 || c.Clients > 1<<24:
		return nil, fmt.Errorf("-clients %d: want 1 to %d", c.Clients, 1<<24)
	case c.ClientBase < 0 || c.ClientBase+c.Clients > 1<<24:
		return nil, fmt.Errorf("-client-base %d: want 0 to %d less -clients", c.ClientBase, 1<<24)
	case c.Switches < 1 || c.Ports < 1 || c.Switches*c.Ports > 1<<20:
		return nil, fmt.Errorf("-switches %d × -ports %d: want at least 1 each and at most %d circuits", c.Switches, c.Ports, 1<<20)
	case c.Batch < 1 || c.Batch > 1024:
		return nil, fmt.Errorf("-batch %d: want 1 to 1024", c.Batch)
	case c.Mix < 0 || c.Mix > 1:
		return nil, fmt.Errorf("-mix %v: want 0 to 1", c.Mix)
	case c.Rate < 0:
		return nil, fmt.Errorf("-rate %v: want ≥ 0", c.Rate)
	case c.Duration <= 0 && c.Count <= 0:
		return nil, errors.New("give a positive -duration or -count")
	}
	dst, err := net.ResolveUDPAddr("udp4", c.Target)
	if err != nil {
		return nil, fmt.Errorf("-target %q: %w", c.Target, err)
	}
	if ip, ok := netip.AddrFromSlice(dst.IP); !ok || (!ip.Unmap().IsLoopback() && !c.AllowNonLoopback) {
		return nil, fmt.Errorf("-target %s is not a loopback address; pass -allow-nonloopback only for an address inside a test namespace", dst)
	}
	gi, err := netip.ParseAddr(c.GIAddr)
	if err != nil || !gi.Is4() {
		return nil, fmt.Errorf("-giaddr %q: not an IPv4 address", c.GIAddr)
	}
	sid, err := netip.ParseAddr(c.ServerID)
	if err != nil || !sid.Is4() {
		return nil, fmt.Errorf("-server-id %q: not an IPv4 address", c.ServerID)
	}
	g := &generator{cfg: c, dst: dst, circuits: c.Switches * c.Ports}
	for i := range g.circuits {
		rid, cid := g.circuitIDs(i)
		o82, err := option82Value(rid, cid)
		if err != nil {
			return nil, fmt.Errorf("circuit %d: %w", i, err)
		}
		d, err := buildTemplate(dhcpv4.MessageTypeDiscover, gi, sid, o82)
		if err != nil {
			return nil, err
		}
		r, err := buildTemplate(dhcpv4.MessageTypeRequest, gi, sid, o82)
		if err != nil {
			return nil, err
		}
		g.discover = append(g.discover, d)
		g.request = append(g.request, r)
	}
	return g, nil
}

// circuitIDs returns the remote-id and circuit-id texts of circuit i.
func (g *generator) circuitIDs(i int) (rid, cid string) {
	sw := i/g.cfg.Ports + g.cfg.SwitchBase
	port := i%g.cfg.Ports + g.cfg.PortBase
	return pattern(g.cfg.RemoteID, sw), pattern(g.cfg.CircuitID, port)
}

func pattern(p string, n int) string {
	if strings.Contains(p, "%") {
		return fmt.Sprintf(p, n)
	}
	return p
}

func option82Value(rid, cid string) ([]byte, error) {
	if len(cid) > 255 || len(rid) > 255 || len(cid)+len(rid)+4 > 255 {
		return nil, fmt.Errorf("circuit-id %q and remote-id %q do not fit in one option 82", cid, rid)
	}
	var v []byte
	if cid != "" {
		v = append(append(v, 1, byte(len(cid))), cid...)
	}
	if rid != "" {
		v = append(append(v, 2, byte(len(rid))), rid...)
	}
	if len(v) == 0 {
		return nil, errors.New("empty -circuit-id and -remote-id: nothing to send as option 82")
	}
	return v, nil
}

func buildTemplate(mt dhcpv4.MessageType, gi, sid netip.Addr, o82 []byte) (template, error) {
	mac := net.HardwareAddr{0x02, 0, 0, 0, 0, 0}
	mods := []dhcpv4.Modifier{
		dhcpv4.WithMessageType(mt),
		dhcpv4.WithHwAddr(mac),
		dhcpv4.WithGatewayIP(gi.AsSlice()),
		func(d *dhcpv4.DHCPv4) { d.HopCount = 1 },
		dhcpv4.WithOption(dhcpv4.OptClientIdentifier(append([]byte{1}, mac...))),
		dhcpv4.WithOption(dhcpv4.OptParameterRequestList(dhcpv4.OptionSubnetMask, dhcpv4.OptionRouter,
			dhcpv4.OptionDomainNameServer, dhcpv4.OptionIPAddressLeaseTime)),
		dhcpv4.WithOption(dhcpv4.OptGeneric(dhcpv4.OptionRelayAgentInformation, o82)),
	}
	if mt == dhcpv4.MessageTypeRequest {
		mods = append(mods,
			dhcpv4.WithOption(dhcpv4.OptRequestedIPAddress(net.IPv4(10, 64, 0, 0))),
			dhcpv4.WithOption(dhcpv4.OptServerIdentifier(sid.AsSlice())))
	}
	d, err := dhcpv4.New(mods...)
	if err != nil {
		return template{}, fmt.Errorf("build %v: %w", mt, err)
	}
	t := template{b: d.ToBytes(), offClientID: -1, offRequested: -1}
	// Find the value offsets of options 61 and 50.
	for i := 240; i+1 < len(t.b); {
		code := t.b[i]
		if code == 0 {
			i++
			continue
		}
		if code == 255 {
			break
		}
		l := int(t.b[i+1])
		switch code {
		case 61:
			t.offClientID = i + 2
		case 50:
			t.offRequested = i + 2
		}
		i += 2 + l
	}
	if t.offClientID < 0 || (mt == dhcpv4.MessageTypeRequest && t.offRequested < 0) {
		return template{}, fmt.Errorf("build %v: option offsets not found", mt)
	}
	return t, nil
}

// fill writes client i's packet of the given kind into buf.
func (g *generator) fill(buf []byte, client int, request bool, xid uint32) []byte {
	circuit := client % g.circuits
	t := g.discover[circuit]
	if request {
		t = g.request[circuit]
	}
	buf = append(buf[:0], t.b...)
	binary.BigEndian.PutUint32(buf[4:], xid)
	mac := [6]byte{0x02, 0x00}
	n := uint32(g.cfg.ClientBase + client)
	binary.BigEndian.PutUint32(mac[2:], n)
	if g.cfg.RandomMACs {
		mac[1] = 0x5e
		binary.BigEndian.PutUint32(mac[2:], spread(n))
	}
	copy(buf[28:34], mac[:])
	copy(buf[t.offClientID+1:], mac[:])
	if request {
		binary.BigEndian.PutUint32(buf[t.offRequested:], 10<<24|64<<16+n)
	}
	return buf
}

// Run sends until the duration or count is reached or ctx ends.
func (g *generator) Run(ctx context.Context) (result, error) {
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: localFor(g.dst.IP)})
	if err != nil {
		return result{}, fmt.Errorf("open UDP socket: %w", err)
	}
	defer c.Close()
	_ = c.SetWriteBuffer(4 << 20)
	pc := ipv4.NewPacketConn(c)
	rng := rand.New(rand.NewPCG(g.cfg.Seed, 0x5eed))

	msgs := make([]ipv4.Message, g.cfg.Batch)
	isReq := make([]bool, g.cfg.Batch)
	for i := range msgs {
		msgs[i].Buffers = [][]byte{make([]byte, 0, 512)}
		msgs[i].Addr = g.dst
	}
	var r result
	r.Target = g.cfg.Rate
	start := time.Now()
	var deadline time.Time
	if g.cfg.Duration > 0 {
		deadline = start.Add(g.cfg.Duration)
	}
	client := 0
	for {
		if ctx.Err() != nil {
			break
		}
		now := time.Now()
		if !deadline.IsZero() && !now.Before(deadline) {
			break
		}
		n := g.cfg.Batch
		if g.cfg.Count > 0 {
			if left := g.cfg.Count - r.Sent; left <= 0 {
				break
			} else if left < int64(n) {
				n = int(left)
			}
		}
		if g.cfg.Rate > 0 {
			// Pace: packet number r.Sent is due at start + r.Sent/rate.
			due := start.Add(time.Duration(float64(r.Sent) / g.cfg.Rate * float64(time.Second)))
			if wait := due.Sub(now); wait > 0 {
				if !deadline.IsZero() && due.After(deadline) {
					time.Sleep(deadline.Sub(now))
					break
				}
				time.Sleep(wait)
			}
		}
		for i := range n {
			isReq[i] = rng.Float64() < g.cfg.Mix
			msgs[i].Buffers[0] = g.fill(msgs[i].Buffers[0], client, isReq[i], rng.Uint32())
			client = (client + 1) % g.cfg.Clients
		}
		sent, err := g.send(pc, c, msgs[:n])
		r.Sent += int64(sent)
		for i := range sent {
			if isReq[i] {
				r.Requests++
			} else {
				r.Discovers++
			}
		}
		if err != nil {
			r.Errors++
			if errors.Is(err, net.ErrClosed) {
				return r, err
			}
		}
	}
	r.Elapsed = time.Since(start)
	return r, nil
}

func (g *generator) send(pc *ipv4.PacketConn, c *net.UDPConn, ms []ipv4.Message) (int, error) {
	if g.cfg.Batch == 1 {
		_, err := c.WriteToUDP(ms[0].Buffers[0], g.dst)
		if err != nil {
			return 0, err
		}
		return 1, nil
	}
	sent := 0
	for sent < len(ms) {
		n, err := pc.WriteBatch(ms[sent:], 0)
		sent += n
		if err != nil {
			return sent, err
		}
		if n == 0 {
			break
		}
	}
	return sent, nil
}

// localFor picks the source address: loopback for a loopback target, any
// otherwise.
func localFor(dst net.IP) net.IP {
	if dst.IsLoopback() {
		return net.IPv4(127, 0, 0, 1)
	}
	return nil
}

// spread is a bijection of 32 bits that scatters consecutive client
// numbers (a multiply-xorshift mix; each step is invertible): distinct
// clients keep distinct MACs, in no key order.
func spread(n uint32) uint32 {
	n *= 0x9e3779b1
	n ^= n >> 15
	n *= 0x85ebca77
	n ^= n >> 13
	return n
}
