// Package lab starts real SNMP peers for accessd's integration tests and
// scale harness, following shared/lab/snmp-lab.sh and snmpsim-lab.sh but
// with everything of its own: a net-snmp snmpd on a free loopback port
// with its config in a temporary directory, veth "ports" whose peers live
// in a network namespace the test creates and deletes, and an snmpsim
// process serving generated agents on free loopback ports. Every process
// is stopped by its PID, every namespace deleted, in t.Cleanup.
//
// Prerequisites missing (not root, no snmpd/snmp/snmpsim, no ip netns)
// skip the test, unless ACCESSD_REQUIRE_INTEGRATION=1 (CI), which makes
// them a failure. Install: apt-get install snmpd snmp snmpsim iproute2.
package lab

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// Require skips (or, with ACCESSD_REQUIRE_INTEGRATION=1, fails) the test
// when a prerequisite is missing. what names it and how to get it.
func Require(t testing.TB, ok bool, what string) {
	t.Helper()
	if ok {
		return
	}
	if os.Getenv("ACCESSD_REQUIRE_INTEGRATION") == "1" {
		t.Fatalf("integration prerequisite missing (ACCESSD_REQUIRE_INTEGRATION=1): %s", what)
	}
	t.Skipf("integration prerequisite missing: %s (set ACCESSD_REQUIRE_INTEGRATION=1 to fail instead)", what)
}

// RequireCommands requires root and the named programs.
func RequireCommands(t testing.TB, names ...string) {
	t.Helper()
	Require(t, os.Geteuid() == 0, "root (network namespaces, veths, snmpd)")
	for _, n := range names {
		_, err := exec.LookPath(n)
		Require(t, err == nil, fmt.Sprintf("%s in PATH (apt-get install snmpd snmp snmpsim iproute2)", n))
	}
}

// randomTag returns n random hex characters, to make names unique.
func randomTag(n int) string {
	b := make([]byte, (n+1)/2)
	rand.Read(b)
	return hex.EncodeToString(b)[:n]
}

// FreeUDPPort returns a UDP port on 127.0.0.1 that was free a moment ago.
func FreeUDPPort(t testing.TB) int {
	t.Helper()
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port
}

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

// run runs a command and fails the test with its output on error.
func run(t testing.TB, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// Eventually polls cond every 20 ms until it holds or d passes; it returns
// how long it took, or fails the test. Real peers cannot run in a synctest
// bubble, so integration tests poll.
func Eventually(t testing.TB, d time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > d {
			t.Fatalf("after %v: still waiting for %s", d, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return time.Since(start)
}
