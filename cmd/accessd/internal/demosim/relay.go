package demosim

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"time"
)

// RelayOptions configure a simulated DHCP relay. Zero values take the
// defaults named.
type RelayOptions struct {
	// Target is the daemon's relay listener, e.g. "127.0.0.1:6767"
	// (required).
	Target string
	// Source is the local address the relay sends from (default
	// "127.0.0.1:0"): what the daemon's relay trust must admit.
	Source string
	// Circuits are the accesses' circuits, in order: the circuit at index
	// a has the clients Network.a.10, .11, … (at least one, at most 255).
	Circuits []Circuit
	// Unknown is a circuit that no access has; its one client sits at
	// Network.255.10 (default: circuit-id "acc99" on the first circuit's
	// remote-id).
	Unknown Circuit
	// Network is the clients' IPv4 /16 (default 10.67.0.0/16).
	Network netip.Prefix
	// GIAddr is the relay's address on the clients' side (default
	// Network.0.1); ServerID the DHCP server the clients chose (option
	// 54 of a SELECTING REQUEST; default Network.0.2).
	GIAddr, ServerID netip.Addr
	// MaxClients sets the clients per circuit: 1 + (a+1) mod MaxClients
	// for the circuit at index a (default 3, at most 90).
	MaxClients int
	// FirstRenew is when the clients first renew after the start (default
	// 2 s), Renew the time between renewals after that (default 30 s).
	FirstRenew, Renew time.Duration
	// MoveEvery is how often the moving client changes address (default
	// 3 minutes; negative: never, and it keeps its own address). Its
	// first change comes right after the first round.
	MoveEvery time.Duration
	// Spread is the pause between two packets of a round (default 5 ms).
	Spread time.Duration
	// Log receives what the relay does (nil: discarded).
	Log *slog.Logger
}

// Client is one simulated DHCP client.
type Client struct {
	Circuit Circuit
	// Known is false for the client on the unknown circuit.
	Known bool
	MAC   net.HardwareAddr
	// IP is the client's own address; AltIP the moving client's other
	// address (invalid for the others).
	IP, AltIP netip.Addr
}

// Relay is a simulated DHCP relay sending to the daemon's relay listener.
// Safe for concurrent use; Run once.
type Relay struct {
	o       RelayOptions
	log     *slog.Logger
	clients []Client
	mover   int // index in clients; -1: none

	mu  sync.Mutex
	cur []netip.Addr // each client's current address
	xid uint32
}

// NewRelay checks o, applies the defaults and plans the clients.
func NewRelay(o RelayOptions) (*Relay, error) {
	if err := o.defaults(); err != nil {
		return nil, fmt.Errorf("simulated relay: %w", err)
	}
	r := &Relay{o: o, log: o.Log, mover: -1, xid: 0x67000000}
	base := o.Network.Addr().As4()
	addr := func(a, host int) netip.Addr {
		return netip.AddrFrom4([4]byte{base[0], base[1], byte(a), byte(host)})
	}
	for a, c := range o.Circuits {
		for i := range 1 + (a+1)%o.MaxClients {
			cl := Client{Circuit: c, Known: true, MAC: net.HardwareAddr{0x02, 0x67, 0, 0, byte(a), byte(i)}, IP: addr(a, 10+i)}
			if a == 0 && i == 1 && o.MoveEvery > 0 {
				cl.AltIP = addr(a, 110+i)
				r.mover = len(r.clients)
			}
			r.clients = append(r.clients, cl)
		}
	}
	r.clients = append(r.clients, Client{Circuit: o.Unknown, MAC: net.HardwareAddr{0x02, 0x67, 0, 0, 0xff, 0}, IP: addr(255, 10)})
	r.cur = make([]netip.Addr, len(r.clients))
	for i, c := range r.clients {
		r.cur[i] = c.IP
		if c.AltIP.IsValid() {
			r.cur[i] = c.AltIP
		}
	}
	return r, nil
}

func (o *RelayOptions) defaults() error {
	if _, _, err := net.SplitHostPort(o.Target); err != nil {
		return fmt.Errorf("target address %q: %w", o.Target, err)
	}
	o.Source = cmpOr(o.Source, "127.0.0.1:0")
	if _, _, err := net.SplitHostPort(o.Source); err != nil {
		return fmt.Errorf("source address %q: %w", o.Source, err)
	}
	if len(o.Circuits) == 0 || len(o.Circuits) > 255 {
		return fmt.Errorf("%d circuits: want 1 to 255", len(o.Circuits))
	}
	for i, c := range o.Circuits {
		if c.CircuitID == "" || len(c.CircuitID)+len(c.RemoteID) > 250 {
			return fmt.Errorf("circuit %d %q: empty circuit-id, or too long for one option 82", i, c)
		}
	}
	if o.Unknown == (Circuit{}) {
		o.Unknown = Circuit{RemoteID: o.Circuits[0].RemoteID, CircuitID: "acc99"}
	}
	if !o.Network.IsValid() {
		o.Network = netip.MustParsePrefix("10.67.0.0/16")
	}
	if !o.Network.Addr().Is4() || o.Network.Bits() != 16 {
		return fmt.Errorf("client network %s: want an IPv4 /16", o.Network)
	}
	o.Network = o.Network.Masked()
	b := o.Network.Addr().As4()
	if !o.GIAddr.IsValid() {
		o.GIAddr = netip.AddrFrom4([4]byte{b[0], b[1], 0, 1})
	}
	if !o.ServerID.IsValid() {
		o.ServerID = netip.AddrFrom4([4]byte{b[0], b[1], 0, 2})
	}
	if !o.GIAddr.Is4() || !o.ServerID.Is4() {
		return errors.New("giaddr and server identifier must be IPv4 addresses")
	}
	o.MaxClients = cmpOr(o.MaxClients, 3)
	o.FirstRenew = cmpOr(o.FirstRenew, 2*time.Second)
	o.Renew = cmpOr(o.Renew, 30*time.Second)
	o.MoveEvery = cmpOr(o.MoveEvery, 3*time.Minute)
	o.Spread = cmpOr(o.Spread, 5*time.Millisecond)
	switch {
	case o.MaxClients < 1 || o.MaxClients > 90:
		return fmt.Errorf("%d clients per circuit: want 1 to 90", o.MaxClients)
	case o.FirstRenew < 0 || o.Renew < 0 || o.Spread < 0:
		return errors.New("renewal times and spread must not be negative")
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return nil
}

// Clients returns the simulated clients: those of each circuit in order,
// then the unknown circuit's.
func (r *Relay) Clients() []Client {
	out := make([]Client, len(r.clients))
	copy(out, r.clients)
	return out
}

// Current returns the address client i (an index of Clients) uses now:
// its IP, or the moving client's AltIP before and between moves.
func (r *Relay) Current(i int) netip.Addr {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.cur[i]
}

// Run sends the demo's DHCP traffic to Target until ctx ends: the first
// round (DISCOVER and SELECTING REQUEST of every client), then renewals
// and moves. It calls ready (if not nil) once the first round is sent.
// A packet that cannot be sent is logged and the relay goes on.
func (r *Relay) Run(ctx context.Context, ready func()) error {
	src, err := net.ResolveUDPAddr("udp4", r.o.Source)
	if err != nil {
		return fmt.Errorf("simulated relay: source %s: %w", r.o.Source, err)
	}
	dst, err := net.ResolveUDPAddr("udp4", r.o.Target)
	if err != nil {
		return fmt.Errorf("simulated relay: target %s: %w", r.o.Target, err)
	}
	conn, err := net.ListenUDP("udp4", src)
	if err != nil {
		return fmt.Errorf("simulated relay: open socket on %s: %w", r.o.Source, err)
	}
	defer conn.Close()
	r.log.Info("simulated DHCP relay sending the demo's traffic", "target", dst.String(), "source", conn.LocalAddr().String(),
		"circuits", len(r.o.Circuits), "clients", len(r.clients), "unknown_circuit", r.o.Unknown.String())
	return r.run(ctx, func(b []byte) error {
		_, err := conn.WriteToUDP(b, dst)
		return err
	}, ready)
}

// run is Run with the socket replaced by send (tests use a fake clock).
func (r *Relay) run(ctx context.Context, send func([]byte) error, ready func()) error {
	failed := 0
	emit := func(what string, b []byte, err error) {
		if err == nil {
			err = send(b)
		}
		if err != nil {
			failed++
			if failed == 1 || failed%1000 == 0 {
				r.log.Warn("simulated relay could not send a packet; the daemon misses it", "packet", what, "failures", failed, "err", err)
			}
		}
	}
	if !r.round(ctx, "first round", r.first, emit) {
		return nil
	}
	if r.mover >= 0 && !r.round(ctx, "move", r.move, emit) {
		return nil
	}
	if ready != nil {
		ready()
	}
	renew := time.NewTimer(r.o.FirstRenew)
	defer renew.Stop()
	var moveC <-chan time.Time
	if r.mover >= 0 {
		move := time.NewTicker(r.o.MoveEvery)
		defer move.Stop()
		moveC = move.C
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-renew.C:
			if !r.round(ctx, "renewals", r.renewals, emit) {
				return nil
			}
			renew.Reset(r.o.Renew)
		case <-moveC:
			if !r.round(ctx, "move", r.move, emit) {
				return nil
			}
		}
	}
}

// packetFunc sends one kind of round through emit.
type packetFunc func(emit func(what string, b []byte, err error)) int

// round runs one round with Spread between its packets; false when ctx
// ended meanwhile.
func (r *Relay) round(ctx context.Context, name string, f packetFunc, emit func(string, []byte, error)) bool {
	first := true
	n := f(func(what string, b []byte, err error) {
		if !first && r.o.Spread > 0 {
			select {
			case <-ctx.Done():
				return
			case <-time.After(r.o.Spread):
			}
		}
		first = false
		if ctx.Err() == nil {
			emit(what, b, err)
		}
	})
	r.log.Debug("simulated relay round sent", "round", name, "packets", n)
	return ctx.Err() == nil
}

// first: every client's DISCOVER and SELECTING REQUEST; the moving client
// renews at once, so that the address it leaves was confirmed.
func (r *Relay) first(emit func(string, []byte, error)) int {
	n := 0
	for i := range r.clients {
		xid := r.nextXID()
		b, err := r.discover(i, xid)
		emit("discover", b, err)
		b, err = r.selecting(i, xid, r.Current(i))
		emit("request", b, err)
		n += 2
		if i == r.mover {
			b, err = r.renewal(i, r.nextXID())
			emit("renewal", b, err)
			n++
		}
	}
	return n
}

// renewals: every client's REQUEST with ciaddr.
func (r *Relay) renewals(emit func(string, []byte, error)) int {
	for i := range r.clients {
		b, err := r.renewal(i, r.nextXID())
		emit("renewal", b, err)
	}
	return len(r.clients)
}

// move: the moving client got another address (it was away longer than
// its lease): DISCOVER and a SELECTING REQUEST for it.
func (r *Relay) move(emit func(string, []byte, error)) int {
	i, c := r.mover, r.clients[r.mover]
	r.mu.Lock()
	if r.cur[i] == c.IP {
		r.cur[i] = c.AltIP
	} else {
		r.cur[i] = c.IP
	}
	ip := r.cur[i]
	r.mu.Unlock()
	xid := r.nextXID()
	b, err := r.discover(i, xid)
	emit("discover", b, err)
	b, err = r.selecting(i, xid, ip)
	emit("request", b, err)
	return 2
}

func (r *Relay) nextXID() uint32 {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.xid++
	return r.xid
}
