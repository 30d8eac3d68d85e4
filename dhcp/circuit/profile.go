package circuit

import (
	"fmt"
	"net/netip"
	"regexp"
	"slices"

	"github.com/stadsnat/accessd/dhcp/option82"
)

// Format names how a profile interprets circuit-id and remote-id.
type Format string

// The formats (see the package documentation for each one's layout).
const (
	FormatText    Format = "text"
	FormatCisco   Format = "cisco"
	FormatDLink   Format = "dlink"
	FormatHuawei  Format = "huawei"
	FormatZyxel   Format = "zyxel"
	FormatTR101   Format = "tr101"
	FormatJuniper Format = "juniper"
	FormatHex     Format = "hex"
)

// Formats lists every known format, for configuration help texts.
func Formats() []Format {
	return []Format{FormatText, FormatCisco, FormatDLink, FormatHuawei, FormatZyxel, FormatTR101, FormatJuniper, FormatHex}
}

// Profile is one decoder profile, as configured.
type Profile struct {
	// Name identifies the profile in circuits, logs and errors; unique.
	Name string
	// GIAddr, when not empty, requires the packet's giaddr to lie in one of
	// these prefixes.
	GIAddr []netip.Prefix
	// RemoteID, when not nil, must match the raw remote-id bytes ("" when
	// the packet has none).
	RemoteID *regexp.Regexp
	// Format defaults to FormatText.
	Format Format
	// PortOffset is added to every numeric port.
	PortOffset int
	// Key is the key template; DefaultKey when empty.
	Key string
	// Template is Key compiled by ParseTemplate, when the caller has
	// already compiled it (the configuration does, when it is read); nil:
	// NewDecoder compiles Key.
	Template *Template
}

// DefaultProfile is the profile used when no configured profile matches.
func DefaultProfile() Profile {
	return Profile{Name: "default", Format: FormatText, Key: DefaultKey}
}

// Circuit is the canonical form of one packet's relay agent information.
// Strings are empty and VLAN is 0 when absent.
type Circuit struct {
	Profile   string // name of the profile that decoded it
	RemoteID  string
	CircuitID string
	Switch    string
	Module    string // slot/module, may have several levels ("0/0")
	Port      string
	VLAN      uint16
	Interface string     // interface name when the format carries one ("ge-0/0/10")
	GIAddr    netip.Addr // the relay address the packet came through
	// Raw holds every option 82 instance as concatenated TLVs ("52 LL ..."),
	// the form of the PI-API / ON-API option82 hex. It is a copy.
	Raw []byte
	// CircuitIDRaw and RemoteIDRaw are the first circuit-id and remote-id
	// sub-options' bytes (sub-slices of Raw).
	CircuitIDRaw []byte
	RemoteIDRaw  []byte
	// Key is the profile's key template rendered for this circuit ("" when
	// no part of it is present).
	Key string
}

type compiled struct {
	Profile
	tmpl *Template
}

// Decoder selects a profile per packet and decodes its circuit. It is
// immutable after NewDecoder and safe for concurrent use.
type Decoder struct {
	profiles []compiled
	def      compiled
}

// NewDecoder validates and compiles profiles, in selection order.
func NewDecoder(profiles []Profile) (*Decoder, error) {
	d := &Decoder{}
	seen := map[string]bool{}
	for i, p := range profiles {
		c, err := compile(p)
		if err != nil {
			return nil, fmt.Errorf("circuit: profile %d (%q): %w", i, p.Name, err)
		}
		if seen[p.Name] {
			return nil, fmt.Errorf("circuit: profile %d: %w: duplicate name %q", i, ErrBadProfile, p.Name)
		}
		seen[p.Name] = true
		d.profiles = append(d.profiles, c)
	}
	def, err := compile(DefaultProfile())
	if err != nil {
		return nil, fmt.Errorf("circuit: default profile: %w", err)
	}
	d.def = def
	return d, nil
}

func compile(p Profile) (compiled, error) {
	if p.Name == "" {
		return compiled{}, fmt.Errorf("%w: empty name", ErrBadProfile)
	}
	if p.Format == "" {
		p.Format = FormatText
	}
	if !slices.Contains(Formats(), p.Format) {
		return compiled{}, fmt.Errorf("%w: unknown format %q (want one of %v)", ErrBadProfile, p.Format, Formats())
	}
	for _, pr := range p.GIAddr {
		if !pr.IsValid() || !pr.Addr().Is4() {
			return compiled{}, fmt.Errorf("%w: giaddr prefix %v is not an IPv4 prefix", ErrBadProfile, pr)
		}
	}
	if p.Template != nil {
		return compiled{Profile: p, tmpl: p.Template}, nil
	}
	if p.Key == "" {
		p.Key = DefaultKey
	}
	t, err := ParseTemplate(p.Key)
	if err != nil {
		return compiled{}, err
	}
	return compiled{Profile: p, tmpl: t}, nil
}

// Select returns the name of the profile that Decode would use.
func (d *Decoder) Select(giaddr netip.Addr, opts []option82.Option) string {
	return d.selectProfile(giaddr, remoteOf(opts)).Name
}

func remoteOf(opts []option82.Option) []byte {
	r, _ := option82.FirstNonEmpty(opts, option82.RemoteID)
	return r
}

func (d *Decoder) selectProfile(giaddr netip.Addr, remote []byte) *compiled {
	for i := range d.profiles {
		if d.profiles[i].matches(giaddr, remote) {
			return &d.profiles[i]
		}
	}
	return &d.def
}

func (c *compiled) matches(giaddr netip.Addr, remote []byte) bool {
	if len(c.GIAddr) > 0 {
		if !giaddr.IsValid() {
			giaddr = netip.IPv4Unspecified()
		}
		giaddr = giaddr.Unmap()
		in := false
		for _, p := range c.GIAddr {
			if p.Contains(giaddr) {
				in = true
				break
			}
		}
		if !in {
			return false
		}
	}
	if c.RemoteID != nil && !c.RemoteID.Match(remote) {
		return false
	}
	return true
}

// Decode selects a profile for the packet's giaddr and option 82 instances,
// decodes the circuit with it and renders its key. The circuit shares no
// memory with opts. A circuit whose key template renders nothing is
// returned together with an ErrNoKey error.
func (d *Decoder) Decode(giaddr netip.Addr, opts []option82.Option) (Circuit, error) {
	if len(opts) == 0 {
		return Circuit{}, &DecodeError{Profile: d.selectProfile(giaddr, nil).Name, Offset: -1, Reason: ErrNoOption82}
	}
	p := d.selectProfile(giaddr, remoteOf(opts))
	c, err := p.decode(giaddr, opts)
	if err != nil {
		return Circuit{}, err
	}
	var buf [128]byte
	k, ok := p.tmpl.Append(buf[:0], &c)
	if !ok {
		return c, &DecodeError{Profile: p.Name, Offset: -1, Reason: ErrNoKey, Detail: "template " + p.Key}
	}
	c.Key = string(k)
	return c, nil
}

// Template returns the compiled key template of the named profile.
func (d *Decoder) Template(profile string) (*Template, bool) {
	for _, p := range d.profiles {
		if p.Name == profile {
			return p.tmpl, true
		}
	}
	if profile == d.def.Name {
		return d.def.tmpl, true
	}
	return nil, false
}

// Profiles returns the configured profiles (without the default) in order.
func (d *Decoder) Profiles() []Profile {
	out := make([]Profile, len(d.profiles))
	for i, p := range d.profiles {
		out[i] = p.Profile
	}
	return out
}
