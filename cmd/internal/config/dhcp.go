package config

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// DHCP configures where accessd learns DHCP bindings and how it turns
// Option 82 into a circuit.
type DHCP struct {
	Relay              DHCPRelay     `yaml:"relay"`
	Snoop              DHCPSnoop     `yaml:"snoop"`
	KeaLeaseFile       string        `yaml:"kea_lease_file"`
	Profiles           []DHCPProfile `yaml:"profiles"`
	QueueSize          int           `yaml:"queue_size"`
	CommitInterval     Duration      `yaml:"commit_interval"`
	LazyInterval       Duration      `yaml:"lazy_interval"`
	TentativeLifetime  Duration      `yaml:"tentative_lifetime"`
	UnknownCircuitsMax int           `yaml:"unknown_circuits_max"`
	HistoryRetention   Duration      `yaml:"history_retention"`
}

// DHCPRelay is the passive listener on the relay's extra server address.
type DHCPRelay struct {
	Listen string `yaml:"listen"` // e.g. 0.0.0.0:67; empty = off (unless socket-activated)
}

// DHCPSnoop lists the interfaces to capture DHCP on with AF_PACKET.
type DHCPSnoop struct {
	Interfaces []string `yaml:"interfaces"`
}

// DHCPProfile decodes the Option 82 of the relays it matches.
type DHCPProfile struct {
	Name       string          `yaml:"name"`
	Match      DHCPProfileWhen `yaml:"match"`
	Format     string          `yaml:"format"` // text | cisco | dlink | huawei | zyxel | tr101 | juniper | hex
	PortOffset int             `yaml:"port_offset"`
	Key        string          `yaml:"key"` // key template, default "{remote_id} {circuit_id}"
	// ServiceType is the ON-API serviceType of leases learnt through this
	// profile (leaseinfo): bb, iptv, voip, …; default "unknown".
	ServiceType string `yaml:"service_type"`
}

// DHCPProfileWhen selects the relays a profile applies to; all given
// matchers must match, none given = every relay.
type DHCPProfileWhen struct {
	Giaddr   []string `yaml:"giaddr"`
	RemoteID string   `yaml:"remote_id"` // regular expression
}

// DHCPFormats returns the decoder formats a profile may name.
func DHCPFormats() []string {
	return []string{"text", "cisco", "dlink", "huawei", "zyxel", "tr101", "juniper", "hex"}
}

// DefaultKeyTemplate matches the PI V1 Option82 text "192.168.248.85 ge-0/0/10".
const DefaultKeyTemplate = "{remote_id} {circuit_id}"

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
		d.Profiles = []DHCPProfile{{Name: "default", Format: "text"}}
	}
	for i := range d.Profiles {
		if d.Profiles[i].Key == "" {
			d.Profiles[i].Key = DefaultKeyTemplate
		}
		if d.Profiles[i].Format == "" {
			d.Profiles[i].Format = "text"
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
	for i, p := range d.Profiles {
		path := fmt.Sprintf("dhcp.profiles[%d]", i)
		if p.Name == "" {
			v.addf(path+".name", "missing")
		} else if names[p.Name] {
			v.addf(path+".name", "%q is defined twice", p.Name)
		}
		names[p.Name] = true
		if !slices.Contains(DHCPFormats(), p.Format) {
			v.addf(path+".format", "%q: must be one of %s", p.Format, strings.Join(DHCPFormats(), ", "))
		}
		v.prefixes(path+".match.giaddr", p.Match.Giaddr)
		if p.Match.RemoteID != "" {
			if _, err := regexp.Compile(p.Match.RemoteID); err != nil {
				v.addf(path+".match.remote_id", "bad regular expression: %v", err)
			}
		}
		if p.PortOffset < -255 || p.PortOffset > 255 {
			v.addf(path+".port_offset", "must be between -255 and 255")
		}
	}
}
