package circuit

import (
	"net/netip"
	"testing"

	"github.com/stadsnat/accessd/dhcp/option82"
)

// BenchmarkDecode measures profile selection + decode + key render for one
// typical relayed packet per format.
func BenchmarkDecode(b *testing.B) {
	cases := []struct {
		name string
		p    Profile
		hex  string
	}{
		{"text", Profile{Name: "t", GIAddr: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}}, "5216010765746820302F31020B31302E31302E31302E3130"},
		{"cisco", Profile{Name: "c", Format: FormatCisco, Key: "{remote_id} {module}/{port}"}, "52110106000409490404020701056273336732"},
		{"juniper", Profile{Name: "j", Format: FormatJuniper, Key: "{remote_id} {interface}"}, build(b, st(1, "ge-1/0/1.0:43"), st(2, "192.168.248.85"))},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			d, err := NewDecoder([]Profile{tc.p})
			if err != nil {
				b.Fatal(err)
			}
			opts := tlvs(b, tc.hex)
			gi := netip.MustParseAddr("10.0.0.1")
			b.ReportAllocs()
			for b.Loop() {
				if _, err := d.Decode(gi, opts); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkTemplateAppend measures rendering alone into a reused buffer.
func BenchmarkTemplateAppend(b *testing.B) {
	tm := MustParseTemplate(DefaultKey)
	c := Circuit{RemoteID: "192.168.248.85", CircuitID: "ge-0/0/10"}
	buf := make([]byte, 0, 64)
	b.ReportAllocs()
	for b.Loop() {
		buf, _ = tm.Append(buf[:0], &c)
	}
}

var _ = option82.CircuitID
