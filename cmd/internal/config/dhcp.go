package config

import (
	"fmt"
	"net/netip"
	"regexp"

	"github.com/stadsnat/accessd/dhcp/circuit"
)

// DHCP configures where accessd learns DHCP bindings and how it turns
// Option 82 into a circuit. Only the profiles and the trusted relays
// apply on reload: the sources, sizes and timers are set when the service
// starts.
type DHCP struct {
	Relay              DHCPRelay     `yaml:"relay" reload:"keys"`
	Snoop              DHCPSnoop     `yaml:"snoop" reload:"restart"`
	KeaLeaseFile       string        `yaml:"kea_lease_file" reload:"restart"`
	Profiles           []DHCPProfile `yaml:"profiles" reload:"live"`
	QueueSize          int           `yaml:"queue_size" reload:"restart"`
	CommitInterval     Duration      `yaml:"commit_interval" reload:"restart"`
	LazyInterval       Duration      `yaml:"lazy_interval" reload:"restart"`
	TentativeLifetime  Duration      `yaml:"tentative_lifetime" reload:"restart"`
	UnknownCircuitsMax int           `yaml:"unknown_circuits_max" reload:"restart"`
	HistoryRetention   Duration      `yaml:"history_retention" reload:"restart"`
}

// DHCPRelay is the passive listener on the relay's extra server address.
type DHCPRelay struct {
	Listen string `yaml:"listen" reload:"restart"` // e.g. 0.0.0.0:67; empty = off (unless socket-activated)
	// AllowedSources are the relays: only datagrams whose source address
	// is in one of these IPv4 prefixes are read, the others are counted
	// (accessd_dhcp_untrusted_total) and dropped. Required with listen;
	// empty refuses every relay copy, also on a socket-activated listener.
	AllowedSources []netip.Prefix `yaml:"allowed_sources" reload:"live"`
}

// DHCPSnoop lists the interfaces to capture DHCP on with AF_PACKET.
type DHCPSnoop struct {
	Interfaces []string `yaml:"interfaces"`
}

// DHCPProfile decodes the Option 82 of the relays it matches.
type DHCPProfile struct {
	Name       string          `yaml:"name"`
	Match      DHCPProfileWhen `yaml:"match"`
	Format     circuit.Format  `yaml:"format"` // text | cisco | dlink | huawei | zyxel | tr101 | juniper | hex
	PortOffset int             `yaml:"port_offset"`
	Key        string          `yaml:"key"` // key template, default "{remote_id} {circuit_id}"
	// Template is Key compiled (by Load).
	Template *circuit.Template `yaml:"-"`
	// ServiceType is the ON-API serviceType of leases learnt through this
	// profile (leaseinfo): bb, iptv, voip, …; default "unknown".
	ServiceType string `yaml:"service_type"`
}

// DHCPProfileWhen selects the relays a profile applies to; all given
// matchers must match, none given = every relay.
type DHCPProfileWhen struct {
	Giaddr   []netip.Prefix `yaml:"giaddr"`    // IPv4 CIDRs or addresses
	RemoteID *regexp.Regexp `yaml:"remote_id"` // matched against the raw remote-id
}

// DHCPFormats returns the decoder formats a profile may name.
func DHCPFormats() []string {
	var out []string
	for _, f := range circuit.Formats() {
		out = append(out, string(f))
	}
	return out
}

// DefaultKeyTemplate matches the PI V1 Option82 text "192.168.248.85 ge-0/0/10".
const DefaultKeyTemplate = circuit.DefaultKey

// DecoderProfiles returns the profiles in the DHCP decoder's form, and the
// ON-API service type of each by name.
func (d *DHCP) DecoderProfiles() ([]circuit.Profile, map[string]string) {
	ps := make([]circuit.Profile, len(d.Profiles))
	types := make(map[string]string, len(d.Profiles))
	for i, p := range d.Profiles {
		ps[i] = circuit.Profile{Name: p.Name, Format: p.Format, PortOffset: p.PortOffset, Key: p.Key, Template: p.Template,
			GIAddr: p.Match.Giaddr, RemoteID: p.Match.RemoteID}
		types[p.Name] = p.ServiceType
	}
	return ps, types
}

func (d *DHCP) applyDefaults() {
	if d.QueueSize == 0 {
		d.QueueSize = 65536
	}
	if d.CommitInterval == 0 {
		d.CommitInterval = Duration(20e6) // 20 ms
	}
	if d.LazyInterval == 0 {
		d.LazyInterval = Duration(60 * second)
	}
	if d.TentativeLifetime == 0 {
		d.TentativeLifetime = Duration(300 * second)
	}
	if d.UnknownCircuitsMax == 0 {
		d.UnknownCircuitsMax = 10000
	}
	if d.HistoryRetention == 0 {
		d.HistoryRetention = Duration(365 * 24 * hour)
	}
	if len(d.Profiles) == 0 {
		d.Profiles = []DHCPProfile{{Name: "default", Format: circuit.FormatText}}
	}
	for i := range d.Profiles {
		if d.Profiles[i].Key == "" {
			d.Profiles[i].Key = DefaultKeyTemplate
		}
		if d.Profiles[i].Format == "" {
			d.Profiles[i].Format = circuit.FormatText
		}
		if d.Profiles[i].ServiceType == "" {
			d.Profiles[i].ServiceType = "unknown"
		}
	}
}

func (d *DHCP) validate(v *validator) {
	if d.Relay.Listen != "" && !validHostPort(d.Relay.Listen) {
		v.addf("dhcp.relay.listen", "%q is not host:port", d.Relay.Listen)
	}
	if d.Relay.Listen != "" && len(d.Relay.AllowedSources) == 0 {
		v.addf("dhcp.relay.allowed_sources", "required with dhcp.relay.listen: list the relays' source addresses "+
			"(CIDRs, e.g. [10.20.0.0/16]; 127.0.0.1/32 for a loopback test): anyone else could forge bindings")
	}
	for i, p := range d.Relay.AllowedSources {
		if !p.Addr().Is4() {
			v.addf(fmt.Sprintf("dhcp.relay.allowed_sources[%d]", i), "%v: must be an IPv4 prefix (the relay listener is IPv4)", p)
		}
	}
	if d.QueueSize < 1 {
		v.addf("dhcp.queue_size", "must be at least 1")
	}
	if d.CommitInterval.D() > 1e9 {
		v.addf("dhcp.commit_interval", "at most 1s")
	}
	if d.LazyInterval.D() < d.CommitInterval.D() || d.LazyInterval.D() > hour {
		v.addf("dhcp.lazy_interval", "between commit_interval and 1h")
	}
	if d.TentativeLifetime.D() < second {
		v.addf("dhcp.tentative_lifetime", "at least 1s")
	}
	if d.HistoryRetention.D() < hour {
		v.addf("dhcp.history_retention", "at least 1h")
	}
	if d.UnknownCircuitsMax < 1 {
		v.addf("dhcp.unknown_circuits_max", "must be at least 1")
	}
	names := map[string]bool{}
	for i := range d.Profiles {
		p := &d.Profiles[i]
		path := fmt.Sprintf("dhcp.profiles[%d]", i)
		if p.Name == "" {
			v.addf(path+".name", "missing")
		} else if names[p.Name] {
			v.addf(path+".name", "%q is defined twice", p.Name)
		}
		names[p.Name] = true
		for j, g := range p.Match.Giaddr {
			if !g.Addr().Is4() {
				v.addf(fmt.Sprintf("%s.match.giaddr[%d]", path, j), "%v: must be an IPv4 prefix (giaddr is an IPv4 address)", g)
			}
		}
		if p.PortOffset < -255 || p.PortOffset > 255 {
			v.addf(path+".port_offset", "must be between -255 and 255")
		}
		t, err := circuit.ParseTemplate(p.Key)
		if err != nil {
			v.addf(path+".key", "%v", err)
		}
		p.Template = t
	}
}
