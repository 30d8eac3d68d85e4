// Package lab starts real SNMP peers for accessd's integration tests and
// scale harness, as internal/testkit/lab/snmp-lab.sh does by hand but with
// everything of the test's own: a net-snmp snmpd on a free loopback port
// with its config in a temporary directory, veth "ports" whose peers live
// in a network namespace the test creates and deletes, and an snmpsim
// process serving generated agents on free loopback ports. Every process
// is stopped by its PID, every namespace deleted, when the test ends.
//
// What is not SNMP (skip-or-fail on missing prerequisites, namespaces and
// veths, processes, waiting) comes from internal/testkit: missing
// prerequisites (not root, no snmpd/snmp/snmpsim, no ip netns) skip the
// test, unless ACCESSD_REQUIRE_INTEGRATION=1 (CI), which makes them a
// failure. Install: apt-get install snmpd snmp snmpsim iproute2.
package lab

import (
	"crypto/rand"
	"fmt"
	"net"
	"testing"
)

// freeUDPRange returns a base port with n consecutive free UDP ports.
func freeUDPRange(t testing.TB, n int) int {
	t.Helper()
	for try := 0; try < 50; try++ {
		var b [2]byte
		rand.Read(b[:])
		base := 20000 + (int(b[0])<<8|int(b[1]))%(40000-n) // within 20000..60000
		ok := true
		var held []net.PacketConn
		for i := 0; i < n && ok; i++ {
			c, err := net.ListenPacket("udp", fmt.Sprintf("127.0.0.1:%d", base+i))
			if err != nil {
				ok = false
				break
			}
			held = append(held, c)
		}
		for _, c := range held {
			c.Close()
		}
		if ok {
			return base
		}
	}
	t.Fatalf("no %d consecutive free UDP ports found", n)
	return 0
}
