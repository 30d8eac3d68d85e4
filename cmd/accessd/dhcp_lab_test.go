package main_test

import (
	"crypto/md5"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stadsnat/accessd/internal/testkit"
)

// labRelayDown and labSrvIP are addresses of the test's
// testkit.DHCPLab on 10.253.x.x (namespaces adt-dw-…):
//
//	[cli] cli0 (dhclient) ── rl-down 10.253.1.1/24 [relay: dhcrelay -a -id rl-down -iu rl-srv -iu rl-kea KEA SRV]
//	                         rl-srv 10.253.0.1/30 ── srv0 10.253.0.2 [srv: accessd, relay copy on UDP 67]
//	                         rl-kea 10.253.0.5/30 ── kea0 10.253.0.6 [kea: kea-dhcp4; accessd snooping kea0]
const (
	labRelayDown = "10.253.1.1"
	labSrvIP     = "10.253.0.2"
)

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
	testkit.SkipShort(t, "integration test with real peers")
	l := testkit.NewDHCPLab(t, "adt-dw", 253)
	bins := testkit.Binaries(t)
	accessd, accessctl, dhcpload := bins.Accessd, bins.Accessctl, bins.Dhcpload
	demo := "../../testdata/demo/accesses.csv"
	leases := l.KeaLeases

	// accessd in the server namespace: relay copy + Kea's lease file, and
	// the Atlas bounce URL on all its addresses.
	relayD := newDHCPD(t, filepath.Join(l.Dir, "srv"), accessd, accessctl, "0.0.0.0:8067",
		fmt.Sprintf("  relay: {listen: \"0.0.0.0:67\", allowed_sources: [%s/32]}\n  kea_lease_file: %s\n%s", l.RelayUp, leases, labAtlasYAML), l.Srv.Prefix()...)
	relayD.start()
	// accessd in Kea's namespace: snooping the server's interface.
	snoopD := newDHCPD(t, filepath.Join(l.Dir, "kea"), accessd, accessctl, "127.0.0.1:8067",
		"  snoop: {interfaces: [kea0]}\n", l.Kea.Prefix()...)
	snoopD.start()
	for _, d := range []*dhcpd{relayD, snoopD} {
		if out, err := d.ctlRun("import", demo); err != nil {
			t.Fatalf("%v %s", err, out)
		}
	}

	l.StartKea()
	l.StartRelay()
	l.StartClient()

	// The client's MAC, and the address Kea gave it (dhclient's script is
	// /bin/true, so the address is read from its lease file).
	mac := l.ClientMAC()
	clientIP := l.WaitClientLease(30 * time.Second)
	t.Logf("client %s got %s", mac, clientIP)

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
		testkit.WaitUntil(t, 20*time.Second, "a bound binding of "+clientIP+" from "+c.source, func() bool {
			res = lookupResult{}
			if err := c.d.ctlJSON(&res, "lookup", "ip", clientIP); err != nil {
				return false
			}
			return len(res.Bindings) == 1 && res.Bindings[0].State == "bound" && res.Bindings[0].Source == c.source
		})
		b := res.Bindings[0]
		if b.MAC != mac || b.IP != clientIP || b.Access != "ALS30001" || res.Access != "ALS30001" || b.Circuit != "rl-down" || b.CircuitID != "rl-down" {
			t.Errorf("%s: binding %+v, access %q; want %s ⇔ %s ⇔ ALS30001 on circuit rl-down", c.source, b, res.Access, clientIP, mac)
		}
		if b.Option82 != "52090107"+strings.ToUpper(fmt.Sprintf("%x", "rl-down")) {
			t.Errorf("%s: option 82 %q, want dhcrelay's 52 09 01 07 rl-down", c.source, b.Option82)
		}
		out, err := c.d.ctlRun("lookup", "ip", clientIP)
		if err != nil || !strings.Contains(out, "ALS30001") || !strings.Contains(out, mac) {
			t.Errorf("%s: accessctl lookup ip: %v\n%s", c.source, err, out)
		}
	}

	// The APIs of the relay-copy daemon, from inside its namespace.
	hc := l.Srv.HTTPClient()
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
		li[0]["lease"] != clientIP || li[0]["mac"] != strings.ToUpper(mac) || li[0]["start"] == "" || li[0]["end"] == "" {
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
	l.Cli.Exec("ip", "addr", "add", clientIP+"/24", "dev", "cli0")
	l.Cli.Exec("ip", "route", "add", "default", "via", labRelayDown)
	checkBounce(t, l.Cli.HTTPClient(), "http://"+labSrvIP+":8067", "ok", "ALS30001")
	checkBounce(t, l.Relay.HTTPClient(), "http://"+labSrvIP+":8067", "not found", "")

	// SIGKILL while dhcpload streams relayed packets at the daemon from the
	// relay's namespace.
	testkit.StartProcess(t, l.Relay.Command(dhcpload, "-target", labSrvIP+":67", "-allow-nonloopback", "-giaddr", labRelayDown,
		"-rate", "20000", "-duration", "15s", "-clients", "100000", "-switches", "4", "-ports", "48", "-mix", "0.7")...)
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
