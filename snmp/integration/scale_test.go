package integration

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stadsnat/accessd/internal/benchfig"
	"github.com/stadsnat/accessd/internal/testkit"
	"github.com/stadsnat/accessd/snmp/client"
	"github.com/stadsnat/accessd/snmp/ifmib"
	"github.com/stadsnat/accessd/snmp/internal/lab"
	"github.com/stadsnat/accessd/snmp/poller"
)

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// countSink counts updates and remembers the last port states.
type countSink struct {
	updates atomic.Int64
	s       *sink
}

func (c *countSink) Update(sw poller.SwitchState, changed []poller.PortState) {
	c.updates.Add(1)
	c.s.Update(sw, changed)
}

// TestScale is the scale harness (gated: ACCESSD_SCALE=1). It starts
// snmpsim with ACCESSD_SCALE_AGENTS (50) agents × 48 ports and reports, in
// one run:
//
//   - net-snmp's snmpbulkwalk walking the 8 columns the poller reads, of
//     every agent, one after the other (the baseline);
//
//   - the poller's first contact (probe + full walk) over all agents;
//
//   - a full refresh cycle over all agents, with ACCESSD_SCALE_CONCURRENCY
//     (16) switches at once and with 1 (the ratio to the baseline);
//
//   - an idle cycle (nothing changed): request packets per switch (goal
//     ≤ 3), wall time, poller CPU time per 1,000 ports (getrusage);
//
//   - the projection for 1,000 switches × 48 ports from these costs.
//
//     ACCESSD_SCALE=1 go test -run TestScale -v -timeout 30m ./snmp/integration/
func TestScale(t *testing.T) {
	testkit.SkipShort(t, slow)
	if os.Getenv("ACCESSD_SCALE") != "1" {
		t.Skip("scale harness: set ACCESSD_SCALE=1 (takes a few minutes; needs root, snmpsim, snmp)")
	}
	testkit.RequireCommands(t, "snmpbulkwalk")
	agents := envInt("ACCESSD_SCALE_AGENTS", 50)
	conc := envInt("ACCESSD_SCALE_CONCURRENCY", 16)
	const ports = 48
	sim := lab.StartSnmpsim(t, lab.SnmpsimOptions{Agents: agents, Ports: ports})
	totalPorts := agents * ports

	// Baseline: net-snmp, sequential, the same 8 columns.
	cols := ifmib.AllColumns()
	t0 := time.Now()
	for _, a := range sim.Addrs {
		for _, c := range cols {
			cmd := exec.Command("snmpbulkwalk", "-v2c", "-c", "public", "-On", "-t", "2", "-r", "1", a, c.OID())
			cmd.Env = append(os.Environ(), "MIBS=")
			if out, err := cmd.Output(); err != nil || len(out) == 0 {
				t.Fatalf("snmpbulkwalk %s %s: %v", a, c, err)
			}
		}
	}
	baseline := time.Since(t0)

	measure := func(concurrency int) (first, full, fullCPU, idle, idleCPU time.Duration, pkts []int) {
		s := &countSink{s: newSink()}
		o := poller.DefaultOptions()
		o.Interval = time.Hour // only PollNow drives cycles
		o.Timeout, o.Retries = 2*time.Second, 1
		o.Concurrency = concurrency
		if os.Getenv("ACCESSD_SCALE_DEBUG") == "1" {
			o.Logger = logger(t)
		}
		p, err := poller.New(s, o)
		if err != nil {
			t.Fatal(err)
		}
		var sws []poller.Switch
		for _, a := range sim.Addrs {
			sws = append(sws, poller.Switch{Address: a, Credentials: client.Credentials{Community: "public"}, Ports: sim.PortNames})
		}
		if err := p.SetSwitches(sws); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		start := time.Now()
		defer testkit.Go(t, "poller", p.Run).Stop()
		select {
		case <-p.Ready():
		case <-time.After(10 * time.Minute):
			t.Fatal("not ready after 10 min")
		}
		first = time.Since(start)
		known := 0
		for _, st := range p.Ports() {
			if st.Link != ifmib.LinkUnknown {
				known++
			}
		}
		if known != totalPorts {
			t.Fatalf("after the first cycle %d of %d ports known", known, totalPorts)
		}
		c0, w0 := cpuTime(), time.Now()
		if err := p.PollNow(ctx, true); err != nil {
			t.Fatal(err)
		}
		full, fullCPU = time.Since(w0), cpuTime()-c0
		c0, w0 = cpuTime(), time.Now()
		if err := p.PollNow(ctx, false); err != nil {
			t.Fatal(err)
		}
		idle, idleCPU = time.Since(w0), cpuTime()-c0
		for _, sw := range p.Switches() {
			if !sw.Reachable || sw.LastCycleFull {
				t.Errorf("switch %s after the idle cycle: %+v", sw.Switch, sw)
			}
			pkts = append(pkts, sw.LastCyclePackets)
		}
		return
	}

	first, full, fullCPU, idle, idleCPU, pkts := measure(conc)
	_, full1, _, idle1, _, _ := measure(1)

	maxP, sumP := 0, 0
	for _, n := range pkts {
		maxP, sumP = max(maxP, n), sumP+n
	}
	avgP := float64(sumP) / float64(len(pkts))
	per1000 := func(d time.Duration) time.Duration { return d * 1000 / time.Duration(totalPorts) }
	r := func(format string, args ...any) { t.Logf("SCALE "+format, args...) }
	r("snmpsim: %d agents × %d ports = %d ports (snmpsimd --v2c-arch, one process)", agents, ports, totalPorts)
	r("baseline: net-snmp snmpbulkwalk of the %d columns of every agent, sequential: %v", len(cols), baseline.Round(time.Millisecond))
	r("poller first contact (probe + full walk), concurrency %d: %v", conc, first.Round(time.Millisecond))
	r("poller full refresh cycle, concurrency %d: %v (ratio to baseline %.1fx faster); CPU %v = %v per 1000 ports",
		conc, full.Round(time.Millisecond), baseline.Seconds()/full.Seconds(), fullCPU.Round(time.Millisecond), per1000(fullCPU).Round(time.Microsecond))
	r("poller full refresh cycle, concurrency 1: %v (ratio to baseline %.1fx faster)", full1.Round(time.Millisecond), baseline.Seconds()/full1.Seconds())
	r("poller idle cycle (nothing changed), concurrency %d: %v; concurrency 1: %v; packets per switch avg %.2f max %d (goal ≤ 3); CPU %v = %v per 1000 ports",
		conc, idle.Round(time.Millisecond), idle1.Round(time.Millisecond), avgP, maxP, idleCPU.Round(time.Millisecond), per1000(idleCPU).Round(time.Microsecond))
	// Projection: CPU and packets scale with ports and switches; wall time
	// with switches / concurrency × the per-switch latency (snmpsim is one
	// single-threaded process, so its measured wall time is an upper
	// bound: real switches answer in parallel).
	const sw1000, ports1000 = 1000, 1000 * 48
	perSwitchIdle := idle1 / time.Duration(agents)
	perSwitchFull := full1 / time.Duration(agents)
	r("projection 1000 switches × 48 ports: idle cycle %d packets, CPU %v; full refresh CPU %v; wall (sequential per-switch latency %v idle / %v full, concurrency %d) ≈ %v idle, %v full per cycle",
		int(avgP*sw1000+0.5), (per1000(idleCPU) * ports1000 / 1000).Round(time.Millisecond), (per1000(fullCPU) * ports1000 / 1000).Round(time.Millisecond),
		perSwitchIdle.Round(time.Microsecond), perSwitchFull.Round(time.Microsecond), conc,
		(perSwitchIdle * sw1000 / time.Duration(conc)).Round(time.Millisecond), (perSwitchFull * sw1000 / time.Duration(conc)).Round(time.Millisecond))
	// The same as BENCHFIG lines for the bench command (package benchfig).
	what := fmt.Sprintf("SNMP full refresh of %d snmpsim agents × %d ports", agents, ports)
	benchfig.Report(t, benchfig.Figure{Name: fmt.Sprintf("%s, poller at concurrency %d", what, conc), Unit: "s", Value: full.Seconds(),
		Peer: "snmpbulkwalk, one after the other", PeerValue: baseline.Seconds(), Goal: 1, Source: "#4 (no goal set; floor: as fast as net-snmp)"})
	benchfig.Report(t, benchfig.Figure{Name: what + ", poller at concurrency 1", Unit: "s", Value: full1.Seconds(),
		Peer: "snmpbulkwalk, one after the other", PeerValue: baseline.Seconds(), Goal: 1, Source: "#4 (no goal set; floor: as fast as net-snmp)"})
	benchfig.Report(t, benchfig.Figure{Name: "SNMP request packets per switch per idle cycle, the most of any switch", Unit: "packets",
		Value: float64(maxP), Goal: 3, Source: "#4"})
	benchfig.Report(t, benchfig.Figure{Name: "SNMP poller CPU per 1,000 ports, full refresh", Unit: "ms", Value: float64(per1000(fullCPU).Microseconds()) / 1000, Source: "#4 (no goal)"})
	if maxP > 3 {
		t.Errorf("idle cycle needed up to %d packets per switch, goal ≤ 3", maxP)
	}
}
