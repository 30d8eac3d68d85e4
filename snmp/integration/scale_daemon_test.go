package integration

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stadsnat/accessd/internal/testkit"
	"github.com/stadsnat/accessd/snmp/client"
	"github.com/stadsnat/accessd/snmp/internal/lab"
	"github.com/stadsnat/accessd/snmp/linkstate"
	"github.com/stadsnat/accessd/snmp/poller"
	"github.com/stadsnat/accessd/store"
	"github.com/stadsnat/accessd/store/inventory"
)

// TestScaleDaemonPath is the scale harness on the daemon's path (gated:
// ACCESSD_SCALE=1): the inventory (one access per snmpsim port) imported
// into a real store (fsync on, as the daemon), the switch list planned
// from it, the poller reporting to linkstate.Links and the group-commit
// PortWriter. In one run, the same cycles with a sink that only counts
// (the poller alone) and with the daemon's: the daemon's overhead per
// cycle, the store writes of the first contact and of a cycle with no
// change (goal 0), and the cost of a link answer.
//
//	ACCESSD_SCALE=1 go test -run TestScaleDaemonPath -v -timeout 30m ./snmp/integration/
func TestScaleDaemonPath(t *testing.T) {
	testkit.SkipShort(t, slow)
	if os.Getenv("ACCESSD_SCALE") != "1" {
		t.Skip("scale harness: set ACCESSD_SCALE=1 (takes a few minutes; needs root, snmpsim, snmp)")
	}
	agents := envInt("ACCESSD_SCALE_AGENTS", 50)
	conc := envInt("ACCESSD_SCALE_CONCURRENCY", 16)
	const ports = 48
	sim := lab.StartSnmpsim(t, lab.SnmpsimOptions{Agents: agents, Ports: ports})
	total := agents * ports
	r := func(format string, args ...any) { t.Logf("SCALE-DAEMON "+format, args...) }

	db, err := store.Open(filepath.Join(t.TempDir(), store.FileName), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var in []store.Incoming
	for i, a := range sim.Addrs {
		for j, p := range sim.PortNames {
			in = append(in, store.Incoming{Access: inventory.Access{AccessID: fmt.Sprintf("SC%03d%02d", i, j), StreetName: "Skalgatan",
				PostalCode: "12345", City: "Skalstad", CountryCode: "SE", PremisesType: inventory.ResidentialHouse,
				Activatable: inventory.Yes, Sellable: inventory.Yes, Option82: a + " " + p}})
		}
	}
	if _, err := db.Inventory().Import(in, store.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	inv := map[string][]string{}
	db.Ports().EachAccessPort(func(_, sw, port string) error {
		inv[strings.Clone(sw)] = append(inv[sw], strings.Clone(port))
		return nil
	})
	plan := linkstate.Config{Default: client.Credentials{Community: "public"}}.Plan(inv)
	r("plan from the inventory: %d switches, %d accesses, %v", len(plan.Switches), total, time.Since(start).Round(time.Microsecond))

	type cycle struct{ wall, cpu time.Duration }
	run := func(sink poller.Sink, w *store.PortWriter) (first, full, idle cycle, stop func()) {
		o := poller.DefaultOptions()
		o.Interval, o.Timeout, o.Retries, o.Concurrency = time.Hour, 2*time.Second, 1, conc
		p, err := poller.New(sink, o)
		if err != nil {
			t.Fatal(err)
		}
		if err := p.SetSwitches(plan.Switches); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		syncW := func() {
			if w != nil {
				if err := w.Sync(ctx); err != nil {
					t.Fatal(err)
				}
			}
		}
		c0, w0 := cpuTime(), time.Now()
		task := testkit.Go(t, "poller", p.Run)
		<-p.Ready()
		syncW()
		first = cycle{time.Since(w0), cpuTime() - c0}
		c0, w0 = cpuTime(), time.Now()
		p.PollNow(ctx, true)
		syncW()
		full = cycle{time.Since(w0), cpuTime() - c0}
		c0, w0 = cpuTime(), time.Now()
		p.PollNow(ctx, false)
		syncW()
		idle = cycle{time.Since(w0), cpuTime() - c0}
		return first, full, idle, func() { task.Stop(); cancel() }
	}
	per1000 := func(d time.Duration) time.Duration { return d * 1000 / time.Duration(total) }

	// the poller alone
	f0, u0, i0, stop0 := run(&countSink{s: newSink()}, nil)
	stop0()

	// the daemon's path
	w := db.Ports().NewWriter(store.PortWriterOptions{})
	links, err := linkstate.New(db.Ports(), w, linkstate.Options{Interval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	links.SetPlan(plan)
	defer testkit.Go(t, "port writer", w.Run).Stop()
	f1, u1, i1, stop1 := run(links, w)
	defer stop1()
	s1 := w.Stats()

	r("snmpsim: %d agents × %d ports = %d ports, concurrency %d", agents, ports, total, conc)
	r("first contact (probe + full walk), poller alone: %v wall, CPU %v (%v per 1000 ports)", f0.wall.Round(time.Millisecond), f0.cpu.Round(time.Millisecond), per1000(f0.cpu).Round(time.Microsecond))
	r("first contact, daemon path (every port written): %v wall, CPU %v (%v per 1000 ports); %d port states in %d transactions",
		f1.wall.Round(time.Millisecond), f1.cpu.Round(time.Millisecond), per1000(f1.cpu).Round(time.Microsecond), s1.Updates, s1.Batches)
	s2 := w.Stats()
	r("full refresh, poller alone: %v wall, CPU %v per 1000 ports; daemon path: %v wall, CPU %v per 1000 ports",
		u0.wall.Round(time.Millisecond), per1000(u0.cpu).Round(time.Microsecond), u1.wall.Round(time.Millisecond), per1000(u1.cpu).Round(time.Microsecond))
	r("idle cycle, poller alone: %v wall, CPU %v per 1000 ports; daemon path: %v wall, CPU %v per 1000 ports",
		i0.wall.Round(time.Millisecond), per1000(i0.cpu).Round(time.Microsecond), i1.wall.Round(time.Millisecond), per1000(i1.cpu).Round(time.Microsecond))
	r("store writes by the full refresh and the idle cycle after the first contact: %d (goal 0)", s2.Updates-s1.Updates)
	if s1.Updates != uint64(total) {
		t.Errorf("first contact wrote %d port states, want %d", s1.Updates, total)
	}
	if s2.Updates != s1.Updates {
		t.Errorf("cycles without change wrote %d port states, want 0", s2.Updates-s1.Updates)
	}

	// link answers: one read transaction each
	c0, w0 := cpuTime(), time.Now()
	byLink := map[store.Link]int{}
	for _, a := range in {
		ls, err := links.Link(a.Access.AccessID)
		if err != nil {
			t.Fatal(err)
		}
		byLink[ls.Link]++
	}
	r("link answers: %d in %v (%v each), CPU %v each; UP %d, DOWN %d (snmpsim's ~10 %% down), UNKNOWN %d", total,
		time.Since(w0).Round(time.Millisecond), (time.Since(w0) / time.Duration(total)).Round(time.Microsecond),
		((cpuTime() - c0) / time.Duration(total)).Round(time.Microsecond), byLink[store.LinkUp], byLink[store.LinkDown], byLink[store.LinkUnknown])
	if byLink[store.LinkUnknown] != 0 {
		t.Errorf("%d links unknown", byLink[store.LinkUnknown])
	}
}
