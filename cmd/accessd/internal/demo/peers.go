package demo

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"time"

	"github.com/stadsnat/accessd/cmd/accessd/internal/demosim"
	"github.com/stadsnat/accessd/cmd/accessd/internal/subsys"
	"github.com/stadsnat/accessd/cmd/internal/config"
	"github.com/stadsnat/accessd/store"
	"github.com/stadsnat/accessd/store/inventory"
)

// The demo's fixed UDP ports (with -demo-listen on port 0, every port is
// the kernel's choice instead).
const (
	demoRelayPort  = 6767
	demoSNMPPort   = 16161
	demoTrapPort   = 16162
	demoDownPort   = "acc11" // ALS10012: a port without a device
	demoSwitchName = "127.0.0.1"
)

// Peers are what `accessd -demo` runs beside the daemon, on loopback:
// its own HTTP, DHCP relay and trap sockets (handed to the daemon as
// systemd would hand its sockets), the simulated access switch of the
// inventory's 127.0.0.1 and the simulated DHCP relay; and the simulated
// upstream systems that Prepare started.
type Peers struct {
	log   *slog.Logger
	sw    *demosim.Switch
	relay *demosim.Relay
	up    *upstreams

	httpAddr, relayAddr, trapAddr, switchAddr string

	ports, clients, circuits int
	flapPort, downPort       string
	unknown                  string

	stopSwitch func()
}

// Start opens the demo's sockets on listen's host (fixed ports, or the
// kernel's choice when listen's port is 0) into sockets, and starts the
// simulated switch, whose port becomes the configuration's SNMP port.
// Stop ends the switch.
func (d *Demo) Start(ctx context.Context, sockets subsys.Sockets, listen string, log *slog.Logger) (*Peers, error) {
	cfg := d.Config
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return nil, fmt.Errorf("-demo-listen %q: %w", listen, err)
	}
	any := port == "0"
	udp := func(fixed int) string {
		if any {
			return net.JoinHostPort(host, "0")
		}
		return net.JoinHostPort(host, strconv.Itoa(fixed))
	}
	p := &Peers{log: log.With("subsystem", "demo"), up: d.up}
	if p.httpAddr, err = listenInto(sockets, "http", "tcp", listen); err != nil {
		return nil, err
	}
	if p.relayAddr, err = listenInto(sockets, "dhcp4", "udp", udp(demoRelayPort)); err != nil {
		return nil, err
	}
	if p.trapAddr, err = listenInto(sockets, "snmptrap", "udp", udp(demoTrapPort)); err != nil {
		return nil, err
	}
	texts, err := demoOption82()
	if err != nil {
		return nil, err
	}
	if err := p.startSwitch(ctx, texts, udp(demoSNMPPort), cfg); err != nil {
		return nil, err
	}
	circuits := demosim.CircuitsFromOption82(texts, "")
	source, err := trustRelay(cfg, host)
	if err == nil {
		p.relay, err = demosim.NewRelay(demosim.RelayOptions{Target: p.relayAddr, Source: source, Circuits: circuits, Log: p.log})
	}
	if err != nil {
		p.stopSwitch()
		return nil, err
	}
	clients := p.relay.Clients()
	p.circuits, p.clients = len(circuits), len(clients)-1 // the last is the unknown circuit's
	p.unknown = clients[len(clients)-1].Circuit.String()
	return p, nil
}

// trustRelay gives the simulated relay's source address on host (the
// loopback address when host is unspecified) and makes sure the demo's
// dhcp.relay.allowed_sources admits it, so that its copies are read on
// any -demo-listen host, not only the configuration's 127.0.0.1.
func trustRelay(cfg *config.Config, host string) (string, error) {
	ua, err := net.ResolveUDPAddr("udp4", net.JoinHostPort(host, "0"))
	if err != nil {
		return "", fmt.Errorf("-demo-listen host %q: the simulated relay needs an IPv4 address: %w", host, err)
	}
	ip, ok := netip.AddrFromSlice(ua.IP.To4())
	if !ok || ip.IsUnspecified() {
		ip = netip.AddrFrom4([4]byte{127, 0, 0, 1})
	}
	if !slices.ContainsFunc(cfg.DHCP.Relay.AllowedSources, func(p netip.Prefix) bool { return p.Contains(ip) }) {
		cfg.DHCP.Relay.AllowedSources = append(cfg.DHCP.Relay.AllowedSources, netip.PrefixFrom(ip, 32))
	}
	return net.JoinHostPort(ip.String(), "0"), nil
}

// startSwitch runs the simulated switch with the ports the inventory
// gives 127.0.0.1, and points the poller at it.
func (p *Peers) startSwitch(ctx context.Context, texts []string, addr string, cfg *config.Config) error {
	ports := demosim.PortsFromOption82(texts, demoSwitchName)
	var err error
	p.sw, err = demosim.NewSwitch(demosim.SwitchOptions{Listen: addr, Ports: ports, Down: []string{demoDownPort}, TrapTo: p.trapAddr,
		TrapCommunity: cfg.SNMP.Traps.Community, Log: p.log})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	ready, done := make(chan struct{}), make(chan error, 1)
	go func() { done <- p.sw.Run(ctx, func() { close(ready) }) }()
	select {
	case <-ready:
	case err := <-done:
		cancel()
		return fmt.Errorf("simulated switch: %w", err)
	}
	p.stopSwitch = func() {
		cancel()
		if err := <-done; err != nil {
			p.log.Warn("simulated switch stopped on an error", "err", err)
		}
	}
	p.switchAddr = p.sw.Addr()
	_, port, _ := net.SplitHostPort(p.switchAddr)
	cfg.SNMP.Port, _ = strconv.Atoi(port)
	p.ports = len(ports)
	p.downPort = demoDownPort
	for _, pt := range p.sw.Ports() {
		if pt.IfIndex == 2 {
			p.flapPort = pt.Name // the default flapping port: the second
		}
	}
	return nil
}

// Stop ends the simulated switch.
func (p *Peers) Stop() { p.stopSwitch() }

// RelayTask sends the simulated relay's traffic once the daemon's relay
// listener is ready; it is ready itself once the first round is sent and
// the store holds every known client's binding at its current address (so
// the first move's history too), so the daemon is ready with the demo's
// bindings learnt and committed.
func (p *Peers) RelayTask(notReady func() []string, db *store.DB) subsys.Task {
	return subsys.Task{Name: "demo-relay", Run: func(ctx context.Context, ready func()) error {
		if !poll(ctx, func() bool { return !slices.Contains(notReady(), "dhcp-relay") }) {
			return nil
		}
		return p.relay.Run(ctx, func() {
			go func() {
				settle, cancel := context.WithTimeout(ctx, 30*time.Second)
				defer cancel()
				if !poll(settle, func() bool { return p.committed(db) }) && ctx.Err() == nil {
					p.log.Warn("the simulated relay's first round is not all in the store after 30s; ready anyway")
				}
				ready()
			}()
		})
	}}
}

// committed reports whether the store holds every known client's binding
// at the address the relay last gave it.
func (p *Peers) committed(db *store.DB) bool {
	for i, c := range p.relay.Clients() {
		if !c.Known {
			continue
		}
		b, err := db.Bindings().ByMAC(store.MAC(c.MAC))
		if err != nil || b.IP != p.relay.Current(i) {
			return false
		}
	}
	return true
}

// poll calls ok every 10 ms until it is true (true) or ctx ends (false).
func poll(ctx context.Context, ok func() bool) bool {
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for !ok() {
		select {
		case <-ctx.Done():
			return false
		case <-tick.C:
		}
	}
	return true
}

// demoAccesses are the demo inventory's accesses, in file order.
func demoAccesses() ([]inventory.Access, error) {
	in, err := store.ReadIncoming(inventory.CSV, bytes.NewReader(demoCSV))
	if err != nil {
		return nil, fmt.Errorf("demo inventory: %w", err)
	}
	out := make([]inventory.Access, len(in))
	for i, a := range in {
		out[i] = a.Access
	}
	return out, nil
}

// demoOption82 is the Option82 text of every demo access, in file order.
func demoOption82() ([]string, error) {
	as, err := demoAccesses()
	if err != nil {
		return nil, err
	}
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = a.Option82
	}
	return out, nil
}

// listenInto opens a socket and hands it to the daemon under name, as a
// socket-activated one; it returns the address.
func listenInto(sockets subsys.Sockets, name, network, addr string) (string, error) {
	var f *os.File
	var local net.Addr
	switch network {
	case "tcp":
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return "", fmt.Errorf("demo %s socket on %s: %w", name, addr, err)
		}
		defer ln.Close()
		local = ln.Addr()
		if f, err = ln.(*net.TCPListener).File(); err != nil {
			return "", fmt.Errorf("demo %s socket: %w", name, err)
		}
	default:
		ua, err := net.ResolveUDPAddr("udp", addr)
		if err != nil {
			return "", fmt.Errorf("demo %s socket %s: %w", name, addr, err)
		}
		c, err := net.ListenUDP("udp", ua)
		if err != nil {
			return "", fmt.Errorf("demo %s socket on %s: %w", name, addr, err)
		}
		defer c.Close()
		local = c.LocalAddr()
		if f, err = c.File(); err != nil {
			return "", fmt.Errorf("demo %s socket: %w", name, err)
		}
	}
	sockets[name] = append(sockets[name], f)
	return local.String(), nil
}
