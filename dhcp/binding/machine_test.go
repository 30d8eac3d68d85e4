package binding

import (
	"net/netip"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stadsnat/accessd/dhcp/hwaddr"
)

var (
	t0   = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	macA = hwaddr.MAC{0x02, 0, 0, 0, 0, 0x0a}
	macB = hwaddr.MAC{0x02, 0, 0, 0, 0, 0x0b}
	ipX  = netip.MustParseAddr("10.250.1.100")
	ipY  = netip.MustParseAddr("10.250.1.101")
	srv  = netip.MustParseAddr("10.250.0.6")
	zero = netip.IPv4Unspecified()
)

func at(d time.Duration) time.Time { return t0.Add(d) }

func discover(mac hwaddr.MAC, t time.Duration, access string) Observation {
	return Observation{Source: SourceRelay, Kind: Discover, Time: at(t), MAC: mac, CIAddr: zero, Access: access, Circuit: "c-" + access}
}

// selecting: REQUEST with option 50 and a server identifier.
func selecting(mac hwaddr.MAC, t time.Duration, ip netip.Addr, access string) Observation {
	return Observation{Source: SourceRelay, Kind: Request, Time: at(t), MAC: mac, CIAddr: zero, RequestedIP: ip, ServerID: srv, Access: access, Circuit: "c-" + access}
}

// initReboot: REQUEST with option 50 and no server identifier.
func initReboot(mac hwaddr.MAC, t time.Duration, ip netip.Addr, access string) Observation {
	o := selecting(mac, t, ip, access)
	o.ServerID = netip.Addr{}
	return o
}

func renewal(mac hwaddr.MAC, t time.Duration, ip netip.Addr, access string) Observation {
	return Observation{Source: SourceRelay, Kind: Request, Time: at(t), MAC: mac, CIAddr: ip, Access: access, Circuit: "c-" + access}
}

func ack(mac hwaddr.MAC, t time.Duration, ip netip.Addr, lease time.Duration, access string) Observation {
	return Observation{Source: SourceSnoop, Kind: Ack, Time: at(t), MAC: mac, CIAddr: zero, YIAddr: ip, LeaseTime: lease, Access: access, Circuit: "c-" + access}
}

func msg(k Kind, mac hwaddr.MAC, t time.Duration, ci, req netip.Addr) Observation {
	return Observation{Source: SourceRelay, Kind: k, Time: at(t), MAC: mac, CIAddr: ci, RequestedIP: req}
}

// relayedEnd is a RELEASE or DECLINE as a relay forwards it: with the
// option 82 of the client's port (access's circuit).
func relayedEnd(k Kind, mac hwaddr.MAC, t time.Duration, ci, req netip.Addr, access string) Observation {
	o := msg(k, mac, t, ci, req)
	o.Circuit, o.Option82, o.Access = "c-"+access, true, access
	return o
}

func kea(k Kind, mac hwaddr.MAC, cltt time.Duration, ip netip.Addr, lease time.Duration) Observation {
	return Observation{Source: SourceKea, Kind: k, Time: at(cltt), MAC: mac, YIAddr: ip, LeaseTime: lease, Expire: at(cltt + lease)}
}

type step struct {
	ob    *Observation
	sweep time.Duration // when ob is nil: sweep at t0+sweep
}

func ob(o Observation) step        { return step{ob: &o} }
func sweepAt(d time.Duration) step { return step{sweep: d} }

// brief is the comparable essence of a binding.
type brief struct {
	IP        string
	State     State
	Access    string
	Since     time.Time
	Expires   time.Time
	Ended     time.Time
	Confirmed bool
}

func briefOf(b *Binding) brief {
	return brief{b.IP.String(), b.State, b.Access, b.Since, b.Expires, b.Ended, b.Confirmed}
}

type evt struct {
	Kind EventKind
	MAC  hwaddr.MAC
	IP   string
	Info string // PrevAccess, PrevIP, PrevMAC or State, as relevant
}

func evtOf(e Event) evt {
	x := evt{Kind: e.Kind, MAC: e.MAC, IP: e.IP.String()}
	switch e.Kind {
	case MACMoved:
		x.Info = e.PrevAccess + "->" + e.Access
	case IPChanged:
		x.Info = e.PrevIP.String()
	case IPTakenOver, IPClaimed:
		x.Info = e.PrevMAC.String()
	case Ended, Started:
		x.Info = e.State.String()
	}
	return x
}

func TestScenarios(t *testing.T) {
	m := New(Config{TentativeLifetime: 2 * time.Minute, DefaultLeaseTime: time.Hour})
	cases := []struct {
		name    string
		steps   []step
		want    map[hwaddr.MAC]brief
		events  []evt
		history []Interval
	}{
		{
			name: "relay copy: discover, selecting, renewal confirms, lease runs out",
			steps: []step{
				ob(discover(macA, 0, "acc1")),
				ob(selecting(macA, time.Second, ipX, "acc1")),
				ob(renewal(macA, 30*time.Minute, ipX, "acc1")),
				sweepAt(30*time.Minute + time.Hour),
			},
			want: map[hwaddr.MAC]brief{macA: {IP: "10.250.1.100", State: Expired, Access: "acc1", Since: at(time.Second),
				Expires: at(30*time.Minute + time.Hour), Ended: at(30*time.Minute + time.Hour), Confirmed: true}},
			events:  []evt{{Started, macA, "10.250.1.100", "tentative"}, {Kind: Confirmed, MAC: macA, IP: "10.250.1.100"}, {Ended, macA, "10.250.1.100", "expired"}},
			history: []Interval{{IP: ipX, MAC: macA, Access: "acc1", Circuit: "c-acc1", From: at(time.Second), To: at(30*time.Minute + time.Hour), Confirmed: true}},
		},
		{
			name: "snoop: ACK binds with option 51, a renewal extends by the learnt lease",
			steps: []step{
				ob(selecting(macA, 0, ipX, "acc1")),
				ob(ack(macA, time.Second, ipX, 2*time.Hour, "acc1")),
				ob(renewal(macA, time.Hour, ipX, "acc1")),
			},
			want:   map[hwaddr.MAC]brief{macA: {IP: "10.250.1.100", State: Bound, Access: "acc1", Since: at(0), Expires: at(3 * time.Hour), Confirmed: true}},
			events: []evt{{Started, macA, "10.250.1.100", "tentative"}, {Kind: Confirmed, MAC: macA, IP: "10.250.1.100"}},
		},
		{
			name:  "unconfirmed tentative expires after the tentative lifetime",
			steps: []step{ob(initReboot(macA, 0, ipX, "acc1")), sweepAt(time.Minute), sweepAt(2 * time.Minute)},
			want: map[hwaddr.MAC]brief{macA: {IP: "10.250.1.100", State: Expired, Access: "acc1", Since: at(0),
				Expires: at(2 * time.Minute), Ended: at(2 * time.Minute)}},
			events:  []evt{{Started, macA, "10.250.1.100", "tentative"}, {Ended, macA, "10.250.1.100", "expired"}},
			history: []Interval{{IP: ipX, MAC: macA, Access: "acc1", Circuit: "c-acc1", From: at(0), To: at(2 * time.Minute)}},
		},
		{
			name:  "release ends a bound binding",
			steps: []step{ob(ack(macA, 0, ipX, time.Hour, "acc1")), ob(relayedEnd(Release, macA, time.Minute, ipX, netip.Addr{}, "acc1"))},
			want: map[hwaddr.MAC]brief{macA: {IP: "10.250.1.100", State: Released, Access: "acc1", Since: at(0),
				Expires: at(time.Hour), Ended: at(time.Minute), Confirmed: true}},
			events:  []evt{{Started, macA, "10.250.1.100", "bound"}, {Ended, macA, "10.250.1.100", "released"}},
			history: []Interval{{IP: ipX, MAC: macA, Access: "acc1", Circuit: "c-acc1", From: at(0), To: at(time.Minute), Confirmed: true}},
		},
		{
			name:   "release of another IP changes nothing",
			steps:  []step{ob(ack(macA, 0, ipX, time.Hour, "acc1")), ob(relayedEnd(Release, macA, time.Minute, ipY, netip.Addr{}, "acc1"))},
			want:   map[hwaddr.MAC]brief{macA: {IP: "10.250.1.100", State: Bound, Access: "acc1", Since: at(0), Expires: at(time.Hour), Confirmed: true}},
			events: []evt{{Started, macA, "10.250.1.100", "bound"}},
		},
		{
			name:  "decline",
			steps: []step{ob(selecting(macA, 0, ipX, "acc1")), ob(relayedEnd(Decline, macA, time.Second, zero, ipX, "acc1"))},
			want: map[hwaddr.MAC]brief{macA: {IP: "10.250.1.100", State: Declined, Access: "acc1", Since: at(0),
				Expires: at(2 * time.Minute), Ended: at(time.Second)}},
			events:  []evt{{Started, macA, "10.250.1.100", "tentative"}, {Ended, macA, "10.250.1.100", "declined"}},
			history: []Interval{{IP: ipX, MAC: macA, Access: "acc1", Circuit: "c-acc1", From: at(0), To: at(time.Second)}},
		},
		{
			name:  "NAK ends a tentative binding",
			steps: []step{ob(initReboot(macA, 0, ipX, "acc1")), ob(msg(Nak, macA, time.Second, zero, netip.Addr{}))},
			want: map[hwaddr.MAC]brief{macA: {IP: "10.250.1.100", State: Expired, Access: "acc1", Since: at(0),
				Expires: at(2 * time.Minute), Ended: at(time.Second)}},
			events:  []evt{{Started, macA, "10.250.1.100", "tentative"}, {Ended, macA, "10.250.1.100", "expired"}},
			history: []Interval{{IP: ipX, MAC: macA, Access: "acc1", Circuit: "c-acc1", From: at(0), To: at(time.Second)}},
		},
		{
			name: "MAC moved to another access",
			steps: []step{
				ob(ack(macA, 0, ipX, time.Hour, "acc1")),
				ob(renewal(macA, 10*time.Minute, ipX, "acc2")),
			},
			want: map[hwaddr.MAC]brief{macA: {IP: "10.250.1.100", State: Bound, Access: "acc2", Since: at(10 * time.Minute),
				Expires: at(70 * time.Minute), Confirmed: true}},
			events:  []evt{{Started, macA, "10.250.1.100", "bound"}, {MACMoved, macA, "10.250.1.100", "acc1->acc2"}},
			history: []Interval{{IP: ipX, MAC: macA, Access: "acc1", Circuit: "c-acc1", From: at(0), To: at(10 * time.Minute), Confirmed: true}},
		},
		{
			name: "IP taken over by another MAC (the server offered it: SELECTING)",
			steps: []step{
				ob(ack(macA, 0, ipX, time.Hour, "acc1")),
				ob(selecting(macB, 5*time.Minute, ipX, "acc2")),
			},
			want: map[hwaddr.MAC]brief{
				macA: {IP: "10.250.1.100", State: Expired, Access: "acc1", Since: at(0), Expires: at(time.Hour), Ended: at(5 * time.Minute), Confirmed: true},
				macB: {IP: "10.250.1.100", State: Tentative, Access: "acc2", Since: at(5 * time.Minute), Expires: at(7 * time.Minute)},
			},
			events:  []evt{{Started, macA, "10.250.1.100", "bound"}, {IPTakenOver, macB, "10.250.1.100", macA.String()}, {Started, macB, "10.250.1.100", "tentative"}},
			history: []Interval{{IP: ipX, MAC: macA, Access: "acc1", Circuit: "c-acc1", From: at(0), To: at(5 * time.Minute), Confirmed: true}},
		},
		{
			name: "IP claimed without evidence (INIT-REBOOT) leaves the bound holder",
			steps: []step{
				ob(ack(macA, 0, ipX, time.Hour, "acc1")),
				ob(initReboot(macB, 5*time.Minute, ipX, "acc2")),
			},
			want: map[hwaddr.MAC]brief{
				macA: {IP: "10.250.1.100", State: Bound, Access: "acc1", Since: at(0), Expires: at(time.Hour), Confirmed: true},
			},
			events: []evt{{Started, macA, "10.250.1.100", "bound"}, {IPClaimed, macB, "10.250.1.100", macA.String()}},
		},
		{
			name: "same MAC, new IP",
			steps: []step{
				ob(ack(macA, 0, ipX, time.Hour, "acc1")),
				ob(selecting(macA, 2*time.Hour, ipY, "acc1")),
			},
			want:    map[hwaddr.MAC]brief{macA: {IP: "10.250.1.101", State: Tentative, Access: "acc1", Since: at(2 * time.Hour), Expires: at(2*time.Hour + 2*time.Minute)}},
			events:  []evt{{Started, macA, "10.250.1.100", "bound"}, {IPChanged, macA, "10.250.1.101", "10.250.1.100"}, {Started, macA, "10.250.1.101", "tentative"}},
			history: []Interval{{IP: ipX, MAC: macA, Access: "acc1", Circuit: "c-acc1", From: at(0), To: at(2 * time.Hour), Confirmed: true}},
		},
		{
			name: "Kea rows: active lease keeps the relay's access, release ends it",
			steps: []step{
				ob(selecting(macA, 0, ipX, "acc1")),
				ob(kea(LeaseActive, macA, time.Second, ipX, time.Hour)),
				ob(kea(LeaseReleased, macA, 10*time.Minute, ipX, 0)),
			},
			want: map[hwaddr.MAC]brief{macA: {IP: "10.250.1.100", State: Released, Access: "acc1", Since: at(0),
				Expires: at(time.Second + time.Hour), Ended: at(10 * time.Minute), Confirmed: true}},
			events:  []evt{{Started, macA, "10.250.1.100", "tentative"}, {Kind: Confirmed, MAC: macA, IP: "10.250.1.100"}, {Ended, macA, "10.250.1.100", "released"}},
			history: []Interval{{IP: ipX, MAC: macA, Access: "acc1", Circuit: "c-acc1", From: at(0), To: at(10 * time.Minute), Confirmed: true}},
		},
		{
			name: "an old Kea row never moves a newer binding",
			steps: []step{
				ob(ack(macA, time.Hour, ipX, time.Hour, "acc1")),
				ob(kea(LeaseActive, macA, 0, ipY, time.Hour)),
			},
			want:   map[hwaddr.MAC]brief{macA: {IP: "10.250.1.100", State: Bound, Access: "acc1", Since: at(time.Hour), Expires: at(2 * time.Hour), Confirmed: true}},
			events: []evt{{Started, macA, "10.250.1.100", "bound"}},
		},
		{
			name: "Kea reclaimed row expires at the lease end",
			steps: []step{
				ob(kea(LeaseActive, macA, 0, ipX, time.Hour)),
				ob(kea(LeaseReclaimed, macA, 0, ipX, time.Hour)),
			},
			want:    map[hwaddr.MAC]brief{macA: {IP: "10.250.1.100", State: Expired, Since: at(0), Expires: at(time.Hour), Ended: at(time.Hour), Confirmed: true}},
			events:  []evt{{Started, macA, "10.250.1.100", "bound"}, {Ended, macA, "10.250.1.100", "expired"}},
			history: []Interval{{IP: ipX, MAC: macA, From: at(0), To: at(time.Hour), Confirmed: true}},
		},
		{
			name: "unknown circuit first, access learnt later without a move event",
			steps: []step{
				ob(selecting(macA, 0, ipX, "")),
				ob(renewal(macA, time.Minute, ipX, "acc1")),
			},
			want:   map[hwaddr.MAC]brief{macA: {IP: "10.250.1.100", State: Bound, Access: "acc1", Since: at(0), Expires: at(time.Minute + time.Hour), Confirmed: true}},
			events: []evt{{Started, macA, "10.250.1.100", "tentative"}, {Kind: Confirmed, MAC: macA, IP: "10.250.1.100"}},
		},
		{
			name:   "a DISCOVER from an unknown client creates nothing",
			steps:  []step{ob(discover(macA, 0, "acc1")), ob(msg(Inform, macA, time.Second, ipX, netip.Addr{}))},
			want:   map[hwaddr.MAC]brief{},
			events: nil,
		},
	}
	for _, tc := range cases {
		for _, kept := range []bool{false, true} {
			name := tc.name
			if kept {
				name += " (kept scratch)"
			}
			t.Run(name, func(t *testing.T) {
				w := newWorld(m)
				if kept {
					w.scratch = new(Scratch)
				}
				runScenario(t, w, tc.steps, tc.want, tc.events, tc.history)
			})
		}
	}
}

// runScenario applies steps in w and compares the bindings, events and
// history with what is wanted.
func runScenario(t *testing.T, w *world, steps []step, want map[hwaddr.MAC]brief, events []evt, history []Interval) {
	t.Helper()
	for i, s := range steps {
		if s.ob == nil {
			if err := w.sweep(at(s.sweep)); err != nil {
				t.Fatalf("step %d: %v", i, err)
			}
			continue
		}
		if _, err := w.apply(*s.ob); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
	}
	got := map[hwaddr.MAC]brief{}
	for mac, b := range w.bindings {
		got[mac] = briefOf(b)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("bindings (-want +got):\n%s", diff)
	}
	var evs []evt
	for _, e := range w.events {
		evs = append(evs, evtOf(e))
	}
	if diff := cmp.Diff(events, evs); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(history, w.history, cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); diff != "" {
		t.Errorf("history (-want +got):\n%s", diff)
	}
}

func TestApplyDoesNotModifyInputs(t *testing.T) {
	m := New(Config{})
	cur := Binding{MAC: macA, IP: ipX, State: Bound, Access: "acc1", Since: at(0), Expires: at(time.Hour), Confirmed: true, LastSeen: at(0)}
	holder := Binding{MAC: macB, IP: ipY, State: Bound, Access: "acc2", Since: at(0), Expires: at(time.Hour), Confirmed: true, LastSeen: at(0)}
	c0, h0 := cur, holder
	r := m.Apply(&cur, &holder, selecting(macA, time.Minute, ipY, "acc3"))
	if diff := cmp.Diff([]Binding{c0, h0}, []Binding{cur, holder}, cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); diff != "" {
		t.Errorf("inputs changed (-want +got):\n%s", diff)
	}
	if r.Displaced == nil || r.Binding == nil || r.Binding.IP != ipY {
		t.Errorf("result %+v", r)
	}
}

func TestZeroMachineUsesDefaults(t *testing.T) {
	var m Machine
	r := m.Apply(nil, nil, initReboot(macA, 0, ipX, "acc1"))
	if r.Binding == nil || !r.Binding.Expires.Equal(at(5*time.Minute)) {
		t.Errorf("binding %+v", r.Binding)
	}
}

// TestSweepInBubble runs the expiry in a synctest bubble: time advances only
// when the test sleeps, so the sweep sees exactly the configured lifetimes.
func TestSweepInBubble(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := New(Config{TentativeLifetime: 90 * time.Second})
		start := time.Now()
		o := initReboot(macA, 0, ipX, "acc1")
		o.Time = start
		r := m.Apply(nil, nil, o)
		b := *r.Binding

		time.Sleep(89 * time.Second)
		if _, expired := m.Sweep(b, time.Now()); expired {
			t.Fatal("expired before its lifetime")
		}
		time.Sleep(time.Second)
		res, expired := m.Sweep(b, time.Now())
		if !expired || res.Binding.State != Expired || !res.Binding.Ended.Equal(start.Add(90*time.Second)) {
			t.Fatalf("sweep at %v: %v %+v", time.Since(start), expired, res.Binding)
		}
	})
}

func TestNames(t *testing.T) {
	got := []string{SourceSnoop.String(), Source(9).String(), Declined.String(), State(0).String(), LeaseReclaimed.String(), Kind(99).String(), IPTakenOver.String(), EventKind(0).String()}
	want := []string{"snoop", "source(9)", "declined", "state(0)", "lease-reclaimed", "kind(99)", "ip-taken-over", "event(0)"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// The holder of the IP an observation names plays no part when the
// client's own binding actively holds that IP (the ingest processor then
// does not look it up): the result is the same with and without it.
func TestHolderIgnoredWhenClientHoldsIP(t *testing.T) {
	m := New(Config{})
	obs := []Observation{
		discover(macA, time.Minute, "acc1"),
		selecting(macA, time.Minute, ipX, "acc1"),
		selecting(macA, time.Minute, ipX, "acc2"),
		initReboot(macA, time.Minute, ipX, "acc1"),
		renewal(macA, time.Minute, ipX, "acc1"),
		ack(macA, time.Minute, ipX, 2*time.Hour, "acc1"),
		{Source: SourceKea, Kind: LeaseActive, Time: at(time.Minute), MAC: macA, YIAddr: ipX, Expire: at(3 * time.Hour)},
		{Source: SourceKea, Kind: LeaseActive, Time: at(-time.Hour), MAC: macA, YIAddr: ipX, Expire: at(time.Hour)},
		relayedEnd(Release, macA, time.Minute, ipX, netip.Addr{}, "acc1"),
		relayedEnd(Decline, macA, time.Minute, zero, ipX, "acc1"),
		msg(Nak, macA, time.Minute, zero, ipX),
	}
	for _, st := range []State{Tentative, Bound} {
		cur := Binding{MAC: macA, IP: ipX, State: st, Access: "acc1", Circuit: "c-acc1", Since: at(0), LastSeen: at(0),
			Expires: at(time.Hour), Confirmed: st == Bound}
		for _, hst := range []State{Tentative, Bound} {
			holder := Binding{MAC: macB, IP: ipX, State: hst, Access: "acc2", Circuit: "c-acc2", Since: at(0), LastSeen: at(0),
				Expires: at(time.Hour), Confirmed: hst == Bound}
			for i, ob := range obs {
				with, without := m.Apply(&cur, &holder, ob), m.Apply(&cur, nil, ob)
				if diff := cmp.Diff(without, with, cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); diff != "" {
					t.Errorf("%v binding, %v holder, observation %d (%v): result (-without +with holder):\n%s", st, hst, i, ob.Kind, diff)
				}
			}
		}
	}
}
