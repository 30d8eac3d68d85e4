package poller

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/stadsnat/accessd/snmp/client/fakeagent"
	"github.com/stadsnat/accessd/snmp/ifmib"
	"github.com/stadsnat/accessd/snmp/portmatch"
)

const swAddr = "10.9.0.1:161"

// TestFirstCycleFromRecordedSnmpd polls an agent that serves the walk
// recorded from the real snmpd and checks every wanted port's state, then
// that an idle cycle is a single packet and changes nothing.
func TestFirstCycleFromRecordedSnmpd(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		t0 := time.Now()
		net := fakeagent.NewNetwork()
		agent := loadAgent(t, "snmpd-4ports.walk")
		net.Add(swAddr, agent)
		rec := &recorder{}
		reg := prometheus.NewRegistry()
		p, err := New(rec, testOptions(net, reg))
		if err != nil {
			t.Fatal(err)
		}
		if err := p.SetSwitches([]Switch{{Address: "10.9.0.1", Group: "lab", Credentials: v2c(),
			Ports: []string{"adtx0", "adtx1", "adtx2", "adtx3", "ge-0/0/99"}}}); err != nil {
			t.Fatal(err)
		}
		defer start(t, p)()
		<-p.Ready()

		sec := func(ticks int) time.Time { return t0.Add(-time.Duration(ticks) * 10 * time.Millisecond) }
		base := PortState{Switch: swAddr, Group: "lab", MatchedBy: portmatch.ByName, Admin: ifmib.AdminUp,
			SinceExact: true, PolledAt: t0, Source: SourcePoll, Reachable: true}
		port := func(name string, idx int, oper ifmib.OperStatus, mbps uint64, since time.Time, f func(*PortState)) PortState {
			s := base
			s.Port, s.IfIndex, s.Oper, s.Link, s.SpeedMbps, s.Since = name, idx, oper, oper.Link(), mbps, since
			if f != nil {
				f(&s)
			}
			return s
		}
		want := map[string]PortState{
			"adtx0": port("adtx0", 5, ifmib.OperUp, 1000, sec(3178-1204), nil),
			"adtx1": port("adtx1", 6, ifmib.OperUp, 10000, sec(3178-304), nil),
			"adtx2": port("adtx2", 7, ifmib.OperDown, 10000, sec(3178-2105), nil),
			"adtx3": port("adtx3", 8, ifmib.OperDown, 10000, sec(3178-2105), func(s *PortState) { s.Admin = ifmib.AdminDown }),
			"ge-0/0/99": {Switch: swAddr, Group: "lab", Port: "ge-0/0/99", Link: ifmib.LinkUnknown, Since: t0, SinceExact: true,
				PolledAt: t0, Source: SourcePoll, Reachable: true, Problem: `port "ge-0/0/99": no interface has this name`},
		}
		us := rec.take()
		if diff := cmp.Diff(want, changedPorts(us)); diff != "" {
			t.Errorf("first cycle ports (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(map[string]LinkCount{swAddr: {Up: 2, Down: 2, Unknown: 1}}, p.LinkCounts()); diff != "" {
			t.Errorf("link counts after the first cycle (-want +got):\n%s", diff)
		}
		if got := us[len(us)-1].sw; !got.Reachable || !got.LastCycleFull || got.Boot != sec(3178) {
			t.Errorf("switch after first cycle = %+v", got)
		}

		// Idle cycles: one packet each, nothing changed.
		agent.Requests()
		for range 3 {
			time.Sleep(10 * time.Second)
			synctest.Wait()
		}
		us = rec.take()
		if len(us) != 3 {
			t.Fatalf("got %d updates in 3 intervals, want 3", len(us))
		}
		for _, u := range us {
			if len(u.changed) != 0 || u.sw.LastCyclePackets != 1 || u.sw.LastCycleFull {
				t.Errorf("idle cycle: %d changed, %d packets, full %v; want 0, 1, false", len(u.changed), u.sw.LastCyclePackets, u.sw.LastCycleFull)
			}
		}
		reqs := agent.Requests()
		if len(reqs) != 3 || reqs[0].Op != "getbulk" || reqs[0].NonRepeaters != 2 {
			t.Errorf("idle requests = %+v, want 3 getbulk with 2 non-repeaters", reqs)
		}
		// the snapshot is the same as the sink's view
		if got, ok := p.Port("10.9.0.1", "adtx1"); !ok || got.Link != ifmib.LinkUp || !got.PolledAt.After(t0) {
			t.Errorf("Port(adtx1) = %+v, %v", got, ok)
		}
		if got := gather(t, reg, "accessd_snmp_ports", map[string]string{"link": "DOWN"}); got != 2 {
			t.Errorf("accessd_snmp_ports{link=DOWN} = %v, want 2", got)
		}
		if got := gather(t, reg, "accessd_snmp_requests_total", map[string]string{"group": "lab"}); got < 4 {
			t.Errorf("accessd_snmp_requests_total = %v, want ≥ 4", got)
		}
		if got := gather(t, reg, "accessd_snmp_poll_duration_seconds", map[string]string{"group": "lab"}); got != 4 {
			t.Errorf("poll duration samples = %v, want 4", got)
		}
	})
}

// TestChangeReadsOnlyThatRow: a port going down moves its ifLastChange;
// the next cycle reads that row only and reports DOWN since the change.
func TestChangeReadsOnlyThatRow(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		net := fakeagent.NewNetwork()
		agent := synthAgent(48, 0)
		net.Add(swAddr, agent)
		p, rec := newPoller(t, net, nil)
		p.SetSwitches([]Switch{{Address: swAddr, Credentials: v2c(), Ports: names(48)}})
		defer start(t, p)()
		<-p.Ready()
		rec.take()

		time.Sleep(3 * time.Second)
		changeAt := time.Now()
		agent.SetOper(7, ifmib.OperDown)
		agent.Requests()
		time.Sleep(7 * time.Second)
		synctest.Wait()

		us := rec.take()
		got := changedPorts(us)
		if len(got) != 1 || got["p7"].Link != ifmib.LinkDown || !got["p7"].Since.Equal(changeAt) || !got["p7"].SinceExact {
			t.Fatalf("changed = %+v, want p7 DOWN since %v", got, changeAt)
		}
		reqs := agent.Requests()
		if len(reqs) != 2 || reqs[1].Op != "get" || len(reqs[1].OIDs) != 1+len(ifmib.StateColumns()) {
			t.Errorf("requests = %+v, want one getbulk and one get of one row", reqs)
		}
		if us[0].sw.LastCyclePackets != 2 {
			t.Errorf("packets = %d, want 2", us[0].sw.LastCyclePackets)
		}
	})
}

// TestAgentRestartKeepsSince: an agent restart (sysUpTime back to 0, all
// ifLastChange 0) is not "every port changed now": unchanged ports keep
// their since; a port that did change gets the restart time (inexact);
// renumbered ifIndexes are found again by name.
func TestAgentRestartKeepsSince(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		net := fakeagent.NewNetwork()
		agent := synthAgent(4, 0)
		net.Add(swAddr, agent)
		p, rec := newPoller(t, net, nil)
		p.SetSwitches([]Switch{{Address: swAddr, Credentials: v2c(), Ports: names(4)}})
		defer start(t, p)()
		<-p.Ready()
		before := changedPorts(rec.take())

		time.Sleep(5 * time.Second)
		restartAt := time.Now()
		agent.Restart(nil)
		agent.Set(ifmib.Varbind{OID: ifmib.ColOper.Instance(2), Type: ifmib.TypeInteger, Int: 2}) // p2 came back down
		time.Sleep(5 * time.Second)
		synctest.Wait()
		us := rec.take()
		got := changedPorts(us)
		want := before["p2"]
		want.Oper, want.Link, want.Since, want.SinceExact, want.PolledAt = ifmib.OperDown, ifmib.LinkDown, restartAt, false, time.Now()
		if diff := cmp.Diff(map[string]PortState{"p2": want}, got); diff != "" {
			t.Errorf("after restart (-want +got):\n%s", diff)
		}
		if sw := us[len(us)-1].sw; sw.Restarts != 1 || !sw.LastCycleFull || !sw.Boot.Equal(restartAt) {
			t.Errorf("switch = %+v, want 1 restart, a full cycle, boot %v", sw, restartAt)
		}

		// Restart again with new ifIndexes: ports found by name, since kept.
		time.Sleep(5 * time.Second)
		agent.Restart(func(i int) int { return i + 1000 })
		time.Sleep(5 * time.Second)
		synctest.Wait()
		got = changedPorts(rec.take())
		for _, name := range []string{"p1", "p3", "p4"} {
			g := got[name]
			if g.IfIndex != before[name].IfIndex+1000 || !g.Since.Equal(before[name].Since) || g.Link != ifmib.LinkUp {
				t.Errorf("%s after renumbering = %+v, want ifIndex %d since %v", name, g, before[name].IfIndex+1000, before[name].Since)
			}
		}
	})
}

// TestTimeTicksWrap: sysUpTime passing 2³² is not a restart, and a change
// before the wrap keeps its exact since after it.
func TestTimeTicksWrap(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		net := fakeagent.NewNetwork()
		agent := synthAgent(2, 0)
		agent.SetUptime(1<<32 - 2500) // 25 s before the wrap
		net.Add(swAddr, agent)
		p, rec := newPoller(t, net, nil)
		p.SetSwitches([]Switch{{Address: swAddr, Credentials: v2c(), Ports: names(2)}})
		defer start(t, p)()
		<-p.Ready()
		rec.take()
		time.Sleep(5 * time.Second)
		changeAt := time.Now()
		agent.SetOper(1, ifmib.OperDown) // ifLastChange = 2³² − 2000
		time.Sleep(5 * time.Second)      // polled before the wrap
		synctest.Wait()
		if got := changedPorts(rec.take())["p1"]; got.Link != ifmib.LinkDown || !got.Since.Equal(changeAt) {
			t.Fatalf("p1 before wrap = %+v", got)
		}
		for range 3 { // across the wrap
			time.Sleep(10 * time.Second)
			synctest.Wait()
		}
		us := rec.take()
		for _, u := range us {
			if len(u.changed) != 0 || u.sw.Restarts != 0 {
				t.Errorf("across the wrap: changed %+v, restarts %d", u.changed, u.sw.Restarts)
			}
		}
		if got, _ := p.Port(swAddr, "p1"); !got.Since.Equal(changeAt) || !got.SinceExact {
			t.Errorf("p1 after wrap = %+v, want since %v", got, changeAt)
		}
		// a full refresh after the wrap: the pre-wrap ifLastChange is > sysUpTime
		if err := p.PollNow(t.Context(), true); err != nil {
			t.Fatal(err)
		}
		if got, _ := p.Port(swAddr, "p1"); !got.Since.Equal(changeAt) || !got.SinceExact {
			t.Errorf("p1 after full refresh past the wrap = %+v, want since %v exact", got, changeAt)
		}
		if got := rec.take(); len(changedPorts(got)) != 0 {
			t.Errorf("full refresh past the wrap changed %v", changedPorts(got))
		}
	})
}

// TestUnreachableTurnsUnknown: a switch that stops answering turns its
// ports UNKNOWN since the start of the failed cycle, never a stale UP;
// when it answers again they come back with their real since.
func TestUnreachableTurnsUnknown(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		net := fakeagent.NewNetwork()
		agent := synthAgent(3, 0)
		net.Add(swAddr, agent)
		reg := prometheus.NewRegistry()
		p, rec := newPoller(t, net, reg)
		p.SetSwitches([]Switch{{Address: swAddr, Credentials: v2c(), Ports: names(3)}})
		defer start(t, p)()
		<-p.Ready()
		before := changedPorts(rec.take())

		agent.SetDown(true)
		time.Sleep(10 * time.Second)
		failAt := time.Now()
		time.Sleep(5 * time.Second) // 1 s timeout × 2 tries
		synctest.Wait()
		us := rec.take()
		got := changedPorts(us)
		if len(got) != 3 {
			t.Fatalf("changed %d ports, want 3", len(got))
		}
		for name, st := range got {
			want := PortState{Switch: swAddr, Group: "default", Port: name, IfIndex: before[name].IfIndex, MatchedBy: portmatch.ByName,
				Link: ifmib.LinkUnknown, Since: failAt, SinceExact: true, PolledAt: failAt, Source: SourcePoll}
			if diff := cmp.Diff(want, st); diff != "" {
				t.Errorf("%s unreachable (-want +got):\n%s", name, diff)
			}
		}
		sw := us[len(us)-1].sw
		if sw.Reachable || !sw.UnreachableSince.Equal(failAt) || sw.Err == "" {
			t.Errorf("switch = %+v", sw)
		}
		if got := gather(t, reg, "accessd_snmp_switches_unreachable", nil); got != 1 {
			t.Errorf("switches_unreachable = %v, want 1", got)
		}
		// the walk timed out, then the probe that tells "down" from "drops
		// big responses": two timeouts, each after one retry
		if got := gather(t, reg, "accessd_snmp_timeouts_total", nil); got != 2 {
			t.Errorf("timeouts_total = %v, want 2", got)
		}
		if got := gather(t, reg, "accessd_snmp_retries_total", nil); got != 2 {
			t.Errorf("retries_total = %v, want 2", got)
		}

		// a second failed cycle keeps the outage's start
		time.Sleep(10 * time.Second)
		synctest.Wait()
		if got := changedPorts(rec.take()); len(got) != 0 {
			t.Errorf("second failed cycle changed %v", got)
		}

		agent.SetDown(false)
		time.Sleep(10 * time.Second)
		synctest.Wait()
		got = changedPorts(rec.take())
		for name, st := range got {
			if st.Link != ifmib.LinkUp || !st.Reachable || !st.Since.Equal(before[name].Since) {
				t.Errorf("%s back = %+v, want UP since %v", name, st, before[name].Since)
			}
		}
		if len(got) != 3 {
			t.Errorf("back: %d ports changed, want 3", len(got))
		}
		// a failed cycle drops its session: the first, one per failed cycle
		if net.Dials() != 3 {
			t.Errorf("dials = %d, want 3 (a new session after each failed cycle)", net.Dials())
		}
	})
}

// TestReadyWhenUnreachable: readiness does not wait for switches that do
// not answer beyond their first (failed) cycle.
func TestReadyWhenUnreachable(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		net := fakeagent.NewNetwork() // nothing answers
		p, _ := newPoller(t, net, nil)
		p.SetSwitches([]Switch{{Address: "10.9.0.7", Credentials: v2c(), Ports: []string{"x"}}})
		defer start(t, p)()
		t0 := time.Now()
		<-p.Ready()
		if d := time.Since(t0); d != 2*time.Second {
			t.Errorf("ready after %v, want 2s (timeout 1s, 1 retry)", d)
		}
		if got, ok := p.Port("10.9.0.7", "x"); !ok || got.Link != ifmib.LinkUnknown || got.Reachable {
			t.Errorf("port = %+v, %v", got, ok)
		}
	})
}

// TestNoSwitchesReady: with nothing to poll, Run is ready at once.
func TestNoSwitchesReady(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p, _ := newPoller(t, fakeagent.NewNetwork(), nil)
		defer start(t, p)()
		<-p.Ready()
	})
}

var ignoreTimes = cmpopts.IgnoreFields(PortState{}, "PolledAt", "Since")
