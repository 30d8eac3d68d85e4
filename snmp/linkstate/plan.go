package linkstate

import (
	"fmt"
	"maps"
	"net"
	"net/netip"
	"slices"
	"strconv"

	"github.com/stadsnat/accessd/snmp/client"
	"github.com/stadsnat/accessd/snmp/poller"
	"github.com/stadsnat/accessd/snmp/portmatch"
)

// Config describes the switches beyond what the inventory says.
type Config struct {
	// DefaultPort is the UDP port of switches the inventory names without
	// one (default 161).
	DefaultPort int
	// Default are the credentials of switches that have none of their own
	// nor from a group.
	Default client.Credentials
	Groups  []Group
	// Switches are listed explicitly: polled even without inventory
	// ports, and the way to give a switch the inventory names by a name
	// (not an address) its address.
	Switches []Switch
}

// Group gives its switches credentials and port-name rewrites.
type Group struct {
	Name        string
	Credentials client.Credentials // zero: the default
	Rewrites    []portmatch.Rewrite
	// Match makes inventory switches members: a CIDR ("10.1.0.0/16")
	// holding the switch's address, or a name pattern ("sw-cisco-*", as
	// path.Match). The first group that matches wins; explicit switches
	// name their group.
	Match []portmatch.SwitchMatch
}

// Switch is an explicitly configured switch.
type Switch struct {
	Address string // host or host:port
	// Name is how the inventory names it (the first word of the Option82
	// texts); default: the host of Address.
	Name        string
	Group       string
	Credentials client.Credentials // zero: the group's, else the default
}

// Plan is the poller's switch list and the map from inventory switch
// names to polled addresses.
type Plan struct {
	Switches []poller.Switch
	// Problems are inventory switches that cannot be polled (a name that
	// is no address, no credentials), one line each.
	Problems []string
	addr     map[string]string   // inventory name ⇒ normalized address
	wanted   map[string]int      // normalized address ⇒ its index in Switches (their Ports are sorted)
	names    map[string][]string // normalized address ⇒ names (Names)
}

// Address returns the polled address of the switch the inventory names
// name.
func (p *Plan) Address(name string) (string, bool) {
	if p == nil {
		return "", false
	}
	a, ok := p.addr[name]
	return a, ok
}

// Names returns, by polled address, the inventory switch names (and
// snmp.switches names) that map to it, sorted.
func (p *Plan) Names() map[string][]string {
	if p == nil {
		return nil
	}
	out := make(map[string][]string, len(p.addr))
	for name, addr := range p.addr {
		out[addr] = append(out[addr], name)
	}
	for _, ns := range out {
		slices.Sort(ns)
	}
	return out
}

// Wanted reports whether port of the switch at address is polled.
func (p *Plan) Wanted(address, port string) bool {
	if p == nil {
		return false
	}
	i, ok := p.wanted[address]
	if !ok {
		return false
	}
	_, found := slices.BinarySearch(p.Switches[i].Ports, port)
	return found
}

// Plan builds the switch list from the inventory's ports per switch name
// (inventory switch name ⇒ port names) and the configuration.
func (c Config) Plan(inventory map[string][]string) *Plan {
	p := &Plan{addr: make(map[string]string), wanted: make(map[string]int)}
	groups := make(map[string]*Group, len(c.Groups))
	for i := range c.Groups {
		groups[c.Groups[i].Name] = &c.Groups[i]
	}
	type entry struct {
		sw    poller.Switch
		ports map[string]bool
	}
	byAddr := make(map[string]*entry)
	add := func(addr, group string, creds client.Credentials) *entry {
		e := &entry{ports: make(map[string]bool)}
		e.sw = poller.Switch{Address: addr, Group: group, Credentials: c.credentials(creds, groups[group])}
		if g := groups[group]; g != nil {
			e.sw.Rewrites = g.Rewrites
		}
		byAddr[addr] = e
		return e
	}
	for _, s := range c.Switches {
		addr, err := c.normalize(s.Address, client.DefaultPort)
		if err != nil {
			p.Problems = append(p.Problems, fmt.Sprintf("snmp.switches %q: %v", s.Address, err))
			continue
		}
		if _, dup := byAddr[addr]; dup {
			p.Problems = append(p.Problems, fmt.Sprintf("snmp.switches %q: %s is listed twice", s.Address, addr))
			continue
		}
		add(addr, s.Group, s.Credentials)
		name := s.Name
		if name == "" {
			name, _, _ = client.SplitAddress(s.Address)
		}
		p.addr[name] = addr
	}
	for _, name := range slices.Sorted(maps.Keys(inventory)) {
		addr, ok := p.addr[name]
		if !ok {
			var err error
			if addr, err = c.normalize(name, c.DefaultPort); err != nil {
				p.Problems = append(p.Problems, fmt.Sprintf("inventory switch %q (%d ports): not an address and not in snmp.switches: %v", name, len(inventory[name]), err))
				continue
			}
			p.addr[name] = addr
		}
		e := byAddr[addr]
		if e == nil {
			e = add(addr, c.groupOf(name, addr), client.Credentials{})
		}
		for _, port := range inventory[name] {
			e.ports[port] = true
		}
	}
	for _, addr := range slices.Sorted(maps.Keys(byAddr)) {
		e := byAddr[addr]
		if err := e.sw.Credentials.Validate(); err != nil {
			p.Problems = append(p.Problems, fmt.Sprintf("switch %s (group %q): %v", addr, e.sw.Group, err))
			for name, a := range p.addr {
				if a == addr {
					delete(p.addr, name)
				}
			}
			continue
		}
		// exactly as long: 100,000 ports' names are kept while polled
		e.sw.Ports = make([]string, 0, len(e.ports))
		for port := range e.ports {
			e.sw.Ports = append(e.sw.Ports, port)
		}
		slices.Sort(e.sw.Ports)
		p.wanted[addr] = len(p.Switches)
		p.Switches = append(p.Switches, e.sw)
	}
	p.names = p.Names()
	return p
}

// NamesOf returns the names that map to the polled address addr.
func (p *Plan) NamesOf(addr string) []string {
	if p == nil {
		return nil
	}
	return p.names[addr]
}

// credentials picks the switch's own, else the group's, else the default
// credentials, as a copy of its own: gosnmp writes a switch's engine
// data into its security parameters.
func (c Config) credentials(own client.Credentials, g *Group) client.Credentials {
	cr := own
	if cr.Community == "" && cr.V3 == nil && g != nil {
		cr = g.Credentials
	}
	if cr.Community == "" && cr.V3 == nil {
		cr = c.Default
	}
	if cr.V3 != nil {
		u := *cr.V3
		cr.V3 = &u
	}
	return cr
}

// normalize turns a switch name or address into host:port, with port
// def when it has none.
func (c Config) normalize(name string, def int) (string, error) {
	host, port, err := client.SplitAddress(name)
	if err != nil {
		return "", err
	}
	if _, _, err := net.SplitHostPort(name); err != nil && def > 0 {
		port = uint16(def) // no port given
	}
	if host == "" || !validHost(host) {
		return "", fmt.Errorf("%q is not a host name or address", host)
	}
	return net.JoinHostPort(host, strconv.Itoa(int(port))), nil
}

// validHost accepts an IP address or a DNS name.
func validHost(h string) bool {
	if _, err := netip.ParseAddr(h); err == nil {
		return true
	}
	if len(h) > 253 {
		return false
	}
	for _, r := range h {
		ok := r == '.' || r == '-' || r == '_' || (r >= '0' && r <= '9') || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z')
		if !ok {
			return false
		}
	}
	return true
}

// groupOf finds the group of an inventory switch by its groups' match.
func (c Config) groupOf(name, addr string) string {
	host, _, _ := net.SplitHostPort(addr)
	ip, _ := netip.ParseAddr(host) // invalid: only name patterns match
	for _, g := range c.Groups {
		for _, m := range g.Match {
			if m.Matches(name, ip) {
				return g.Name
			}
		}
	}
	return ""
}
