package ifmib_test

import (
	"testing"

	"github.com/stadsnat/accessd/snmp/ifmib"
)

// BenchmarkDecode decodes the recorded 48-port snmpsim walk.
//
//	go test -run XXX -bench Decode ./snmp/ifmib/
func BenchmarkDecode(b *testing.B) {
	vbs := readWalk(b, "snmpsim-agent0.walk")
	for b.Loop() {
		if _, err := ifmib.Decode(vbs); err != nil {
			b.Fatal(err)
		}
	}
}
