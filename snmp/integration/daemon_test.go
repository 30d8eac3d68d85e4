package integration

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stadsnat/accessd/internal/testkit"
	"github.com/stadsnat/accessd/snmp/client"
	"github.com/stadsnat/accessd/snmp/internal/lab"
	"github.com/stadsnat/accessd/store"
)

// The tests in this file run the real accessd (built from this tree)
// against a real snmpd with veth ports, through its HTTP APIs and
// accessctl. They need root, snmpd, snmp (snmpget, snmptrap) and ip; they
// skip without them unless ACCESSD_REQUIRE_INTEGRATION=1.
//
//	go test -v -run 'TestDaemon' ./snmp/integration/

var trapUser = client.USM{User: "adttrap", Auth: client.SHA512, AuthPass: "adt-trap-auth", Priv: client.AES256, PrivPass: "adt-trap-priv"}

// snmpSection is the daemon's snmp configuration for one lab switch.
func snmpSection(d *lab.Snmpd, interval string, creds string, trapAddr string) string {
	return fmt.Sprintf(`  interval: %s
  timeout: 500ms
  retries: 1
  switches:
    - {address: "%s", name: adt-sw, %s}
  traps:
    listen: "%s"
    community: adt-traps
    v3_users:
      - {user: %s, auth: SHA512, auth_pass: %s, priv: AES256, priv_pass: %s}
`, interval, d.Addr, creds, trapAddr, trapUser.User, trapUser.AuthPass, trapUser.PrivPass)
}

// TestDaemonLinkState: through the running daemon, v2c and v3 authPriv:
// every imported access's port is UP (PI-API and ON-API); a pulled cable
// is DOWN within one poll interval plus snmpd's ~3 s cache, then UP again
// with a later since; an idle cycle writes nothing to the store; a switch
// that stops answering (SIGSTOP) turns the links unknown (503), and back.
func TestDaemonLinkState(t *testing.T) {
	testkit.SkipShort(t, slow)
	testkit.RequireCommands(t, "snmpd", "snmpget", "ip")
	bin := testkit.Binaries(t).Dir
	for _, tc := range []struct{ name, creds string }{
		{"v2c", "community: public"},
		{"v3-authPriv", fmt.Sprintf("v3: {user: %s, auth: SHA256, auth_pass: %s, priv: AES, priv_pass: %s}", v3user.User, v3user.AuthPass, v3user.PrivPass)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := lab.StartSnmpd(t, lab.SnmpdOptions{Ports: 8, Users: []client.USM{v3user}, FirstPortMbps: 1000})
			const interval = 2 * time.Second
			a := startAccessd(t, bin, snmpSection(d, "2s", tc.creds, fmt.Sprintf("127.0.0.1:%d", testkit.FreeUDPPort(t))))
			ids := a.importPorts("adt-sw", d.Ports)

			// the inventory watcher picks the import up; the ports come up
			testkit.WaitUntil(t, 15*time.Second, "every imported access UP", func() bool {
				for _, id := range ids {
					if st, l, _ := a.link(id); st != 200 || l.Link != "UP" {
						return false
					}
				}
				return true
			})
			_, l0, body0 := a.link(ids[d.Ports[0]])
			_, l1, _ := a.link(ids[d.Ports[1]])
			if l0.Up == nil || l0.Up.Mbps != 1000 || l0.Up.Clients == nil || l1.Up.Mbps != 10000 {
				t.Errorf("port 0 = %s; port 1 mbps = %d (want 1000 and the veth's 10000)", body0, l1.Up.Mbps)
			}
			on := a.get("/onapi/2.6/tech/access/" + ids[d.Ports[0]] + "/link/status")
			if on.status != 200 || !strings.Contains(on.body, `"link":true`) || !strings.Contains(on.body, `"linkSpeed":1000`) || !strings.Contains(on.body, `"adminDown":false`) {
				t.Errorf("ON-API link/status = %d %s", on.status, on.body)
			}
			if ep := a.get("/onapi/2.6/"); !strings.Contains(ep.body, `"endpoint":"/onapi/2.6/tech/access/{accessId}/link/status"`) {
				t.Errorf("the endpoint list does not name link/status: %s", ep.body)
			}

			// the SNMP metrics are in the daemon's registry
			for _, name := range []string{"accessd_snmp_poll_duration_seconds_count", "accessd_snmp_polls_total", "accessd_snmp_requests_total",
				"accessd_snmp_ports", "accessd_snmp_switches", "accessd_snmp_store_updates_total", "accessd_snmp_store_batches_total"} {
				if a.metric(name) <= 0 {
					t.Errorf("metric %s missing or zero", name)
				}
			}
			if r := a.get("/metrics"); !strings.Contains(r.body, "accessd_snmp_switches_unreachable 0") || !strings.Contains(r.body, `accessd_snmp_poll_duration_seconds_count{group="default"}`) {
				t.Errorf("/metrics lacks the unreachable gauge or the per-group poll duration")
			}

			// idle cycles write nothing
			writes := a.metric("accessd_snmp_store_updates_total")
			reqs, polls := a.metric("accessd_snmp_requests_total"), a.metric("accessd_snmp_polls_total")
			time.Sleep(3 * interval)
			dw, dr, dp := a.metric("accessd_snmp_store_updates_total")-writes, a.metric("accessd_snmp_requests_total")-reqs, a.metric("accessd_snmp_polls_total")-polls
			t.Logf("idle: %v store writes, %v request packets in %v cycles (%.2f per cycle)", dw, dr, dp, dr/max(dp, 1))
			if dw != 0 || dp < 2 {
				t.Errorf("idle cycles: %v store writes in %v cycles, want 0 writes", dw, dp)
			}

			// pull a cable
			port, id := d.Ports[5], ids[d.Ports[5]]
			_, before, _ := a.link(id)
			upSince := parseSince(t, before.Up.Since)
			pulled := time.Now()
			d.PeerDown(port)
			took := testkit.WaitUntil(t, interval+3*time.Second+2*time.Second, id+" DOWN", func() bool {
				_, l, _ := a.link(id)
				return l.Link == "DOWN"
			})
			t.Logf("cable pulled: PI-API DOWN after %v (interval %v + snmpd cache ~3 s)", took, interval)
			if st, l, body := a.link(id); st != 200 || body != "{\"link\":\"DOWN\"}\n" || l.Up != nil {
				t.Errorf("DOWN answer = %d %q", st, body)
			}
			on = a.get("/onapi/2.6/tech/access/" + id + "/link/status")
			var ls struct {
				Link      bool   `json:"link"`
				LinkSince string `json:"linkSince"`
				AdminDown bool   `json:"adminDown"`
			}
			json.Unmarshal([]byte(on.body), &ls)
			if downSince := parseSince(t, ls.LinkSince); ls.Link || ls.AdminDown || downSince.Before(pulled.Add(-2*time.Second)) || downSince.After(time.Now()) {
				t.Errorf("ON-API after the pull = %s (pulled at %v)", on.body, pulled.UTC())
			}
			d.PeerUp(port)
			testkit.WaitUntil(t, interval+5*time.Second, id+" UP again", func() bool {
				_, l, _ := a.link(id)
				return l.Link == "UP"
			})
			if _, l, _ := a.link(id); !parseSince(t, l.Up.Since).After(upSince) {
				t.Errorf("UP again since %s, not later than %s", l.Up.Since, before.Up.Since)
			}

			// accessctl port: the flap, the history, freshness
			var rep store.PortReport
			if err := json.Unmarshal([]byte(a.ctl("-json", "port", id)), &rep); err != nil {
				t.Fatal(err)
			}
			if rep.Link != store.LinkUp || rep.Flaps.Hour != 1 || len(rep.History) < 3 || rep.SwitchStatus == nil || !rep.SwitchStatus.Reachable ||
				rep.Record == nil || rep.Record.IfIndex != d.IfIndex(port) {
				t.Errorf("accessctl port -json = %+v", rep)
			}
			human := a.ctl("port", id)
			for _, want := range []string{"link", "UP", "1 in the last hour", "history (newest first)", "fresh"} {
				if !strings.Contains(human, want) {
					t.Errorf("accessctl port lacks %q:\n%s", want, human)
				}
			}
			if st := a.ctl("status"); !strings.Contains(st, "1 polled, 0 unreachable") || !strings.Contains(st, "8 UP, 0 DOWN, 0 UNKNOWN") {
				t.Errorf("accessctl status:\n%s", st)
			}

			// the switch stops answering
			d.Stop()
			took = testkit.WaitUntil(t, interval+4*time.Second, "links unknown", func() bool {
				st, _, _ := a.link(id)
				return st == http.StatusServiceUnavailable
			})
			t.Logf("snmpd frozen: PI-API 503 after %v", took)
			r := a.get("/api/2.3/accesses/" + id + "/link")
			if !strings.Contains(r.body, "the access switch does not answer since") || r.header.Get("Retry-After") == "" {
				t.Errorf("unknown answer = %d %v %s", r.status, r.header, r.body)
			}
			if on := a.get("/onapi/2.6/tech/access/" + id + "/link/status"); on.status != http.StatusServiceUnavailable {
				t.Errorf("ON-API while frozen = %d %s", on.status, on.body)
			}
			if st := a.ctl("status"); !strings.Contains(st, "1 unreachable") {
				t.Errorf("accessctl status while frozen:\n%s", st)
			}
			d.Cont()
			testkit.WaitUntil(t, interval+5*time.Second, "links known again", func() bool {
				st, l, _ := a.link(id)
				return st == 200 && l.Link == "UP"
			})
		})
	}
}

// TestDaemonTrapWithin1s: with a poll interval of a minute, a linkDown
// trap (v2c) and a linkUp trap (v3 authPriv SHA-512/AES-256) sent with
// snmptrap to the daemon's listener show in the PI-API within 1 s.
func TestDaemonTrapWithin1s(t *testing.T) {
	testkit.SkipShort(t, slow)
	testkit.RequireCommands(t, "snmpd", "snmpget", "snmptrap", "ip")
	bin := testkit.Binaries(t).Dir
	d := lab.StartSnmpd(t, lab.SnmpdOptions{Ports: 4})
	trapAddr := fmt.Sprintf("127.0.0.1:%d", testkit.FreeUDPPort(t))
	a := startAccessd(t, bin, snmpSection(d, "60s", "community: public", trapAddr))
	ids := a.importPorts("adt-sw", d.Ports)
	port, id := d.Ports[2], ids[d.Ports[2]]
	testkit.WaitUntil(t, 15*time.Second, id+" UP", func() bool { _, l, _ := a.link(id); return l.Link == "UP" })

	send := func(args ...string) {
		t.Helper()
		cmd := exec.Command("snmptrap", args...)
		cmd.Env = append(os.Environ(), "MIBS=")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("snmptrap %v: %v\n%s", args, err, out)
		}
	}
	idx := strconv.Itoa(d.IfIndex(port))
	for _, tc := range []struct {
		name, kind, want, link string
		auth                   []string
		act                    func(string)
	}{
		{"v2c linkDown", ".1.3.6.1.6.3.1.1.5.3", "2", "DOWN", []string{"-v2c", "-c", "adt-traps"}, d.PeerDown},
		{"v3 linkUp", ".1.3.6.1.6.3.1.1.5.4", "1", "UP", []string{"-v3", "-e", "0x80000000010a0b0c0d", "-u", trapUser.User,
			"-a", "SHA-512", "-A", trapUser.AuthPass, "-x", "AES-256", "-X", trapUser.PrivPass, "-l", "authPriv"}, d.PeerUp},
	} {
		tc.act(port)
		// snmpd caches its ifTable (~3 s): the read the trap triggers can
		// only see the change once snmpd does, as on a switch sending it
		testkit.WaitUntil(t, 10*time.Second, "snmpd to show the change", func() bool { return d.Oper("public", port) == tc.want })
		sent := time.Now()
		send(append(tc.auth, trapAddr, "", tc.kind, ".1.3.6.1.2.1.2.2.1.1."+idx, "i", idx, ".1.3.6.1.2.1.2.2.1.8."+idx, "i", tc.want)...)
		testkit.WaitUntil(t, 3*time.Second, tc.name+" in the PI-API", func() bool {
			_, l, _ := a.link(id)
			return l.Link == tc.link
		})
		took := time.Since(sent) // from starting snmptrap to the answer
		t.Logf("%s: PI-API %s %v after snmptrap was started", tc.name, tc.link, took)
		if took > time.Second {
			t.Errorf("%s reflected after %v, want within 1 s", tc.name, took)
		}
		var rep store.PortReport
		json.Unmarshal([]byte(a.ctl("-json", "port", id)), &rep)
		if rep.Source != "trap" {
			t.Errorf("%s: source %q, want trap", tc.name, rep.Source)
		}
	}
	if n := a.metric("accessd_snmp_traps_received_total"); n != 2 {
		t.Errorf("traps received = %v, want 2", n)
	}
}

// TestDaemonInventoryAndReload: accesses imported while the daemon runs
// are polled within a cycle or two, a removed access's port is forgotten,
// and SIGHUP applies new switch credentials (a wrong community makes the
// links unknown; the right one brings them back).
func TestDaemonInventoryAndReload(t *testing.T) {
	testkit.SkipShort(t, slow)
	testkit.RequireCommands(t, "snmpd", "snmpget", "ip")
	bin := testkit.Binaries(t).Dir
	d := lab.StartSnmpd(t, lab.SnmpdOptions{Ports: 4})
	section := func(community string) string {
		return fmt.Sprintf("  interval: 2s\n  timeout: 300ms\n  retries: 0\n  switches:\n    - {address: \"%s\", name: adt-sw, community: %s}\n", d.Addr, community)
	}
	a := startAccessd(t, bin, section("public"))
	up := func(id string) bool { st, l, _ := a.link(id); return st == 200 && l.Link == "UP" }
	ids := a.importSome("adt-sw", d.Ports[:2], 0)
	testkit.WaitUntil(t, 10*time.Second, "the first two accesses UP", func() bool { return up(ids[d.Ports[0]]) && up(ids[d.Ports[1]]) })
	if n := a.metric("accessd_snmp_ports"); n != 2 {
		t.Errorf("ports polled = %v, want 2", n)
	}

	more := a.importSome("adt-sw", d.Ports[2:], 2)
	took := testkit.WaitUntil(t, 10*time.Second, "the accesses imported later UP", func() bool {
		return up(more[d.Ports[2]]) && up(more[d.Ports[3]])
	})
	t.Logf("imported while running: UP after %v", took)

	gone := ids[d.Ports[0]]
	a.ctl("remove", gone)
	testkit.WaitUntil(t, 10*time.Second, "the removed access's port no longer polled", func() bool {
		return a.metric("accessd_snmp_ports") == 3
	})
	if r := a.get("/api/2.3/accesses/" + gone + "/link"); r.status != http.StatusNotFound {
		t.Errorf("link of a removed access = %d %s", r.status, r.body)
	}

	a.reload(section("wrong-community"))
	id := ids[d.Ports[1]]
	testkit.WaitUntil(t, 10*time.Second, "links unknown with a wrong community", func() bool {
		st, _, _ := a.link(id)
		return st == http.StatusServiceUnavailable
	})
	a.reload(section("public"))
	testkit.WaitUntil(t, 10*time.Second, "links known again", func() bool { return up(id) })
	if sw := a.ctl("switches"); !strings.Contains(sw, d.Addr) || !strings.Contains(sw, "up") {
		t.Errorf("accessctl switches:\n%s", sw)
	}
}
