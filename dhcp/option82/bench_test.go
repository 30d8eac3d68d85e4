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
