package testkit

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// DHCPLab is the topology of lab/dhcp-lab.sh in namespaces of the test's
// own (PREFIX{cli,relay,srv,kea}, deleted at the end), on 10.NET.x.x:
//
//	[cli] cli0 (dhclient) ── rl-down 10.NET.1.1/24 [relay: dhcrelay -a -id rl-down -iu rl-srv -iu rl-kea KEA SRV]
//	                         rl-srv 10.NET.0.1/30 ── srv0 10.NET.0.2 [srv: the daemon under test, UDP 67]
//	                         rl-kea 10.NET.0.5/30 ── kea0 10.NET.0.6 [kea: kea-dhcp4, pool 10.NET.1.100-199]
//
// dhcrelay -a inserts Option 82 with circuit-id "rl-down" (the name of its
// downstream interface) and no remote-id, and relays every request to Kea
// and to the server namespace's 10.NET.0.2:67.
type DHCPLab struct {
	Dir                     string // the test's directory for configurations, leases and logs
	Cli, Relay, Srv, Kea    *Netns
	RelayDown, SrvIP, KeaIP string // 10.NET.1.1, 10.NET.0.2, 10.NET.0.6
	// RelayUp is the relay's address towards the server namespace
	// (10.NET.0.1): the source of the relay copies accessd there gets.
	RelayUp string
	Subnet  string // the clients' 10.NET.1.0/24
	// KeaLeases is Kea's memfile lease file (CSV), in Dir.
	KeaLeases string
	net       int
	t         testing.TB
}

// RequireDHCPLab skips (or under ACCESSD_REQUIRE_INTEGRATION=1 fails) the
// test unless it can build a DHCPLab: root, iproute2, ISC dhcrelay and
// dhclient, Kea. (The lab itself is up in well under a second; a test that
// does slow things in it skips under -short itself.)
func RequireDHCPLab(t testing.TB) {
	t.Helper()
	RequireRoot(t, "the DHCP lab (network namespaces)")
	RequireCommands(t, "ip", "dhcrelay", "dhclient", "kea-dhcp4")
}

// NewDHCPLab builds the lab's namespaces, veths, addresses and routes; net
// is the second octet of its addresses. Name prefix after the test (its
// namespaces are prefix-PID-TAG-cli and so on).
func NewDHCPLab(t testing.TB, prefix string, net int) *DHCPLab {
	t.Helper()
	RequireDHCPLab(t)
	p := UniqueName(prefix+"-", 40) + "-"
	l := &DHCPLab{Dir: t.TempDir(), net: net, t: t,
		RelayDown: fmt.Sprintf("10.%d.1.1", net), RelayUp: fmt.Sprintf("10.%d.0.1", net), SrvIP: fmt.Sprintf("10.%d.0.2", net), KeaIP: fmt.Sprintf("10.%d.0.6", net),
		Subnet: fmt.Sprintf("10.%d.1.0/24", net)}
	l.KeaLeases = filepath.Join(l.Dir, "kea-leases4.csv")
	l.Cli, l.Relay, l.Srv, l.Kea = NewNetns(t, p+"cli"), NewNetns(t, p+"relay"), NewNetns(t, p+"srv"), NewNetns(t, p+"kea")
	Veth(t, l.Cli, "cli0", l.Relay, "rl-down")
	Veth(t, l.Relay, "rl-srv", l.Srv, "srv0")
	Veth(t, l.Relay, "rl-kea", l.Kea, "kea0")
	l.Relay.Exec("ip", "addr", "add", l.RelayDown+"/24", "dev", "rl-down")
	l.Relay.Exec("ip", "addr", "add", l.RelayUp+"/30", "dev", "rl-srv")
	l.Relay.Exec("ip", "addr", "add", l.addr(0, 5)+"/30", "dev", "rl-kea")
	l.Srv.Exec("ip", "addr", "add", l.SrvIP+"/30", "dev", "srv0")
	l.Kea.Exec("ip", "addr", "add", l.KeaIP+"/30", "dev", "kea0")
	l.Srv.Exec("ip", "route", "add", "default", "via", l.addr(0, 1))
	l.Kea.Exec("ip", "route", "add", "default", "via", l.addr(0, 5))
	// the relay also routes: a renewing client unicasts to Kea through it
	l.Relay.Exec("sysctl", "-qw", "net.ipv4.ip_forward=1")
	return l
}

func (l *DHCPLab) addr(c, d int) string { return fmt.Sprintf("10.%d.%d.%d", l.net, c, d) }

// StartKea writes Kea's configuration (pool 10.NET.1.100-199, lease 120 s,
// renew 60 s, extended info so the lease file keeps the relay agent
// information) and runs kea-dhcp4 in its namespace until it has created its
// lease file.
func (l *DHCPLab) StartKea() *Process {
	l.t.Helper()
	conf := fmt.Sprintf(`{"Dhcp4": {
  "interfaces-config": {"interfaces": ["kea0"], "dhcp-socket-type": "udp"},
  "lease-database": {"type": "memfile", "persist": true, "lfc-interval": 0, "name": %q},
  "store-extended-info": true,
  "valid-lifetime": 120, "renew-timer": 60, "rebind-timer": 90,
  "subnet4": [{"id": 1, "subnet": %q, "pools": [{"pool": "%s - %s"}],
               "option-data": [{"name": "routers", "data": %q}]}],
  "loggers": [{"name": "kea-dhcp4", "severity": "INFO", "output_options": [{"output": %q}]}]
}}`, l.KeaLeases, l.Subnet, l.addr(1, 100), l.addr(1, 199), l.RelayDown, filepath.Join(l.Dir, "kea.log"))
	path := filepath.Join(l.Dir, "kea-dhcp4.json")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		l.t.Fatal(err)
	}
	p := NewProcess(l.t, l.Kea.Command("kea-dhcp4", "-c", path)...)
	p.Name = "kea-dhcp4"
	p.Env = []string{"KEA_LOCKFILE_DIR=" + l.Dir, "KEA_PIDFILE_DIR=" + l.Dir}
	p.Start()
	p.WaitReady(10*time.Second, func() error { _, err := os.Stat(l.KeaLeases); return err })
	return p
}

// StartRelay runs ISC dhcrelay -a in the relay namespace, relaying to Kea
// and to the server namespace, and waits until it has opened its sockets
// (it says "Sending on Socket/fallback" last).
func (l *DHCPLab) StartRelay() *Process {
	l.t.Helper()
	p := NewProcess(l.t, l.Relay.Command("dhcrelay", "-4", "-d", "-a", "-pf", filepath.Join(l.Dir, "dhcrelay.pid"),
		"-id", "rl-down", "-iu", "rl-srv", "-iu", "rl-kea", l.KeaIP, l.SrvIP)...)
	p.Name = "dhcrelay"
	p.Start()
	p.WaitReady(10*time.Second, func() error {
		if !strings.Contains(p.Log(), "Sending on   Socket/fallback") {
			return fmt.Errorf("dhcrelay has not opened its sockets")
		}
		return nil
	})
	return p
}

// StartClient runs dhclient on cli0. Its script is /bin/true (the address
// is not configured: read it with WaitClientLease); its lease file is in
// Dir.
func (l *DHCPLab) StartClient() *Process {
	l.t.Helper()
	p := NewProcess(l.t, l.Cli.Command("dhclient", "-4", "-d", "-v", "-sf", "/bin/true",
		"-lf", filepath.Join(l.Dir, "dhclient.leases"), "-pf", filepath.Join(l.Dir, "dhclient.pid"), "cli0")...)
	p.Name = "dhclient"
	p.Start()
	return p
}

// ClientMAC is cli0's MAC address (lower-case, colons).
func (l *DHCPLab) ClientMAC() string {
	l.t.Helper()
	link := l.Cli.Exec("ip", "-o", "link", "show", "dev", "cli0")
	m := regexp.MustCompile(`link/ether ([0-9a-f:]{17})`).FindStringSubmatch(link)
	if m == nil {
		l.t.Fatalf("no MAC in %q", link)
	}
	return m[1]
}

// WaitClientLease waits until dhclient's lease file holds an address of the
// lab's subnet and returns it.
func (l *DHCPLab) WaitClientLease(timeout time.Duration) string {
	l.t.Helper()
	re := regexp.MustCompile(`fixed-address (10\.` + fmt.Sprint(l.net) + `\.1\.\d+);`)
	var ip string
	WaitUntil(l.t, timeout, "dhclient's lease", func() bool {
		b, _ := os.ReadFile(filepath.Join(l.Dir, "dhclient.leases"))
		if m := re.FindSubmatch(b); m != nil {
			ip = string(m[1])
		}
		return ip != ""
	})
	return ip
}
