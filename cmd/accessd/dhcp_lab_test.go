package main_test

import (
	"context"
	"crypto/md5"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// dhcpLab is the topology of ../shared/lab/dhcp-lab.sh in namespaces of
// this test's own (adt-dw-<pid>-…, 10.253.x.x, removed at the end):
//
//	[cli] cli0 (dhclient) ── rl-down 10.253.1.1/24 [relay: dhcrelay -a -id rl-down -iu rl-srv -iu rl-kea KEA SRV]
//	                         rl-srv 10.253.0.1/30 ── srv0 10.253.0.2 [srv: accessd, relay copy on UDP 67]
//	                         rl-kea 10.253.0.5/30 ── kea0 10.253.0.6 [kea: kea-dhcp4; accessd snooping kea0]
type dhcpLab struct {
	t                    *testing.T
	dir                  string
	cli, relay, srv, kea string
}

const (
	labRelayDown = "10.253.1.1"
	labSrvIP     = "10.253.0.2"
	labKeaIP     = "10.253.0.6"
)

func (l *dhcpLab) ip(args ...string) string {
	l.t.Helper()
	out, err := exec.Command("ip", args...).CombinedOutput()
	if err != nil {
		l.t.Fatalf("ip %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func (l *dhcpLab) nsx(ns string, args ...string) string {
	l.t.Helper()
	return l.ip(append([]string{"netns", "exec", ns}, args...)...)
}

func dhcpLabPrerequisites(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("integration test with real peers; skipped with -short")
	}
	if os.Geteuid() != 0 {
		requireIntegration(t, "needs root for network namespaces")
	}
	for _, bin := range []string{"ip", "dhcrelay", "dhclient", "kea-dhcp4"} {
		if _, err := exec.LookPath(bin); err != nil {
			requireIntegration(t, "needs %s (see ../shared/lab/install-deps.sh)", bin)
		}
	}
}

func newDHCPLab(t *testing.T) *dhcpLab {
	t.Helper()
	p := fmt.Sprintf("adt-dw-%d-", os.Getpid())
	l := &dhcpLab{t: t, dir: t.TempDir(), cli: p + "cli", relay: p + "relay", srv: p + "srv", kea: p + "kea"}
	for _, ns := range []string{l.cli, l.relay, l.srv, l.kea} {
		if out, err := exec.Command("ip", "netns", "add", ns).CombinedOutput(); err != nil {
			requireIntegration(t, "cannot create network namespace %s: %v: %s", ns, err, out)
		}
		t.Cleanup(func() { exec.Command("ip", "netns", "del", ns).Run() })
		l.nsx(ns, "ip", "link", "set", "lo", "up")
		l.nsx(ns, "sysctl", "-qw", "net.ipv4.conf.all.rp_filter=0", "net.ipv4.conf.default.rp_filter=0")
	}
	veth := func(nsA, a, nsB, b string) {
		l.ip("link", "add", a, "netns", nsA, "type", "veth", "peer", "name", b, "netns", nsB)
		if _, err := exec.LookPath("ethtool"); err == nil {
			exec.Command("ip", "netns", "exec", nsA, "ethtool", "-K", a, "tx", "off").Run()
			exec.Command("ip", "netns", "exec", nsB, "ethtool", "-K", b, "tx", "off").Run()
		}
		l.nsx(nsA, "ip", "link", "set", a, "up")
		l.nsx(nsB, "ip", "link", "set", b, "up")
	}
	veth(l.cli, "cli0", l.relay, "rl-down")
	veth(l.relay, "rl-srv", l.srv, "srv0")
	veth(l.relay, "rl-kea", l.kea, "kea0")
	l.nsx(l.relay, "ip", "addr", "add", labRelayDown+"/24", "dev", "rl-down")
	l.nsx(l.relay, "ip", "addr", "add", "10.253.0.1/30", "dev", "rl-srv")
	l.nsx(l.relay, "ip", "addr", "add", "10.253.0.5/30", "dev", "rl-kea")
	l.nsx(l.srv, "ip", "addr", "add", labSrvIP+"/30", "dev", "srv0")
	l.nsx(l.kea, "ip", "addr", "add", labKeaIP+"/30", "dev", "kea0")
	l.nsx(l.srv, "ip", "route", "add", "default", "via", "10.253.0.1")
	l.nsx(l.kea, "ip", "route", "add", "default", "via", "10.253.0.5")
	l.nsx(l.relay, "sysctl", "-qw", "net.ipv4.ip_forward=1")
	return l
}

// start runs a program in a namespace; cleanup stops it by its PID (`ip
// netns exec` execs the program, so the PID is the program's).
func (l *dhcpLab) start(name, ns string, env []string, args ...string) *exec.Cmd {
	l.t.Helper()
	logf, err := os.Create(filepath.Join(l.dir, name+".log"))
	if err != nil {
		l.t.Fatal(err)
	}
	cmd := exec.Command("ip", append([]string{"netns", "exec", ns}, args...)...)
	cmd.Stdout, cmd.Stderr, cmd.Env = logf, logf, append(os.Environ(), env...)
	if err := cmd.Start(); err != nil {
		l.t.Fatalf("start %s: %v", name, err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	l.t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(3 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		logf.Close()
		if l.t.Failed() {
			b, _ := os.ReadFile(logf.Name())
			l.t.Logf("%s log:\n%s", name, b)
		}
	})
	return cmd
}

// httpIn is an HTTP client whose connections are made inside a namespace
// (the daemons listen on their namespace's loopback).
func httpIn(ns string) *http.Client {
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		type result struct {
			c   net.Conn
			err error
		}
		ch := make(chan result, 1)
		go func() {
			// The thread stays locked (and dies with the goroutine) if
			// it cannot go back to its own namespace.
			runtime.LockOSThread()
			orig, err := os.Open("/proc/thread-self/ns/net")
			if err != nil {
				ch <- result{nil, err}
				return
			}
			defer orig.Close()
			target, err := os.Open("/run/netns/" + ns)
			if err != nil {
				ch <- result{nil, err}
				return
			}
			defer target.Close()
			if err := unix.Setns(int(target.Fd()), unix.CLONE_NEWNET); err != nil {
				ch <- result{nil, fmt.Errorf("setns %s: %w", ns, err)}
				return
			}
			var d net.Dialer
			c, derr := d.DialContext(ctx, network, addr)
			if err := unix.Setns(int(orig.Fd()), unix.CLONE_NEWNET); err != nil {
				if c != nil {
					c.Close()
				}
				ch <- result{nil, fmt.Errorf("setns back: %w", err)}
				return
			}
			runtime.UnlockOSThread()
			ch <- result{c, derr}
		}()
		r := <-ch
		return r.c, r.err
	}
	return &http.Client{Transport: &http.Transport{DialContext: dial, DisableKeepAlives: true}, Timeout: 10 * time.Second}
}

func waitUntil(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(d); ; {
		if cond() {
			return
		}
		if time.Now().After(end) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

type lookupResult struct {
	Access   string
	Bindings []struct {
		MAC, IP, State, Access, Circuit, CircuitID, Option82, Source string
	}
}

// TestDHCPLabRealPeers runs the real daemon against real dhclient, ISC
// dhcrelay -a and Kea, as dhcp-lab.sh does: one accessd in the server
// namespace as dhcrelay's second server (relay copy) that also follows
// Kea's lease file, one in Kea's namespace snooping kea0. After the
// client's lease both hold the binding IP ⇔ MAC ⇔ ALS30001 (whose
// Option82 is dhcrelay's circuit-id rl-down), and accessctl lookup ip,
// dhcplookup, option82 and leaseinfo answer it. Then dhcpload streams at
// the relay-copy daemon from the relay's namespace, the daemon is killed
// with SIGKILL and restarted, and every binding committed before the kill
// is still there.
func TestDHCPLabRealPeers(t *testing.T) {
	dhcpLabPrerequisites(t)
	l := newDHCPLab(t)
	accessd, accessctl, dhcpload := dhcpBinaries(t, l.dir)
	demo := "../../testdata/demo/accesses.csv"

	leases := filepath.Join(l.dir, "kea-leases4.csv")
	keaConf := filepath.Join(l.dir, "kea-dhcp4.json")
	conf := fmt.Sprintf(`{"Dhcp4": {
  "interfaces-config": {"interfaces": ["kea0"], "dhcp-socket-type": "udp"},
  "lease-database": {"type": "memfile", "persist": true, "lfc-interval": 0, "name": %q},
  "store-extended-info": true,
  "valid-lifetime": 120, "renew-timer": 60, "rebind-timer": 90,
  "subnet4": [{"id": 1, "subnet": "10.253.1.0/24", "pools": [{"pool": "10.253.1.100 - 10.253.1.199"}],
               "option-data": [{"name": "routers", "data": %q}]}],
  "loggers": [{"name": "kea-dhcp4", "severity": "INFO", "output_options": [{"output": %q}]}]
}}`, leases, labRelayDown, filepath.Join(l.dir, "kea.log"))
	if err := os.WriteFile(keaConf, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}

	// accessd in the server namespace: relay copy + Kea's lease file, and
	// the Atlas bounce URL on all its addresses.
	relayD := newDHCPD(t, filepath.Join(l.dir, "srv"), accessd, accessctl, "0.0.0.0:8067",
		fmt.Sprintf("  relay: {listen: \"0.0.0.0:67\"}\n  kea_lease_file: %s\n%s", leases, labAtlasYAML), "ip", "netns", "exec", l.srv)
	relayD.start()
	// accessd in Kea's namespace: snooping the server's interface.
	snoopD := newDHCPD(t, filepath.Join(l.dir, "kea"), accessd, accessctl, "127.0.0.1:8067",
		"  snoop: {interfaces: [kea0]}\n", "ip", "netns", "exec", l.kea)
	snoopD.start()
	for _, d := range []*dhcpd{relayD, snoopD} {
		if out, err := d.ctlRun("import", demo); err != nil {
			t.Fatalf("%v %s", err, out)
		}
	}

	l.start("kea", l.kea, []string{"KEA_LOCKFILE_DIR=" + l.dir, "KEA_PIDFILE_DIR=" + l.dir}, "kea-dhcp4", "-c", keaConf)
	waitUntil(t, 10*time.Second, "Kea's lease file", func() bool { _, err := os.Stat(leases); return err == nil })
	l.start("dhcrelay", l.relay, nil, "dhcrelay", "-4", "-d", "-a", "-pf", filepath.Join(l.dir, "dhcrelay.pid"),
		"-id", "rl-down", "-iu", "rl-srv", "-iu", "rl-kea", labKeaIP, labSrvIP)
	time.Sleep(500 * time.Millisecond) // dhcrelay opens its sockets; nothing to poll for
	l.start("dhclient", l.cli, nil, "dhclient", "-4", "-d", "-v", "-sf", "/bin/true",
		"-lf", filepath.Join(l.dir, "dhclient.leases"), "-pf", filepath.Join(l.dir, "dhclient.pid"), "cli0")

	// The client's MAC, and the address Kea gave it (dhclient's script is
	// /bin/true, so the address is read from its lease file).
	link := l.nsx(l.cli, "ip", "-o", "link", "show", "dev", "cli0")
	mac := regexp.MustCompile(`link/ether ([0-9a-f:]{17})`).FindStringSubmatch(link)
	if mac == nil {
		t.Fatalf("no MAC in %q", link)
	}
	var clientIP string
	waitUntil(t, 30*time.Second, "dhclient's lease", func() bool {
		b, _ := os.ReadFile(filepath.Join(l.dir, "dhclient.leases"))
		m := regexp.MustCompile(`fixed-address (10\.253\.1\.\d+);`).FindSubmatch(b)
		if m != nil {
			clientIP = string(m[1])
		}
		return m != nil
	})
	t.Logf("client %s got %s", mac[1], clientIP)

	// Both daemons hold IP ⇔ MAC ⇔ ALS30001; the relay-copy one sees it
	// bound once Kea's lease file has the row, the snooping one from
	// Kea's ACK.
	for _, c := range []struct {
		d      *dhcpd
		source string
	}{{relayD, "kea"}, {snoopD, "snoop"}} {
		var res lookupResult
		t.Cleanup(func() {
			if t.Failed() {
				st, _ := c.d.ctlRun("status")
				lu, err := c.d.ctlRun("lookup", "ip", clientIP)
				t.Logf("%s daemon: status\n%s\nlookup ip %s: %v\n%s", c.source, st, clientIP, err, lu)
			}
		})
		waitUntil(t, 20*time.Second, "a bound binding of "+clientIP+" from "+c.source, func() bool {
			res = lookupResult{}
			if err := c.d.ctlJSON(&res, "lookup", "ip", clientIP); err != nil {
				return false
			}
			return len(res.Bindings) == 1 && res.Bindings[0].State == "bound" && res.Bindings[0].Source == c.source
		})
		b := res.Bindings[0]
		if b.MAC != mac[1] || b.IP != clientIP || b.Access != "ALS30001" || res.Access != "ALS30001" || b.Circuit != "rl-down" || b.CircuitID != "rl-down" {
			t.Errorf("%s: binding %+v, access %q; want %s ⇔ %s ⇔ ALS30001 on circuit rl-down", c.source, b, res.Access, clientIP, mac[1])
		}
		if b.Option82 != "52090107"+strings.ToUpper(fmt.Sprintf("%x", "rl-down")) {
			t.Errorf("%s: option 82 %q, want dhcrelay's 52 09 01 07 rl-down", c.source, b.Option82)
		}
		out, err := c.d.ctlRun("lookup", "ip", clientIP)
		if err != nil || !strings.Contains(out, "ALS30001") || !strings.Contains(out, mac[1]) {
			t.Errorf("%s: accessctl lookup ip: %v\n%s", c.source, err, out)
		}
	}

	// The APIs of the relay-copy daemon, from inside its namespace.
	hc := httpIn(l.srv)
	base := "http://127.0.0.1:8067"
	get := func(path string) string {
		t.Helper()
		body, err := httpGet(hc, base+path, "sp", "pw")
		if err != nil {
			t.Errorf("%v", err)
		}
		return body
	}
	var lu lookupResult
	relayD.ctlJSON(&lu, "lookup", "ip", clientIP)
	hexO82 := lu.Bindings[0].Option82
	for _, path := range []string{
		"/onapi/2.6/dhcplookup/?ipv4CircuitId=rl-down",
		"/onapi/2.6/dhcplookup/?ipv4option82=" + hexO82,
		"/onapi/2.6/option82/" + hexO82,
		"/api/2.3/option82/" + hexO82,
	} {
		if body := strings.TrimSpace(get(path)); body != `{"accessId":"ALS30001"}` {
			t.Errorf("GET %s = %s", path, body)
		}
	}
	var li []map[string]string
	if err := json.Unmarshal([]byte(get("/onapi/2.6/tech/access/ALS30001/link/leaseinfo")), &li); err != nil || len(li) != 1 ||
		li[0]["lease"] != clientIP || li[0]["mac"] != mac[1] || li[0]["start"] == "" || li[0]["end"] == "" {
		t.Errorf("leaseinfo: %v %v", li, err)
	}
	if body := strings.TrimSpace(get("/onapi/2.6/tech/access/ALS10001/link/leaseinfo")); body != "[]" {
		t.Errorf("leaseinfo of an access without clients: %s", body)
	}
	m := metricsOf(t, func(p string) (string, error) { return httpGet(hc, base+p, "", "") })
	if m[`accessd_dhcp_packets_total{source="relay",type="request"}`] < 1 || m[`accessd_dhcp_kea_rows_total`] < 1 {
		t.Errorf("metrics: relay requests %v, Kea rows %v", m[`accessd_dhcp_packets_total{source="relay",type="request"}`], m[`accessd_dhcp_kea_rows_total`])
	}

	// The Atlas bounce URL, from the client's namespace: from its leased
	// address the visitor is the access whose Option82 dhcrelay's circuit
	// matches; from an address with no binding (the relay's) it is not found.
	l.nsx(l.cli, "ip", "addr", "add", clientIP+"/24", "dev", "cli0")
	l.nsx(l.cli, "ip", "route", "add", "default", "via", labRelayDown)
	checkBounce(t, httpIn(l.cli), "http://"+labSrvIP+":8067", "ok", "ALS30001")
	checkBounce(t, httpIn(l.relay), "http://"+labSrvIP+":8067", "not found", "")

	// SIGKILL while dhcpload streams relayed packets at the daemon from the
	// relay's namespace.
	l.start("dhcpload", l.relay, nil, dhcpload, "-target", labSrvIP+":67", "-allow-nonloopback", "-giaddr", labRelayDown,
		"-rate", "20000", "-duration", "15s", "-clients", "100000", "-switches", "4", "-ports", "48", "-mix", "0.7")
	time.Sleep(2 * time.Second)
	before := relayD.committed()
	relayD.sigkill()
	if len(before.Bindings) < 1000 {
		t.Fatalf("only %d bindings committed after 2 s of load", len(before.Bindings))
	}
	relayD.start()
	after := relayD.committed()
	checkSurvived(t, before, after)
	t.Logf("SIGKILL under load: %d bindings at commit %d before, %d at commit %d after the restart",
		len(before.Bindings), before.CommitSeq, len(after.Bindings), after.CommitSeq)
	var res lookupResult
	if err := relayD.ctlJSON(&res, "lookup", "ip", clientIP); err != nil || res.Access != "ALS30001" {
		t.Errorf("the real client's binding after the restart: %+v, %v", res, err)
	}
}

// labAtlasYAML configures the Atlas bounce URL of the lab daemon.
const labAtlasYAML = `atlas:
  api_user: tjansteguiden
  api_key: k3y
  return_urls: ["https://tjansteguiden.example/serviceguide"]
  allowed_ips: [127.0.0.1]
`

// checkBounce sends a browser (no redirects followed) to the bounce URL
// with Tjänsteguiden's md5 key and checks the 302 back to return_url.
func checkBounce(t *testing.T, hc *http.Client, base, status, uid string) {
	t.Helper()
	const secret = "12978376"
	key := fmt.Sprintf("%x", md5.Sum([]byte("tjansteguiden"+"k3y"+secret)))
	q := url.Values{"return_url": {"https://tjansteguiden.example/serviceguide?step=2"}, "api_key": {key}, "api_secret": {secret}}
	c := *hc
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := c.Get(base + "/atlas/bounce?" + q.Encode())
	if err != nil {
		t.Fatalf("bounce: %v", err)
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusFound || err != nil {
		t.Fatalf("bounce: %s, Location %q", resp.Status, resp.Header.Get("Location"))
	}
	got := loc.Query()
	if loc.Host != "tjansteguiden.example" || loc.Path != "/serviceguide" || got.Get("step") != "2" ||
		got.Get("status") != status || got.Get("uid") != uid || got.Get("api_secret") != secret || got.Get("api_key") != key {
		t.Errorf("bounce redirected to %s; want status %q uid %q and return_url's own query kept", loc, status, uid)
	}
	if uid != "" && got.Get("accessId") != uid {
		t.Errorf("bounce accessId = %q, want %q", got.Get("accessId"), uid)
	}
}
