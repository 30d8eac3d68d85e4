package dhcp4

import (
	"testing"

	"github.com/insomniacslk/dhcp/dhcpv4"
)

// BenchmarkDecode is the figure: decoding a typical relayed packet
// (≤ 1 µs, ≤ 5 allocations). "fresh" allocates a Packet per call; "reuse"
// is what a listener loop does.
func BenchmarkDecode(b *testing.B) {
	pkt := typicalRelayed(b)
	b.Run("fresh", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(pkt)))
		for b.Loop() {
			if _, err := Decode(pkt); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("reuse", func(b *testing.B) {
		var p Packet
		b.ReportAllocs()
		b.SetBytes(int64(len(pkt)))
		for b.Loop() {
			if err := p.Decode(pkt); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("insomniacslk", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(pkt)))
		for b.Loop() {
			if _, err := dhcpv4.FromBytes(pkt); err != nil {
				b.Fatal(err)
			}
		}
	})
}
