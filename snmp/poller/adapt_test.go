package poller

import (
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/stadsnat/accessd/snmp/client"
	"github.com/stadsnat/accessd/snmp/client/fakeagent"
	"github.com/stadsnat/accessd/snmp/ifmib"
	"github.com/stadsnat/accessd/snmp/portmatch"
)

// TestMaxRepetitionsShrinksOnTooBig: an agent that answers tooBig above
// 20 varbinds makes the budget shrink under it, the walk still completes,
// and the smaller size is remembered (no more tooBig afterwards).
func TestMaxRepetitionsShrinksOnTooBig(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		net := fakeagent.NewNetwork()
		agent := synthAgent(48, 0)
		agent.LimitResponse(20, 0)
		net.Add(swAddr, agent)
		reg := prometheus.NewRegistry()
		p, rec := newPoller(t, net, reg)
		p.SetSwitches([]Switch{{Address: swAddr, Group: "g", Credentials: v2c(), Ports: names(48)}})
		defer start(t, p)()
		<-p.Ready()
		us := rec.take()
		if got := changedPorts(us); len(got) != 48 || got["p48"].Link != ifmib.LinkUp {
			t.Fatalf("first cycle: %d ports, p48 = %+v", len(got), got["p48"])
		}
		sw := us[len(us)-1].sw
		if sw.MaxRepetitions > 19 || !sw.Reachable {
			t.Errorf("budget after tooBig = %d (reachable %v), want ≤ 19", sw.MaxRepetitions, sw.Reachable)
		}
		tooBig := gather(t, reg, "accessd_snmp_toobig_total", map[string]string{"group": "g"})
		if tooBig == 0 {
			t.Error("no tooBig counted")
		}
		for range 3 {
			time.Sleep(10 * time.Second)
			synctest.Wait()
		}
		if got := gather(t, reg, "accessd_snmp_toobig_total", map[string]string{"group": "g"}); got != tooBig {
			t.Errorf("tooBig went on: %v after the first cycle's %v", got, tooBig)
		}
		for _, u := range rec.take() {
			if len(u.changed) != 0 || !u.sw.Reachable || u.sw.MaxRepetitions > 19 {
				t.Errorf("later cycle: %+v", u.sw)
			}
		}
	})
}

// TestMaxRepetitionsShrinksOnSilence: an agent that silently drops
// responses over 30 varbinds (a timeout) but answers small requests is
// probed, the budget shrinks, and the switch stays reachable.
func TestMaxRepetitionsShrinksOnSilence(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		net := fakeagent.NewNetwork()
		agent := synthAgent(48, 0)
		agent.LimitResponse(0, 30)
		net.Add(swAddr, agent)
		p, rec := newPoller(t, net, nil)
		p.SetSwitches([]Switch{{Address: swAddr, Credentials: v2c(), Ports: names(48)}})
		defer start(t, p)()
		<-p.Ready()
		us := rec.take()
		sw := us[len(us)-1].sw
		if !sw.Reachable || sw.MaxRepetitions > 30 || len(changedPorts(us)) != 48 {
			t.Fatalf("after silent drops: %+v, %d ports", sw, len(changedPorts(us)))
		}
		time.Sleep(10 * time.Second)
		synctest.Wait()
		for _, u := range rec.take() {
			if !u.sw.Reachable || len(u.changed) != 0 {
				t.Errorf("next cycle: %+v changed %d", u.sw, len(u.changed))
			}
		}
	})
}

// TestMaxRepetitionsGrowsAndLongTables: a switch with 300 interfaces and a
// small starting budget: the walk continues from the last OID over many
// requests, finds a port at the end of the table, and the budget grows so
// that an idle cycle is again a single packet.
func TestMaxRepetitionsGrowsAndLongTables(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		net := fakeagent.NewNetwork()
		agent := synthAgent(300, 10000)
		net.Add(swAddr, agent)
		rec := &recorder{}
		o := testOptions(net, nil)
		o.MaxRepetitions = 16
		o.MaxRepetitionsLimit = 4096
		p, err := New(rec, o)
		if err != nil {
			t.Fatal(err)
		}
		p.SetSwitches([]Switch{{Address: swAddr, Credentials: v2c(), Ports: []string{"p1", "p299"}}})
		defer start(t, p)()
		<-p.Ready()
		us := rec.take()
		got := changedPorts(us)
		if got["p299"].IfIndex != 10299 || got["p299"].Link != ifmib.LinkUp {
			t.Fatalf("p299 = %+v", got["p299"])
		}
		first := us[len(us)-1].sw
		if first.LastCyclePackets < 10 {
			t.Errorf("first full walk took %d packets with budget 16 for 300×8 cells", first.LastCyclePackets)
		}
		if first.MaxRepetitions < 302*8 {
			t.Errorf("budget after a fast multi-request walk = %d, want ≥ %d", first.MaxRepetitions, 302*8)
		}
		time.Sleep(10 * time.Second)
		synctest.Wait()
		us = rec.take()
		if sw := us[len(us)-1].sw; sw.LastCyclePackets != 1 {
			t.Errorf("idle cycle after growing: %d packets, want 1", sw.LastCyclePackets)
		}
	})
}

// TestTrapTriggersImmediateGet: LinkTrap makes the switch's goroutine read
// that row at once (one GET, no walk), reported with source trap; unknown
// senders are refused.
func TestTrapTriggersImmediateGet(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		net := fakeagent.NewNetwork()
		agent := synthAgent(8, 0)
		net.Add(swAddr, agent)
		p, rec := newPoller(t, net, nil)
		p.SetSwitches([]Switch{{Address: "10.9.0.1", Credentials: v2c(), Ports: names(8)}})
		defer start(t, p)()
		<-p.Ready()
		rec.take()
		agent.Requests()

		time.Sleep(2 * time.Second)
		agent.SetOper(3, ifmib.OperDown)
		at := time.Now()
		if !p.LinkTrap(mustAddr(t, "10.9.0.1"), 3) {
			t.Fatal("LinkTrap refused a known switch")
		}
		synctest.Wait()
		got := changedPorts(rec.take())
		if st := got["p3"]; len(got) != 1 || st.Link != ifmib.LinkDown || st.Source != SourceTrap || !st.Since.Equal(at) || !st.PolledAt.Equal(at) {
			t.Fatalf("after trap: %+v", got)
		}
		reqs := agent.Requests()
		if len(reqs) != 1 || reqs[0].Op != "get" {
			t.Errorf("requests after trap = %+v, want one get", reqs)
		}
		// the poll confirms; an unchanged state keeps source trap
		time.Sleep(8 * time.Second)
		synctest.Wait()
		if got := changedPorts(rec.take()); len(got) != 0 {
			t.Errorf("poll after trap changed %+v", got)
		}
		if st, _ := p.Port(swAddr, "p3"); st.Source != SourceTrap || st.Link != ifmib.LinkDown {
			t.Errorf("p3 after poll = %+v", st)
		}
		if p.LinkTrap(mustAddr(t, "10.9.9.9"), 3) {
			t.Error("LinkTrap accepted an unknown switch")
		}
		// a trap for an ifIndex that is no wanted port reads nothing
		agent.Requests()
		p.LinkTrap(mustAddr(t, "10.9.0.1"), 77)
		synctest.Wait()
		if reqs := agent.Requests(); len(reqs) != 0 {
			t.Errorf("trap for an unwanted port sent %+v", reqs)
		}
	})
}

// TestSetSwitchesReload: switches added, removed (ports reported Removed
// once), ports added (polled at once), credentials changed (a new session
// after the old one closed).
func TestSetSwitchesReload(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		net := fakeagent.NewNetwork()
		a1, a2 := synthAgent(4, 0), synthAgent(4, 0)
		net.Add("10.9.0.1:161", a1)
		net.Add("10.9.0.2:161", a2)
		p, rec := newPoller(t, net, nil)
		rw, err := portmatch.NewRewrite(`port(\d+)`, `p$1`)
		if err != nil {
			t.Fatal(err)
		}
		p.SetSwitches([]Switch{{Address: "10.9.0.1", Credentials: v2c(), Ports: []string{"p1"}}})
		defer start(t, p)()
		<-p.Ready()
		rec.take()

		err = p.SetSwitches([]Switch{
			{Address: "10.9.0.1", Credentials: v2c(), Ports: []string{"p1", "port2"}, Rewrites: []portmatch.Rewrite{rw}},
			{Address: "10.9.0.2:161", Credentials: v2c(), Ports: []string{"p4"}},
		})
		if err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		got := changedPorts(rec.take())
		if got["port2"].IfIndex != 2 || got["p4"].Link != ifmib.LinkUp || len(got) != 2 {
			t.Errorf("after adding: %+v", got)
		}

		p.SetSwitches([]Switch{{Address: "10.9.0.2", Credentials: client.Credentials{Community: "other"}, Ports: []string{"p4"}}})
		synctest.Wait()
		us := rec.take()
		removed := map[string]bool{}
		for _, u := range us {
			for _, c := range u.changed {
				if c.Removed {
					removed[c.Switch+" "+c.Port] = true
				}
			}
		}
		if !removed["10.9.0.1:161 p1"] || !removed["10.9.0.1:161 port2"] || len(removed) != 2 {
			t.Errorf("removed = %v", removed)
		}
		if sws := p.Switches(); len(sws) != 1 || sws[0].Switch != "10.9.0.2:161" {
			t.Errorf("switches after removal = %+v", sws)
		}
		if net.Dials() != 3 {
			t.Errorf("dials = %d, want 3 (a new session for new credentials)", net.Dials())
		}
		if err := p.SetSwitches([]Switch{{Address: "10.9.0.2"}, {Address: "10.9.0.3", Credentials: v2c()}}); err == nil {
			t.Error("SetSwitches accepted a switch without credentials")
		}
		if err := p.SetSwitches([]Switch{{Address: "10.9.0.2", Credentials: v2c()}, {Address: "10.9.0.2:161", Credentials: v2c()}}); err == nil {
			t.Error("SetSwitches accepted a switch twice")
		}
		if sws := p.Switches(); len(sws) != 1 {
			t.Errorf("a refused SetSwitches changed the set: %+v", sws)
		}
	})
}

// TestConcurrencyBound: 8 switches answering in 0.5 s, concurrency 2: the
// first round takes 4 s and never more than 2 requests run at once.
func TestConcurrencyBound(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		net := fakeagent.NewNetwork()
		var sws []Switch
		for i := range 8 {
			a := synthAgent(2, 0)
			a.SetLatency(500 * time.Millisecond)
			addr := "10.9.1." + itoa(i+1) + ":161"
			net.Add(addr, a)
			sws = append(sws, Switch{Address: addr, Credentials: v2c(), Ports: names(2)})
		}
		var mu sync.Mutex
		running, maxRunning := 0, 0
		counting := client.DialerFunc(func(ctx contextT, tg client.Target) (client.Client, error) {
			c, err := net.Dial(ctx, tg)
			if err != nil {
				return nil, err
			}
			return countingClient{Client: c, enter: func() {
				mu.Lock()
				running++
				maxRunning = max(maxRunning, running)
				mu.Unlock()
			}, leave: func() {
				mu.Lock()
				running--
				mu.Unlock()
			}}, nil
		})
		o := testOptions(counting, nil)
		o.Concurrency = 2
		p, err := New(&recorder{}, o)
		if err != nil {
			t.Fatal(err)
		}
		p.SetSwitches(sws)
		defer start(t, p)()
		t0 := time.Now()
		<-p.Ready()
		// each first cycle: the probe GET and one full-walk GETBULK of
		// 0.5 s each = 1 s; 8 switches, 2 at a time: 4 s
		if d := time.Since(t0); d != 4*time.Second {
			t.Errorf("first round took %v, want 4s", d)
		}
		if maxRunning != 2 {
			t.Errorf("at most %d requests ran at once, want 2", maxRunning)
		}
	})
}

// TestNewInterfaceMatchedAtOnce: a wanted port missing at first shows up
// as a new row; the next (incremental) cycle sees the row set change and
// refreshes, even without ifTableLastChange.
func TestNewInterfaceMatchedAtOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		net := fakeagent.NewNetwork()
		agent := synthAgent(2, 0)
		agent.Set(ifmib.Varbind{OID: ifmib.OIDIfTableLastChange, Type: ifmib.TypeNoSuchObject})
		net.Add(swAddr, agent)
		p, rec := newPoller(t, net, nil)
		p.SetSwitches([]Switch{{Address: swAddr, Credentials: v2c(), Ports: names(3)}})
		defer start(t, p)()
		<-p.Ready()
		if got := changedPorts(rec.take())["p3"]; got.Link != ifmib.LinkUnknown || got.Problem == "" {
			t.Fatalf("p3 before it exists = %+v", got)
		}
		for _, vb := range synthRow(3, "p3") {
			agent.Set(vb)
		}
		time.Sleep(10 * time.Second)
		synctest.Wait()
		if got := changedPorts(rec.take())["p3"]; got.Link != ifmib.LinkUp || got.IfIndex != 3 || got.Problem != "" {
			t.Errorf("p3 after it appeared = %+v", got)
		}
	})
}

// TestSetSwitchesUnchangedCostsNothing: handing the poller the same list
// again (an inventory change that touches no port of a switch) neither
// polls the switch nor reports anything; a changed port list does.
func TestSetSwitchesUnchangedCostsNothing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		net := fakeagent.NewNetwork()
		net.Add("10.9.0.1:161", synthAgent(4, 0))
		p, rec := newPoller(t, net, nil)
		rw, err := portmatch.NewRewrite(`port(\d+)`, `p$1`)
		if err != nil {
			t.Fatal(err)
		}
		list := func(ports ...string) []Switch {
			return []Switch{{Address: "10.9.0.1", Group: "g", Credentials: v2c(), Ports: ports, Rewrites: []portmatch.Rewrite{rw}}}
		}
		p.SetSwitches(list("p1", "p2"))
		defer start(t, p)()
		<-p.Ready()
		rec.take()

		if err := p.SetSwitches(list("p1", "p2")); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		if us := rec.take(); len(us) != 0 {
			t.Errorf("the same list again polled the switch: %d updates", len(us))
		}
		p.SetSwitches(list("p1", "p2", "p3"))
		synctest.Wait()
		if got := changedPorts(rec.take()); len(got) != 1 || got["p3"].Link != ifmib.LinkUp {
			t.Errorf("after adding p3: %+v", got)
		}
	})
}

// TestRemovedAndReaddedSwitch: a switch removed and listed again at once
// starts again only after the old goroutine has reported its ports
// removed, so the last word about every port is the new goroutine's.
func TestRemovedAndReaddedSwitch(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		net := fakeagent.NewNetwork()
		net.Add("10.9.0.1:161", synthAgent(2, 0))
		net.Add("10.9.0.2:161", synthAgent(2, 0))
		p, rec := newPoller(t, net, nil)
		a := Switch{Address: "10.9.0.1", Credentials: v2c(), Ports: []string{"p1", "p2"}}
		b := Switch{Address: "10.9.0.2", Credentials: v2c(), Ports: []string{"p1"}}
		p.SetSwitches([]Switch{a, b})
		defer start(t, p)()
		<-p.Ready()
		for range 20 {
			p.SetSwitches([]Switch{b})
			p.SetSwitches([]Switch{a, b})
			synctest.Wait()
		}
		last := map[string]PortState{}
		for _, u := range rec.take() {
			for _, c := range u.changed {
				last[c.Switch+" "+c.Port] = c
			}
		}
		for _, k := range []string{"10.9.0.1:161 p1", "10.9.0.1:161 p2"} {
			if st := last[k]; st.Removed || st.Link != ifmib.LinkUp {
				t.Errorf("last report of %s: %+v", k, st)
			}
		}
	})
}
