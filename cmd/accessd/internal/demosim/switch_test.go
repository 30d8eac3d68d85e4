package demosim

import (
	"context"
	"errors"
	"net"
	"strconv"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/gosnmp/gosnmp"

	"github.com/stadsnat/accessd/snmp/client"
	"github.com/stadsnat/accessd/snmp/ifmib"
	"github.com/stadsnat/accessd/snmp/trap"
)

var demoPorts = []string{"acc0", "acc1", "acc2", "acc3", "acc4"}

// startSwitch runs a simulated switch on a free loopback port until the
// test ends and returns it once it answers.
func startSwitch(t *testing.T, o SwitchOptions) *Switch {
	t.Helper()
	if o.Listen == "" {
		o.Listen = "127.0.0.1:0"
	}
	s, err := NewSwitch(o)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ready, done := make(chan struct{}), make(chan error, 1)
	go func() { done <- s.Run(ctx, func() { close(ready) }) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	select {
	case <-ready:
	case err := <-done:
		t.Fatalf("Run ended before ready: %v", err)
	}
	return s
}

// dial opens a session of the project's SNMP client (gosnmp over UDP).
func dial(t *testing.T, addr, community string) client.Client {
	t.Helper()
	c, err := client.Net{}.Dial(t.Context(), client.Target{Address: addr,
		Credentials: client.Credentials{Community: community}, Timeout: 500 * time.Millisecond, Retries: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

type row struct {
	Name          string
	Oper          int64
	HighSpeed     uint64
	Speed         uint64
	LastChangeSet bool
}

func readRow(t *testing.T, c client.Client, idx int) row {
	t.Helper()
	vbs, err := c.Get(t.Context(), ifmib.RowOIDs(idx, []ifmib.Column{ifmib.ColName, ifmib.ColOper, ifmib.ColHighSpeed, ifmib.ColSpeed, ifmib.ColLastChange}))
	if err != nil {
		t.Fatalf("get row %d: %v", idx, err)
	}
	return row{Name: string(vbs[0].Bytes), Oper: vbs[1].Int, HighSpeed: vbs[2].Uint, Speed: vbs[3].Uint, LastChangeSet: vbs[4].Type == ifmib.TypeTimeTicks}
}

// TestSwitchLinkAndSpeed: the project's SNMP client reads each port's
// name, link and speed over real UDP; the speeds differ; a down port is
// down; sysUpTime runs from 42 days.
func TestSwitchLinkAndSpeed(t *testing.T) {
	s := startSwitch(t, SwitchOptions{Ports: demoPorts, Down: []string{"acc4"}, FlapEvery: -1})
	c := dial(t, s.Addr(), "public")
	var got []row
	for i := range demoPorts {
		got = append(got, readRow(t, c, i+1))
	}
	want := []row{
		{"acc0", 1, 1000, 1_000_000_000, true},
		{"acc1", 1, 100, 100_000_000, true},
		{"acc2", 1, 1000, 1_000_000_000, true},
		{"acc3", 1, 10000, 4294967295, true},
		{"acc4", 2, 1000, 1_000_000_000, true},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
	up, err := c.Get(t.Context(), []string{ifmib.OIDSysUpTime})
	if err != nil {
		t.Fatal(err)
	}
	if up[0].Type != ifmib.TypeTimeTicks || up[0].Uint < startUptime {
		t.Errorf("sysUpTime = %+v, want TimeTicks ≥ %d", up[0], startUptime)
	}
}

// TestSwitchWalk: gosnmp's own BulkWalk and Walk (GETBULK and GETNEXT)
// read the whole ifXTable ifName column and end at the column's end.
func TestSwitchWalk(t *testing.T) {
	s := startSwitch(t, SwitchOptions{Ports: demoPorts, FlapEvery: -1})
	host, port, _ := net.SplitHostPort(s.Addr())
	p, _ := strconv.Atoi(port)
	g := &gosnmp.GoSNMP{Target: host, Port: uint16(p), Community: "public", Version: gosnmp.Version2c,
		Timeout: time.Second, Retries: 1, MaxRepetitions: 3}
	if err := g.Connect(); err != nil {
		t.Fatal(err)
	}
	defer g.Conn.Close()
	for _, walk := range []struct {
		name string
		fn   func(string) ([]gosnmp.SnmpPDU, error)
	}{{"BulkWalkAll", g.BulkWalkAll}, {"WalkAll", g.WalkAll}} {
		pdus, err := walk.fn(ifmib.ColName.OID())
		if err != nil {
			t.Fatalf("%s: %v", walk.name, err)
		}
		var names []string
		for _, p := range pdus {
			names = append(names, string(p.Value.([]byte)))
		}
		if diff := cmp.Diff(demoPorts, names); diff != "" {
			t.Errorf("%s ifName (-want +got):\n%s", walk.name, diff)
		}
	}
}

// TestSwitchWrongCommunity: a request with another community gets no
// answer, as from a real agent.
func TestSwitchWrongCommunity(t *testing.T) {
	s := startSwitch(t, SwitchOptions{Ports: demoPorts, FlapEvery: -1})
	c, err := client.Net{}.Dial(t.Context(), client.Target{Address: s.Addr(),
		Credentials: client.Credentials{Community: "private"}, Timeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Get(t.Context(), []string{ifmib.OIDSysUpTime}); !errors.Is(err, client.ErrTimeout) {
		t.Errorf("get with the wrong community: %v, want a timeout", err)
	}
}

// TestSwitchFlapSeenOverUDP: with a short period, a client polling over
// UDP sees the flapping port go down and come back, and its ifLastChange
// move; the steady ports do not change.
func TestSwitchFlapSeenOverUDP(t *testing.T) {
	s := startSwitch(t, SwitchOptions{Ports: demoPorts, FlapEvery: 600 * time.Millisecond, FlapDown: 300 * time.Millisecond})
	c := dial(t, s.Addr(), "public")
	lastChange := func(idx int) uint64 {
		vbs, err := c.Get(t.Context(), []string{ifmib.ColLastChange.Instance(idx)})
		if err != nil {
			t.Fatal(err)
		}
		return vbs[0].Uint
	}
	before, steady := lastChange(2), lastChange(3)
	seen := map[int64]bool{}
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) && !(seen[2] && seen[1]) {
		r := readRow(t, c, 2)
		if r.Oper == 2 {
			seen[2] = true
		} else if seen[2] {
			seen[1] = true // up again after down
		}
		time.Sleep(20 * time.Millisecond) // real UDP: the fake clock cannot drive the socket
	}
	if !seen[2] || !seen[1] {
		t.Fatalf("flapping port acc1: saw down %v, up again %v within 5 s", seen[2], seen[1])
	}
	if after := lastChange(2); after <= before {
		t.Errorf("ifLastChange of acc1 %d, not after %d", after, before)
	}
	if got := lastChange(3); got != steady {
		t.Errorf("ifLastChange of steady acc2 moved from %d to %d", steady, got)
	}
}

// TestFlapSchedule: on the fake clock, the flapping port is down from
// FlapEvery-FlapDown to FlapEvery of every period and up otherwise, and its
// ifLastChange follows.
func TestFlapSchedule(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, err := NewSwitch(SwitchOptions{Listen: "127.0.0.1:0", Ports: demoPorts, FlapEvery: time.Minute, FlapDown: 5 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan struct{})
		go func() { s.flap(ctx); close(done) }()
		sess, err := s.net.Dial(ctx, client.Target{Address: agentAddr, Credentials: client.Credentials{Community: "x"}, Timeout: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		oper := func() (int64, uint64) {
			vbs, err := sess.Get(ctx, []string{ifmib.ColOper.Instance(2), ifmib.ColLastChange.Instance(2)})
			if err != nil {
				t.Fatal(err)
			}
			return vbs[0].Int, vbs[1].Uint
		}
		type obs struct {
			At         time.Duration
			Oper       int64
			LastChange uint64
		}
		var got []obs
		start := time.Now()
		for _, at := range []time.Duration{54 * time.Second, 56 * time.Second, 61 * time.Second, 114 * time.Second, 116 * time.Second, 121 * time.Second} {
			time.Sleep(start.Add(at).Sub(time.Now()))
			synctest.Wait()
			o, lc := oper()
			got = append(got, obs{at, o, lc})
		}
		tick := func(d time.Duration) uint64 { return startUptime + uint64(d/time.Second)*ifmib.TicksPerSecond }
		first := uint64(startUptime - 2*3*3600*ifmib.TicksPerSecond) // acc1's change before the start
		want := []obs{
			{54 * time.Second, 1, first},
			{56 * time.Second, 2, tick(55 * time.Second)},
			{61 * time.Second, 1, tick(60 * time.Second)},
			{114 * time.Second, 1, tick(60 * time.Second)},
			{116 * time.Second, 2, tick(115 * time.Second)},
			{121 * time.Second, 1, tick(120 * time.Second)},
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("flap schedule (-want +got):\n%s", diff)
		}
		if p := s.Ports(); !p[1].Up || !p[2].Up {
			t.Errorf("ports after the flaps: %+v", p)
		}
		cancel()
		<-done
	})
}

// TestSwitchTraps: a link change sends a v2c linkDown/linkUp trap that the
// daemon's trap decoder accepts, naming the port's ifIndex.
func TestSwitchTraps(t *testing.T) {
	rx, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer rx.Close()
	s := startSwitch(t, SwitchOptions{Ports: demoPorts, FlapEvery: -1, TrapTo: rx.LocalAddr().String(), TrapCommunity: "traps"})
	dec, err := trap.NewDecoder([]string{"traps"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	type got struct {
		Kind    trap.Kind
		IfIndex int
	}
	var gots []got
	for _, up := range []bool{false, true} {
		if err := s.SetLink("acc3", up); err != nil {
			t.Fatal(err)
		}
		// the same state again sends nothing
		if err := s.SetLink("acc3", up); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 2048)
		rx.SetReadDeadline(time.Now().Add(2 * time.Second))
		n, _, err := rx.ReadFromUDP(buf)
		if err != nil {
			t.Fatalf("no trap: %v", err)
		}
		tr, err := dec.Decode(buf[:n])
		if err != nil {
			t.Fatalf("decode trap: %v", err)
		}
		gots = append(gots, got{tr.Kind, tr.IfIndex})
	}
	if diff := cmp.Diff([]got{{trap.LinkDown, 4}, {trap.LinkUp, 4}}, gots); diff != "" {
		t.Errorf("traps (-want +got):\n%s", diff)
	}
	rx.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	if n, _, err := rx.ReadFromUDP(make([]byte, 2048)); err == nil {
		t.Errorf("a repeated SetLink sent another trap (%d bytes)", n)
	}
	if err := s.SetLink("acc99", false); err == nil {
		t.Error("SetLink of an unknown port: no error")
	}
}

func TestNewSwitchErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		o    SwitchOptions
	}{
		{"no listen", SwitchOptions{Ports: demoPorts}},
		{"no ports", SwitchOptions{Listen: "127.0.0.1:0"}},
		{"repeated port", SwitchOptions{Listen: "127.0.0.1:0", Ports: []string{"a", "a"}}},
		{"empty port", SwitchOptions{Listen: "127.0.0.1:0", Ports: []string{"a", ""}}},
		{"unknown down port", SwitchOptions{Listen: "127.0.0.1:0", Ports: demoPorts, Down: []string{"x"}}},
		{"unknown flap port", SwitchOptions{Listen: "127.0.0.1:0", Ports: demoPorts, FlapPort: "x"}},
		{"flap port down", SwitchOptions{Listen: "127.0.0.1:0", Ports: demoPorts, FlapPort: "acc0", Down: []string{"acc0"}}},
		{"down longer than period", SwitchOptions{Listen: "127.0.0.1:0", Ports: demoPorts, FlapEvery: time.Second, FlapDown: time.Second}},
		{"small messages", SwitchOptions{Listen: "127.0.0.1:0", Ports: demoPorts, MaxMessageSize: 100}},
		{"bad trap address", SwitchOptions{Listen: "127.0.0.1:0", Ports: demoPorts, TrapTo: "nowhere"}},
	} {
		if _, err := NewSwitch(tc.o); err == nil {
			t.Errorf("%s: no error", tc.name)
		}
	}
}
