package main_test

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4"

	"github.com/stadsnat/accessd/internal/testkit"
)

// relayPacket is a DHCP packet as a relay forwards it: giaddr set and the
// option 82 of circuit-id cid and remote-id rid. ci is ciaddr (RELEASE),
// req option 50 (REQUEST).
func relayPacket(t *testing.T, typ dhcpv4.MessageType, mac, ci, req, cid, rid string) []byte {
	t.Helper()
	hw, err := net.ParseMAC(mac)
	if err != nil {
		t.Fatal(err)
	}
	o82 := append([]byte{1, byte(len(cid))}, cid...)
	o82 = append(append(o82, 2, byte(len(rid))), rid...)
	mods := []dhcpv4.Modifier{dhcpv4.WithMessageType(typ), dhcpv4.WithHwAddr(hw),
		dhcpv4.WithGatewayIP(net.ParseIP("10.0.0.1").To4()), func(d *dhcpv4.DHCPv4) { d.HopCount = 1 },
		dhcpv4.WithOption(dhcpv4.OptGeneric(dhcpv4.OptionRelayAgentInformation, o82))}
	if ci != "" {
		mods = append(mods, dhcpv4.WithClientIP(net.ParseIP(ci).To4()))
	}
	if req != "" {
		mods = append(mods, dhcpv4.WithOption(dhcpv4.OptRequestedIPAddress(net.ParseIP(req).To4())),
			dhcpv4.WithOption(dhcpv4.OptServerIdentifier(net.ParseIP("10.0.0.254").To4())))
	}
	d, err := dhcpv4.New(mods...)
	if err != nil {
		t.Fatal(err)
	}
	return d.ToBytes()
}

// sendFrom sends b to the relay listener from the loopback address from.
func sendFrom(t *testing.T, from string, port int, b []byte) {
	t.Helper()
	c, err := net.DialUDP("udp4", &net.UDPAddr{IP: net.ParseIP(from)}, &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port})
	if err != nil {
		t.Fatalf("send from %s: %v", from, err)
	}
	defer c.Close()
	if _, err := c.Write(b); err != nil {
		t.Fatalf("send from %s: %v", from, err)
	}
}

// Issue 12, item 1, against the real daemon: relay copies are read only
// from dhcp.relay.allowed_sources (here 127.0.0.1). A forged REQUEST from
// 127.0.0.2 (another loopback address) with a victim's option 82 makes no
// binding; a forged RELEASE from there, or one from a trusted relay
// through another port, leaves the real binding as it is. Both are
// counted.
func TestRelayTrustRealDaemon(t *testing.T) {
	testkit.SkipShort(t, "builds and runs the daemon")
	dir := t.TempDir()
	bins := testkit.Binaries(t)
	port, httpAddr := testkit.FreeUDPPort(t), testkit.FreeTCPAddr(t)
	d := newDHCPD(t, filepath.Join(dir, "d"), bins.Accessd, bins.Accessctl, httpAddr,
		fmt.Sprintf("  relay: {listen: \"127.0.0.1:%d\", allowed_sources: [127.0.0.1/32]}\n", port))
	d.start()
	if out, err := d.ctlRun("import", "../../testdata/demo/accesses.csv"); err != nil {
		t.Fatalf("%v %s", err, out)
	}
	metrics := func() map[string]float64 {
		return metricsOf(t, func(p string) (string, error) { return httpGet(httpClient, "http://"+httpAddr+p, "", "") })
	}
	type lookup struct {
		Access   string
		Bindings []struct{ MAC, IP, State string }
	}
	state := func(ip string) string {
		var res lookup
		if err := d.ctlJSON(&res, "lookup", "ip", ip); err != nil || len(res.Bindings) == 0 {
			return "none"
		}
		return res.Bindings[0].MAC + " " + res.Bindings[0].State + " " + res.Access
	}
	// The demo inventory: ALS10001 is "127.0.0.1 acc0", ALS10002 "127.0.0.1 acc1".
	const victimMAC, attackerMAC = "02:00:00:00:00:bb", "02:00:00:00:00:aa"
	sendFrom(t, "127.0.0.1", port, relayPacket(t, dhcpv4.MessageTypeRequest, victimMAC, "", "10.99.0.10", "acc1", "127.0.0.1"))
	testkit.WaitUntil(t, 5*time.Second, "the trusted relay's REQUEST to make a binding", func() bool {
		return state("10.99.0.10") == victimMAC+" tentative ALS10002"
	})

	// A forged REQUEST: the victim's circuit, the attacker's own address.
	sendFrom(t, "127.0.0.2", port, relayPacket(t, dhcpv4.MessageTypeRequest, attackerMAC, "", "10.99.0.66", "acc0", "127.0.0.1"))
	// A forged RELEASE of the real binding from an untrusted address.
	sendFrom(t, "127.0.0.2", port, relayPacket(t, dhcpv4.MessageTypeRelease, victimMAC, "10.99.0.10", "", "acc1", "127.0.0.1"))
	testkit.WaitUntil(t, 5*time.Second, "2 untrusted packets counted", func() bool {
		return metrics()[`accessd_dhcp_untrusted_total{source="relay"}`] == 2
	})
	// A RELEASE from the trusted relay, but through another port (acc5).
	sendFrom(t, "127.0.0.1", port, relayPacket(t, dhcpv4.MessageTypeRelease, victimMAC, "10.99.0.10", "", "acc5", "127.0.0.1"))
	testkit.WaitUntil(t, 5*time.Second, "the RELEASE through another port refused", func() bool {
		return metrics()[`accessd_dhcp_refused_ends_total{kind="release"}`] == 1
	})
	if got := state("10.99.0.66"); got != "none" {
		t.Errorf("the forged REQUEST made a binding: %s", got)
	}
	if got := state("10.99.0.10"); got != victimMAC+" tentative ALS10002" {
		t.Errorf("forged RELEASEs changed the real binding: %s", got)
	}
	// The genuine RELEASE, through the client's own port, ends it.
	sendFrom(t, "127.0.0.1", port, relayPacket(t, dhcpv4.MessageTypeRelease, victimMAC, "10.99.0.10", "", "acc1", "127.0.0.1"))
	testkit.WaitUntil(t, 5*time.Second, "the genuine RELEASE to end the binding", func() bool {
		return state("10.99.0.10") == "none"
	})
	out, err := d.ctlRun("status")
	if err != nil || !contains(out, "trusted relays", "127.0.0.1/32", "2 dropped") {
		t.Errorf("accessctl status: %v\n%s", err, out)
	}

	// A reload that trusts 127.0.0.2 too applies at once.
	y, err := os.ReadFile(d.cfg)
	if err != nil {
		t.Fatal(err)
	}
	y = []byte(strings.Replace(string(y), "[127.0.0.1/32]", "[127.0.0.1/32, 127.0.0.2/32]", 1))
	if err := os.WriteFile(d.cfg, y, 0o600); err != nil {
		t.Fatal(err)
	}
	d.proc.Signal(syscall.SIGHUP)
	testkit.WaitUntil(t, 5*time.Second, "the reload", func() bool { return strings.Contains(d.proc.Log(), "configuration reloaded") })
	sendFrom(t, "127.0.0.2", port, relayPacket(t, dhcpv4.MessageTypeRequest, attackerMAC, "", "10.99.0.67", "acc0", "127.0.0.1"))
	testkit.WaitUntil(t, 5*time.Second, "a REQUEST from the newly trusted relay to make a binding", func() bool {
		return state("10.99.0.67") == attackerMAC+" tentative ALS10001"
	})
}

// -check-config refuses a relay listener without dhcp.relay.allowed_sources,
// and a prefix that is not IPv4.
func TestCheckConfigRelayTrust(t *testing.T) {
	testkit.SkipShort(t, "builds the daemon")
	accessd := testkit.Binaries(t).Accessd
	for _, tc := range []struct{ yaml, want string }{
		{"dhcp:\n  relay: {listen: \"0.0.0.0:67\"}\n", ":2: dhcp.relay.allowed_sources: required with dhcp.relay.listen"},
		{"dhcp:\n  relay: {listen: \"0.0.0.0:67\", allowed_sources: []}\n", ":2: dhcp.relay.allowed_sources: required with dhcp.relay.listen"},
		{"dhcp:\n  relay:\n    listen: \"0.0.0.0:67\"\n    allowed_sources: [\"fe80::/64\"]\n", ":4: dhcp.relay.allowed_sources[0]: fe80::/64: must be an IPv4 prefix"},
	} {
		f := filepath.Join(t.TempDir(), "relay.yaml")
		if err := os.WriteFile(f, []byte(tc.yaml), 0o600); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(accessd, "-check-config", "-config", f).CombinedOutput()
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 || !strings.Contains(string(out), f+tc.want) {
			t.Errorf("%s: exit %v, output:\n%s\nwant %q", tc.yaml, err, out, f+tc.want)
		}
	}
}
