package demosim

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"sync"
	"time"

	"github.com/stadsnat/accessd/snmp/client"
	"github.com/stadsnat/accessd/snmp/client/fakeagent"
	"github.com/stadsnat/accessd/snmp/ifmib"
)

// SwitchOptions configure a simulated access switch. Zero values take the
// defaults named.
type SwitchOptions struct {
	// Listen is the UDP address to answer SNMP on, e.g. "127.0.0.1:16161"
	// (required; port 0 picks a free port, see Switch.Addr).
	Listen string
	// Community is the SNMPv2c community (default "public").
	Community string
	// Name is sysName.0 (default "demo-access-switch").
	Name string
	// Ports are the port names (ifName and ifDescr), ifIndex 1..N in this
	// order; at least one, no repeats.
	Ports []string
	// FlapPort is the port that flaps (default the second port, or the
	// only one).
	FlapPort string
	// FlapEvery is the time from one flap to the next (default 1 minute; a
	// negative value: no flapping); FlapDown how long the link stays down
	// each time (default 5 s, less than FlapEvery).
	FlapEvery, FlapDown time.Duration
	// Down are ports whose link is down all along (admin up, no device).
	Down []string
	// TrapTo is where linkDown/linkUp traps go (host:port); "" sends none.
	// TrapCommunity is their community (default Community).
	TrapTo, TrapCommunity string
	// MaxMessageSize bounds a response datagram (default 65507, at least
	// 484 as RFC 3417 requires).
	MaxMessageSize int
	// Log receives what the switch does (nil: discarded).
	Log *slog.Logger
}

// Port describes one port of the simulated switch.
type Port struct {
	Name      string
	IfIndex   int
	SpeedMbit uint64
	Up        bool
}

// Switch is a simulated access switch answering SNMPv2c over UDP. Safe for
// concurrent use; Run once.
type Switch struct {
	o       SwitchOptions
	log     *slog.Logger
	agent   *fakeagent.Agent
	net     *fakeagent.Network
	index   map[string]int // port name → ifIndex
	flapIdx int            // 0: no flapping

	mu      sync.Mutex
	up      map[int]bool // by ifIndex
	conn    *net.UDPConn
	trapTo  *net.UDPAddr
	trapReq uint32
}

// agentAddr is where the switch's agent sits on its in-memory network.
const agentAddr = "agent:161"

// NewSwitch checks o, applies the defaults and builds the switch's MIB.
func NewSwitch(o SwitchOptions) (*Switch, error) {
	if err := o.defaults(); err != nil {
		return nil, fmt.Errorf("simulated switch: %w", err)
	}
	s := &Switch{o: o, log: o.Log, index: map[string]int{}, up: map[int]bool{}}
	down := make([]bool, len(o.Ports))
	for i, p := range o.Ports {
		s.index[p] = i + 1
		down[i] = slices.Contains(o.Down, p)
		s.up[i+1] = !down[i]
	}
	if o.FlapEvery > 0 {
		s.flapIdx = s.index[o.FlapPort]
	}
	s.agent = fakeagent.New(switchMIB(o.Name, o.Ports, down))
	s.net = fakeagent.NewNetwork()
	s.net.Add(agentAddr, s.agent)
	return s, nil
}

func (o *SwitchOptions) defaults() error {
	if _, _, err := net.SplitHostPort(o.Listen); err != nil {
		return fmt.Errorf("listen address %q: %w", o.Listen, err)
	}
	if len(o.Ports) == 0 {
		return errors.New("no ports")
	}
	seen := map[string]bool{}
	for i, p := range o.Ports {
		if p == "" || seen[p] {
			return fmt.Errorf("port %d: %q is empty or repeated", i+1, p)
		}
		seen[p] = true
	}
	for _, p := range o.Down {
		if !seen[p] {
			return fmt.Errorf("down port %q is not one of the ports", p)
		}
	}
	o.Community = cmpOr(o.Community, "public")
	o.TrapCommunity = cmpOr(o.TrapCommunity, o.Community)
	o.Name = cmpOr(o.Name, "demo-access-switch")
	o.FlapEvery = cmpOr(o.FlapEvery, time.Minute)
	o.FlapDown = cmpOr(o.FlapDown, 5*time.Second)
	o.MaxMessageSize = cmpOr(o.MaxMessageSize, 65507)
	if o.FlapPort == "" {
		o.FlapPort = o.Ports[min(1, len(o.Ports)-1)]
	}
	switch {
	case o.MaxMessageSize < 484:
		return fmt.Errorf("message size %d: at least 484", o.MaxMessageSize)
	case o.FlapEvery > 0 && (o.FlapDown < 0 || o.FlapDown >= o.FlapEvery):
		return fmt.Errorf("flap down time %v: want between 0 and the flap period %v", o.FlapDown, o.FlapEvery)
	case o.FlapEvery > 0 && !seen[o.FlapPort]:
		return fmt.Errorf("flap port %q is not one of the ports", o.FlapPort)
	case o.FlapEvery > 0 && slices.Contains(o.Down, o.FlapPort):
		return fmt.Errorf("flap port %q is also listed as down", o.FlapPort)
	}
	if o.TrapTo != "" {
		if _, _, err := net.SplitHostPort(o.TrapTo); err != nil {
			return fmt.Errorf("trap address %q: %w", o.TrapTo, err)
		}
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return nil
}

// cmpOr is cmp.Or for the option types used here.
func cmpOr[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// Agent returns the in-memory agent behind the switch, for tests that
// script it (SetDown, SetLatency, Restart).
func (s *Switch) Agent() *fakeagent.Agent { return s.agent }

// Addr returns the UDP address the switch answers on once Run has called
// ready ("" before).
func (s *Switch) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn == nil {
		return ""
	}
	return s.conn.LocalAddr().String()
}

// Ports returns the switch's ports in ifIndex order with their current
// link.
func (s *Switch) Ports() []Port {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Port, len(s.o.Ports))
	for i, p := range s.o.Ports {
		out[i] = Port{Name: p, IfIndex: i + 1, SpeedMbit: SpeedMbit(i), Up: s.up[i+1]}
	}
	return out
}

// SetLink brings the link of port up or down, as plugging or unplugging
// the cable would: ifOperStatus changes, ifLastChange moves to now, and a
// trap goes out when a receiver is configured. Setting the state the port
// already has changes nothing.
func (s *Switch) SetLink(port string, up bool) error {
	idx, ok := s.index[port]
	if !ok {
		return fmt.Errorf("simulated switch has no port %q", port)
	}
	s.mu.Lock()
	if s.up[idx] == up {
		s.mu.Unlock()
		return nil
	}
	s.up[idx] = up
	oper := ifmib.OperDown
	if up {
		oper = ifmib.OperUp
	}
	s.agent.SetOper(idx, oper)
	conn, to := s.conn, s.trapTo
	s.trapReq++
	reqID := s.trapReq
	s.mu.Unlock()
	s.log.Info("simulated switch port link changed", "switch", s.o.Name, "port", port, "if_index", idx, "link", linkWord(up))
	if conn != nil && to != nil {
		if err := s.sendTrap(conn, to, reqID, idx, oper); err != nil {
			s.log.Warn("simulated switch could not send its link trap; the poller will see the change at its next poll",
				"switch", s.o.Name, "port", port, "trap_to", to.String(), "err", err)
		}
	}
	return nil
}

func linkWord(up bool) string {
	if up {
		return "up"
	}
	return "down"
}

// Run answers SNMP on Listen until ctx ends, flapping FlapPort meanwhile.
// It calls ready (if not nil) once the socket is open.
func (s *Switch) Run(ctx context.Context, ready func()) error {
	var lc net.ListenConfig
	pc, err := lc.ListenPacket(ctx, "udp", s.o.Listen)
	if err != nil {
		return fmt.Errorf("simulated switch: listen on udp %s: %w", s.o.Listen, err)
	}
	conn := pc.(*net.UDPConn)
	var to *net.UDPAddr
	if s.o.TrapTo != "" {
		if to, err = net.ResolveUDPAddr("udp", s.o.TrapTo); err != nil {
			conn.Close()
			return fmt.Errorf("simulated switch: trap address %s: %w", s.o.TrapTo, err)
		}
	}
	sess, err := s.net.Dial(ctx, client.Target{Address: agentAddr, Credentials: client.Credentials{Community: s.o.Community},
		Timeout: time.Millisecond})
	if err != nil {
		conn.Close()
		return fmt.Errorf("simulated switch: %w", err)
	}
	defer sess.Close()
	s.mu.Lock()
	s.conn, s.trapTo = conn, to
	s.mu.Unlock()

	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() {
		<-ctx.Done()
		conn.Close()
	})
	wg.Go(func() { s.flap(ctx) })
	s.log.Info("simulated switch answering SNMPv2c", "switch", s.o.Name, "address", conn.LocalAddr().String(),
		"ports", len(s.o.Ports), "flap_port", s.flapPortName(), "flap_every", s.o.FlapEvery.String())
	if ready != nil {
		ready()
	}
	err = s.serve(ctx, conn, &front{community: []byte(s.o.Community), maxSize: s.o.MaxMessageSize, sess: sess})
	cancel()
	wg.Wait()
	return err
}

func (s *Switch) flapPortName() string {
	if s.flapIdx == 0 {
		return ""
	}
	return s.o.FlapPort
}

// serve reads requests and answers them, one at a time.
func (s *Switch) serve(ctx context.Context, conn *net.UDPConn, f *front) error {
	buf := make([]byte, 65536)
	for {
		n, from, err := conn.ReadFromUDP(buf)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("simulated switch: read: %w", err)
		}
		out, err := f.handle(ctx, buf[:n])
		if err != nil {
			s.log.Debug("simulated switch ignored a datagram", "switch", s.o.Name, "from", from.String(), "err", err)
			continue
		}
		if _, err := conn.WriteToUDP(out, from); err != nil && ctx.Err() == nil {
			s.log.Warn("simulated switch could not send a response", "switch", s.o.Name, "err", err)
		}
	}
}

// flap takes the flapping port down for FlapDown once every FlapEvery
// until ctx ends.
func (s *Switch) flap(ctx context.Context) {
	if s.flapIdx == 0 {
		return
	}
	t := time.NewTimer(s.o.FlapEvery - s.o.FlapDown)
	defer t.Stop()
	up := true
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		up = !up
		if err := s.SetLink(s.o.FlapPort, up); err != nil {
			s.log.Error("simulated flap failed", "switch", s.o.Name, "port", s.o.FlapPort, "err", err)
			return
		}
		if up {
			t.Reset(s.o.FlapEvery - s.o.FlapDown)
		} else {
			t.Reset(s.o.FlapDown)
		}
	}
}
