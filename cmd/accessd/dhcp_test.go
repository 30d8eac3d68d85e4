package main_test

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stadsnat/accessd/internal/testkit"
)

// TestDHCPSurvivesSIGKILL streams relayed DHCP at the real daemon over
// loopback with cmd/dhcpload, asks it what its store holds (every binding
// in that answer was committed and fsynced, by commit N), kills it with
// SIGKILL while the stream goes on, restarts it, and checks that the store
// opens and still holds every one of those bindings, at commit ≥ N.
func TestDHCPSurvivesSIGKILL(t *testing.T) {
	testkit.SkipShort(t, "builds and runs the binaries")
	dir := t.TempDir()
	bins := testkit.Binaries(t)
	port := testkit.FreeUDPPort(t)
	d := newDHCPD(t, filepath.Join(dir, "d"), bins.Accessd, bins.Accessctl, testkit.FreeTCPAddr(t),
		fmt.Sprintf("  relay: {listen: \"127.0.0.1:%d\", allowed_sources: [127.0.0.1/32]}\n", port))
	d.start()
	inv := filepath.Join(dir, "inventory.csv")
	loadInventory(t, inv, 4, 48)
	if out, err := d.ctlRun("import", inv); err != nil {
		t.Fatalf("%v %s", err, out)
	}

	testkit.StartProcess(t, bins.Dhcpload, "-target", "127.0.0.1:"+strconv.Itoa(port), "-rate", "20000", "-duration", "60s",
		"-clients", "200000", "-switches", "5", "-ports", "48", "-mix", "0.7")

	// Kill it mid-stream once it has committed enough to prove
	// something: after 2 s, or later where the machine or the race
	// detector is slow (a race build at load 10 made 6 group commits in
	// 17 s, another 9 in 35 s; the load runs 60 s).
	time.Sleep(2 * time.Second)
	before := d.committed()
	for end := time.Now().Add(53 * time.Second); (len(before.Bindings) < 1000 || before.CommitSeq < 10) && time.Now().Before(end); {
		time.Sleep(200 * time.Millisecond)
		before = d.committed()
	}
	d.sigkill()
	killedAt := time.Now()
	if len(before.Bindings) < 1000 || before.CommitSeq < 10 {
		t.Fatalf("only %d bindings in %d commits after 55 s of load: the test would prove little", len(before.Bindings), before.CommitSeq)
	}
	active := 0
	for _, b := range before.Bindings {
		if b.Access != "" {
			active++
		}
	}
	if active == 0 {
		t.Error("no committed binding has an access: the inventory did not match the generated circuits")
	}
	time.Sleep(500 * time.Millisecond) // the stream goes on into a dead socket

	d.start()
	after := d.committed()
	checkSurvived(t, before, after)
	t.Logf("%d bindings (commit %d) were committed when SIGKILL came; after the restart the store holds %d (commit %d); restart took %v",
		len(before.Bindings), before.CommitSeq, len(after.Bindings), after.CommitSeq, time.Since(killedAt).Round(time.Millisecond))
	if !strings.Contains(d.proc.Log(), "DHCP bindings loaded") {
		t.Error("the restarted daemon did not log loading its bindings")
	}
	// The restarted daemon answers from what it loaded.
	var res struct {
		Access   string
		Bindings []struct{ MAC, IP string }
	}
	b := before.Bindings[len(before.Bindings)/2]
	if err := d.ctlJSON(&res, "lookup", "mac", b.MAC); err != nil || len(res.Bindings) != 1 || res.Bindings[0].IP != b.IP {
		t.Errorf("lookup mac %s after the restart: %+v, %v", b.MAC, res, err)
	}
}

// Under systemd-socket-activate -d, accessd reads relay copies from the
// passed datagram socket named "dhcp4" and ignores dhcp.relay.listen.
func TestDHCPSocketActivated(t *testing.T) {
	testkit.SkipShort(t, "builds and runs the daemon")
	testkit.RequireCommands(t, "systemd-socket-activate")
	dir := t.TempDir()
	bins := testkit.Binaries(t)
	activated, configured := testkit.FreeUDPPort(t), testkit.FreeUDPPort(t)
	d := newDHCPD(t, filepath.Join(dir, "d"), bins.Accessd, bins.Accessctl, testkit.FreeTCPAddr(t),
		fmt.Sprintf("  relay: {listen: \"127.0.0.1:%d\", allowed_sources: [127.0.0.1/32]}\n", configured),
		"systemd-socket-activate", "-d", "-l", fmt.Sprintf("127.0.0.1:%d", activated), "--fdname=dhcp4")
	// systemd-socket-activate binds the socket, then starts the service
	// (execs accessd, keeping its PID) on the first datagram: the packets
	// wait in the socket meanwhile. Sending before the socket is bound
	// loses them, so wait until the process holds it.
	d.spawn()
	testkit.WaitUntil(t, 10*time.Second, "systemd-socket-activate to bind the datagram socket", func() bool {
		bound, err := testkit.UDPBound(d.proc.Pid(), activated)
		if err != nil {
			t.Fatalf("reading systemd-socket-activate's sockets: %v", err)
		}
		return bound
	})
	out, err := exec.Command(bins.Dhcpload, "-target", fmt.Sprintf("127.0.0.1:%d", activated), "-count", "100", "-rate", "1000",
		"-clients", "50", "-mix", "1").CombinedOutput()
	if err != nil {
		t.Fatalf("dhcpload: %v\n%s", err, out)
	}
	d.waitReady()
	var st struct {
		Sections []struct {
			Title string
			Rows  [][2]string
		}
	}
	testkit.WaitUntil(t, 10*time.Second, "50 bindings from the activated socket", func() bool {
		st.Sections = nil
		if err := d.ctlJSON(&st, "status"); err != nil {
			return false
		}
		for _, s := range st.Sections {
			for _, r := range s.Rows {
				if s.Title == "dhcp" && r[0] == "bindings" && strings.HasPrefix(r[1], "50 ") {
					return true
				}
			}
		}
		return false
	})
	for _, s := range st.Sections {
		for _, r := range s.Rows {
			if s.Title == "dhcp" && r[0] == "relay listener" && r[1] != fmt.Sprintf("127.0.0.1:%d", activated) {
				t.Errorf("relay listener %q, want only the activated socket 127.0.0.1:%d", r[1], activated)
			}
		}
	}
}

// The accessctl verbs print what the daemon learnt: bindings of an
// access, history of an IP, unknown circuits, events, and look-ups of a
// circuit and of an Option 82.
func TestDHCPAccessctl(t *testing.T) {
	testkit.SkipShort(t, "builds and runs the binaries")
	dir := t.TempDir()
	bins := testkit.Binaries(t)
	port := testkit.FreeUDPPort(t)
	d := newDHCPD(t, filepath.Join(dir, "d"), bins.Accessd, bins.Accessctl, testkit.FreeTCPAddr(t),
		fmt.Sprintf("  relay: {listen: \"127.0.0.1:%d\", allowed_sources: [127.0.0.1/32]}\n", port))
	d.start()
	inv := filepath.Join(dir, "inventory.csv")
	loadInventory(t, inv, 1, 4) // 10.0.0.1 ge-0/0/1 … ge-0/0/4
	if out, err := d.ctlRun("import", inv); err != nil {
		t.Fatalf("%v %s", err, out)
	}
	// Client i sits on port i mod 6 + 1: ports 5 and 6 are not in the
	// inventory.
	out, err := exec.Command(bins.Dhcpload, "-target", fmt.Sprintf("127.0.0.1:%d", port), "-count", "12", "-rate", "1000",
		"-clients", "12", "-switches", "1", "-ports", "6", "-mix", "1").CombinedOutput()
	if err != nil {
		t.Fatalf("dhcpload: %v\n%s", err, out)
	}
	// Client 0: MAC 02:00:00:00:00:00, IP 10.64.0.0, port 1 (LD001001).
	testkit.WaitUntil(t, 10*time.Second, "the bindings", func() bool {
		out, err := d.ctlRun("bindings", "LD001001")
		return err == nil && strings.Contains(out, "10.64.0.6")
	})
	for _, c := range []struct {
		args []string
		want []string
	}{
		{[]string{"bindings", "LD001001"}, []string{"last option 82  52140108", "02:00:00:00:00:00  10.64.0.0  tentative  LD001001  10.0.0.1 ge-0/0/1", "10.64.0.6"}},
		{[]string{"lookup", "ip", "10.64.0.1"}, []string{"access  LD001002", "02:00:00:00:00:01"}},
		{[]string{"lookup", "mac", "02:00:00:00:00:03"}, []string{"access  LD001004", "10.64.0.3"}},
		{[]string{"lookup", "circuit", "10.0.0.1 ge-0/0/2"}, []string{"access  LD001002", "the access whose Option82 text is the key", "10.64.0.7"}},
		{[]string{"lookup", "circuit", "10.0.0.1 ge-0/0/5"}, []string{"access  none", "no access has this circuit", "listed as an unknown circuit", "10.64.0.4"}},
		{[]string{"lookup", "option82", "521401086765" + "2D302F302F31020831302E302E302E31"}, []string{"access  LD001001", "PROFILE", "10.0.0.1 ge-0/0/1"}},
		{[]string{"circuits", "--unknown"}, []string{"10.0.0.1 ge-0/0/5  no access  2", "10.0.0.1 ge-0/0/6  no access  2", "02:00:00:00:00:0b"}},
		{[]string{"history", "ip", "10.64.0.2"}, []string{"now (active)", "02:00:00:00:00:02", "LD001003"}},
		{[]string{"history", "ip", "10.64.0.2", "--at", "2000-01-01 00:00"}, []string{"no client held 10.64.0.2 at 2000-01-01 00:00:00"}},
		{[]string{"events"}, []string{"no events"}},
	} {
		out, err := d.ctlRun(c.args...)
		if err != nil {
			t.Errorf("accessctl %v: %v", c.args, err)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(out, w) {
				t.Errorf("accessctl %v lacks %q:\n%s", c.args, w, out)
			}
		}
	}
	for _, args := range [][]string{{"lookup", "ip", "10.99.0.1"}, {"lookup", "mac", "02:00:00:00:99:99"}, {"bindings", "NOSUCH"}} {
		if out, err := d.ctlRun(args...); err == nil {
			t.Errorf("accessctl %v succeeded:\n%s", args, out)
		}
	}
}
