package lookup

import (
	"fmt"
	"net/netip"
	"slices"

	"github.com/stadsnat/accessd/dhcp/circuit"
	"github.com/stadsnat/accessd/dhcp/option82"
)

// Profiles are the decoder profiles as a look-up uses them. A look-up has
// no giaddr, so each profile is tried on its own with its matchers
// removed, followed by the built-in default profile (unless a configured
// profile has its name), which is what the packet path falls back to.
type Profiles struct {
	each  []*circuit.Decoder
	names []string
}

// defaultProfiles is the built-in default profile alone.
var defaultProfiles = mustProfiles(nil)

func mustProfiles(ps []circuit.Profile) *Profiles {
	p, err := NewProfiles(ps)
	if err != nil {
		panic(err)
	}
	return p
}

// NewProfiles compiles the configured profiles, in selection order, for
// look-ups.
func NewProfiles(ps []circuit.Profile) (*Profiles, error) {
	p := &Profiles{}
	for _, pr := range ps {
		pr.GIAddr, pr.RemoteID = nil, nil
		d, err := circuit.NewDecoder([]circuit.Profile{pr})
		if err != nil {
			return nil, fmt.Errorf("dhcp profiles: %w", err)
		}
		p.each, p.names = append(p.each, d), append(p.names, pr.Name)
	}
	def := circuit.DefaultProfile().Name
	if !slices.ContainsFunc(ps, func(pr circuit.Profile) bool { return pr.Name == def }) {
		d, err := circuit.NewDecoder(nil)
		if err != nil {
			return nil, fmt.Errorf("dhcp profiles: %w", err)
		}
		p.each, p.names = append(p.each, d), append(p.names, def)
	}
	return p, nil
}

// Decoded is what one profile makes of an Option 82.
type Decoded struct {
	Profile string
	Circuit circuit.Circuit
	Err     error
}

// Decode decodes opts with every profile, for people who want to see what
// each would make of it (accessctl lookup option82).
func (p *Profiles) Decode(opts []option82.Option) []Decoded {
	out := make([]Decoded, 0, len(p.each))
	for i, d := range p.each {
		c, err := d.Decode(netip.Addr{}, opts)
		out = append(out, Decoded{Profile: p.names[i], Circuit: c, Err: err})
	}
	return out
}
