package circuit

import (
	"errors"
	"net/netip"
	"regexp"
	"testing"

	"github.com/stadsnat/accessd/dhcp/option82"
)

// FuzzDecode: any option 82 bytes through every format never panics, fails
// only with a *DecodeError, and a success has a key the template renders.
func FuzzDecode(f *testing.F) {
	for _, v := range vectors(f) {
		b, err := option82.DecodeHex(v.hex)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, int8(0))
		f.Add(b, int8(-3))
	}
	var profiles []Profile
	for _, fm := range Formats() {
		profiles = append(profiles, Profile{Name: string(fm), Format: fm, Key: "{remote_id} {circuit_id} {switch}/{module}/{port}:{vlan} {interface}"})
	}
	f.Fuzz(func(t *testing.T, b []byte, offset int8) {
		opts, err := option82.ParseTLV(b)
		if err != nil {
			return
		}
		for _, p := range profiles {
			p.PortOffset = int(offset)
			p.RemoteID = regexp.MustCompile(".*")
			d, err := NewDecoder([]Profile{p})
			if err != nil {
				t.Fatal(err)
			}
			c, err := d.Decode(netip.MustParseAddr("10.0.0.1"), opts)
			if err != nil {
				var de *DecodeError
				if !errors.As(err, &de) {
					t.Fatalf("%s: %T %v", p.Name, err, err)
				}
				continue
			}
			if c.Key == "" || c.Profile != p.Name {
				t.Fatalf("%s: circuit %+v", p.Name, c)
			}
			if _, err := option82.ParseTLV(c.Raw); err != nil && len(b) < 255 {
				t.Fatalf("%s: Raw %x does not parse: %v", p.Name, c.Raw, err)
			}
		}
	})
}

// FuzzTemplate: any template text parses or fails with a *TemplateError, and
// rendering never panics.
func FuzzTemplate(f *testing.F) {
	for _, s := range []string{DefaultKey, "{switch}/{module}/{port}:{vlan}", "{{x}}", "{", "}", "{nope}", "{giaddr}{circuit_hex}"} {
		f.Add(s)
	}
	c := Circuit{RemoteID: "r", CircuitID: "c", Port: "1", GIAddr: netip.MustParseAddr("10.0.0.1")}
	f.Fuzz(func(t *testing.T, s string) {
		tm, err := ParseTemplate(s)
		if err != nil {
			var te *TemplateError
			if !errors.As(err, &te) {
				t.Fatalf("%T %v", err, err)
			}
			return
		}
		_, _ = tm.Render(&c)
		_, _ = tm.Render(&Circuit{})
	})
}
