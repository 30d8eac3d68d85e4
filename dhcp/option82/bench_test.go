package option82

import "testing"

// BenchmarkParse: one typical value (text circuit-id + remote-id).
func BenchmarkParse(b *testing.B) {
	v := mustHex(b, "010765746820302F31020B31302E31302E31302E3130")
	dst := make([]SubOption, 0, 8)
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if dst, err = AppendParse(dst[:0], v); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseHex(b *testing.B) {
	s := "5216010765746820302F31020B31302E31302E31302E3130"
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseHex(s); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkScratchParseHex: the look-ups' path (piapi.HexResolver), a
// reused Scratch.
func BenchmarkScratchParseHex(b *testing.B) {
	s := "5216010765746820302F31020B31302E31302E31302E3130"
	var sc Scratch
	b.ReportAllocs()
	for b.Loop() {
		if _, err := sc.ParseHex(s); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeHex: the hex decoding alone, into reused memory, plain
// and with separators.
func BenchmarkDecodeHex(b *testing.B) {
	for _, c := range []struct{ name, hex string }{
		{"plain", "5216010765746820302F31020B31302E31302E31302E3130"},
		{"colon", "52:16:01:07:65:74:68:20:30:2F:31:02:0B:31:30:2E:31:30:2E:31:30:2E:31:30"},
	} {
		b.Run(c.name, func(b *testing.B) {
			dst := make([]byte, 0, 64)
			b.ReportAllocs()
			for b.Loop() {
				var err error
				if dst, err = appendDecodeHex(dst, c.hex); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
