package testkit

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// EnvRequireIntegration is the environment variable CI sets to 1: a
// missing prerequisite of an integration test is then a failure, not a
// skip.
const EnvRequireIntegration = "ACCESSD_REQUIRE_INTEGRATION"

// RequireIntegration reports whether ACCESSD_REQUIRE_INTEGRATION=1.
func RequireIntegration() bool { return os.Getenv(EnvRequireIntegration) == "1" }

// Missing skips the test because a prerequisite is missing (format and
// args say which, and how to get it), or fails it under
// ACCESSD_REQUIRE_INTEGRATION=1.
func Missing(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if RequireIntegration() {
		t.Fatalf("integration prerequisite missing (%s=1 makes it a failure): %s", EnvRequireIntegration, msg)
	}
	t.Skipf("integration prerequisite missing: %s (set %s=1 to make this a failure)", msg, EnvRequireIntegration)
}

// Require calls Missing unless ok.
func Require(t testing.TB, ok bool, format string, args ...any) {
	t.Helper()
	if !ok {
		Missing(t, format, args...)
	}
}

// RequireRoot calls Missing unless the test runs as root; what says what
// needs it.
func RequireRoot(t testing.TB, what string) {
	t.Helper()
	Require(t, os.Geteuid() == 0, "%s needs root", what)
}

// debianPackage names the Debian package holding a program the tests run
// (.ci/install-deps installs them all), or "".
func debianPackage(program string) string {
	switch program {
	case "ip":
		return "iproute2"
	case "dhcrelay":
		return "isc-dhcp-relay"
	case "dhclient":
		return "isc-dhcp-client"
	case "kea-dhcp4":
		return "kea-dhcp4-server"
	case "snmpget", "snmpwalk", "snmpbulkwalk", "snmptrap":
		return "snmp"
	case "snmpsimd":
		return "snmpsim"
	case "systemd-socket-activate", "systemd-analyze":
		return "systemd"
	case "systemd-nspawn":
		return "systemd-container"
	case "dpkg-deb":
		return "dpkg"
	case "xz":
		return "xz-utils"
	case "nginx":
		return "nginx-light"
	case "promtool":
		return "prometheus"
	case "ethtool", "snmpd", "debootstrap", "lintian", "busybox", "udhcpc", "bash", "git", "wrk":
		return program
	}
	return ""
}

// RequireCommands calls Missing unless every named program is in PATH,
// saying which Debian package has it.
func RequireCommands(t testing.TB, names ...string) {
	t.Helper()
	var missing []string
	for _, n := range names {
		if _, err := exec.LookPath(n); err != nil {
			if pkg := debianPackage(n); pkg != "" {
				n += " (Debian package " + pkg + ")"
			}
			missing = append(missing, n)
		}
	}
	Require(t, len(missing) == 0, "%s not in PATH; .ci/install-deps installs the test peers", strings.Join(missing, ", "))
}

// SkipShort skips the test under go test -short; what says what makes it
// slow (real peers, a booted system, a scale or load run).
func SkipShort(t testing.TB, what string) {
	t.Helper()
	if testing.Short() {
		t.Skipf("%s: skipped with -short", what)
	}
}
