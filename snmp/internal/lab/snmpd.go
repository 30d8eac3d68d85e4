package lab

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stadsnat/accessd/internal/testkit"
	"github.com/stadsnat/accessd/snmp/client"
)

// SnmpdOptions configure StartSnmpd.
type SnmpdOptions struct {
	Ports     int    // veth ports (default 48)
	Community string // v2c community (default "public")
	// Users are v3 USM users (SHA-2 auth; AES, AES192 or AES256 priv).
	Users []client.USM
	// FirstPortMbps sets the first port's speed with snmpd's interface
	// directive (0: leave the veth's 10000).
	FirstPortMbps int
}

// Snmpd is a running net-snmp snmpd with veth ports.
type Snmpd struct {
	Addr   string   // 127.0.0.1:port
	Ports  []string // root-side veth names (what IF-MIB shows)
	PeerNS string   // namespace holding the peers (name + "p")
	proc   *testkit.Process
	dir    string
	t      testing.TB
}

// StartSnmpd starts snmpd and its ports; everything is removed when the
// test ends. The ports are created after snmpd started, as snmp-lab.sh
// does, so the interface directive applies.
func StartSnmpd(t testing.TB, o SnmpdOptions) *Snmpd {
	t.Helper()
	testkit.RequireRoot(t, "snmpd's veth ports")
	testkit.RequireCommands(t, "snmpd", "snmpget", "snmpbulkwalk", "ip")
	if o.Ports == 0 {
		o.Ports = 48
	}
	if o.Community == "" {
		o.Community = "public"
	}
	// root-side interface names: PREFIX + index + "p" within Linux's 15
	prefix := testkit.UniqueName("adtp", 10)
	s := &Snmpd{Addr: fmt.Sprintf("127.0.0.1:%d", testkit.FreeUDPPort(t)), PeerNS: prefix + "-peer", dir: t.TempDir(), t: t}
	for i := 0; i < o.Ports; i++ {
		s.Ports = append(s.Ports, prefix+strconv.Itoa(i))
	}
	var conf strings.Builder
	fmt.Fprintf(&conf, "agentAddress udp:%s\n", s.Addr)
	fmt.Fprintf(&conf, "dontLogTCPWrappersConnects yes\nrocommunity %s 127.0.0.1\nsysName adtp-sw\n", o.Community)
	for _, u := range o.Users {
		priv := map[client.PrivProtocol]string{client.AES: "AES", client.AES192: "AES-192", client.AES256: "AES-256"}[u.Priv]
		auth := strings.Replace(string(u.Auth), "SHA", "SHA-", 1)
		fmt.Fprintf(&conf, "createUser %s %s %s %s %s\nrouser %s priv\n", u.User, auth, u.AuthPass, priv, u.PrivPass, u.User)
	}
	if o.FirstPortMbps > 0 {
		fmt.Fprintf(&conf, "interface %s 6 %d\n", s.Ports[0], o.FirstPortMbps*1000000)
	}
	confFile := filepath.Join(s.dir, "snmpd.conf")
	if err := os.WriteFile(confFile, []byte(conf.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Join(s.dir, "persist"), 0o700)
	t.Cleanup(s.showLog)
	s.proc = testkit.NewProcess(t, "snmpd", "-f", "-C", "-c", confFile, "-Lf", filepath.Join(s.dir, "snmpd.log"), "-I", "-smux")
	s.proc.Env = []string{"SNMP_PERSISTENT_DIR=" + filepath.Join(s.dir, "persist"), "MIBS="}
	s.proc.Start()
	t.Cleanup(s.Cont) // a test may have stopped it: SIGTERM must reach it
	s.proc.WaitReady(10*time.Second, func() error {
		return exec.Command("snmpget", "-v2c", "-c", o.Community, "-t", "0.2", "-r", "0", s.Addr, ".1.3.6.1.2.1.1.5.0").Run()
	})
	peers := testkit.NewNetns(t, s.PeerNS)
	for _, p := range s.Ports {
		testkit.Veth(t, nil, p, peers, p+"p")
	}
	// snmpd notices new interfaces at its next ifTable reload (cache ~3 s)
	testkit.WaitUntil(t, 20*time.Second, "snmpd to list every port", func() bool {
		out, err := exec.Command("snmpbulkwalk", "-v2c", "-c", o.Community, "-Oqv", "-t", "1", "-r", "0", s.Addr,
			".1.3.6.1.2.1.31.1.1.1.1").Output()
		if err != nil {
			return false
		}
		have := map[string]bool{}
		for _, l := range strings.Fields(string(out)) {
			have[strings.Trim(l, `"`)] = true
		}
		for _, p := range s.Ports {
			if !have[p] {
				return false
			}
		}
		return true
	})
	return s
}

// showLog shows snmpd's own log file when the test failed.
func (s *Snmpd) showLog() {
	if s.t.Failed() {
		if b, err := os.ReadFile(filepath.Join(s.dir, "snmpd.log")); err == nil {
			s.t.Logf("snmpd.log:\n%s", b)
		}
	}
}

// IfIndex returns the kernel ifindex of a port (what snmpd uses).
func (s *Snmpd) IfIndex(port string) int {
	s.t.Helper()
	b, err := os.ReadFile("/sys/class/net/" + port + "/ifindex")
	if err != nil {
		s.t.Fatal(err)
	}
	n, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return n
}

// PeerDown takes the far end of port down ("cable pulled").
func (s *Snmpd) PeerDown(port string) {
	testkit.Run(s.t, "ip", "netns", "exec", s.PeerNS, "ip", "link", "set", port+"p", "down")
}

// PeerUp brings the far end back.
func (s *Snmpd) PeerUp(port string) {
	testkit.Run(s.t, "ip", "netns", "exec", s.PeerNS, "ip", "link", "set", port+"p", "up")
}

// Stop freezes snmpd (SIGSTOP): it stops answering. Cont resumes it.
func (s *Snmpd) Stop() { s.proc.Signal(syscall.SIGSTOP) }

// Cont resumes a stopped snmpd.
func (s *Snmpd) Cont() {
	if s.proc.Running() {
		s.proc.Signal(syscall.SIGCONT)
	}
}

// Oper reads ifOperStatus of port with snmpget ("" on error).
func (s *Snmpd) Oper(community, port string) string {
	out, err := exec.Command("snmpget", "-v2c", "-c", community, "-Oqv", "-t", "1", "-r", "0", s.Addr,
		".1.3.6.1.2.1.2.2.1.8."+strconv.Itoa(s.IfIndex(port))).Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}
