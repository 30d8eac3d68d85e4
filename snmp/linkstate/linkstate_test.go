package linkstate

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/stadsnat/accessd/snmp/client"
	"github.com/stadsnat/accessd/snmp/client/fakeagent"
	"github.com/stadsnat/accessd/snmp/ifmib"
	"github.com/stadsnat/accessd/snmp/poller"
	"github.com/stadsnat/accessd/store"
	"github.com/stadsnat/accessd/store/inventory"
)

var t0 = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

// judge: every reason for UNKNOWN, and the fresh answers.
func TestJudge(t *testing.T) {
	started := t0
	now := t0.Add(10 * time.Minute)
	const interval, stale = time.Minute, 4 * time.Minute
	key := store.PortKey{Switch: "10.0.0.1:161", Port: "ge-0/0/1"}
	rec := func(mod func(*store.PortRecord)) *store.PortRecord {
		r := &store.PortRecord{PortKey: key, PortState: store.PortState{Admin: "up", Oper: "up", Link: store.LinkUp, SpeedMbps: 1000,
			Since: t0.Add(-time.Hour), SinceExact: true, PolledAt: t0.Add(5 * time.Minute), Source: "poll", Reachable: true}}
		if mod != nil {
			mod(r)
		}
		return r
	}
	swOK := &poller.SwitchState{Switch: key.Switch, Reachable: true, PolledAt: now.Add(-30 * time.Second)}
	swDown := &poller.SwitchState{Switch: key.Switch, UnreachableSince: now.Add(-2 * time.Minute), PolledAt: now.Add(-10 * time.Second), Err: "GET from 10.0.0.1:161: timeout"}
	ap := func(r *store.PortRecord) store.AccessPort {
		return store.AccessPort{AccessID: "A1", SwitchName: "10.0.0.1", Key: key, Record: r}
	}
	for _, tc := range []struct {
		name  string
		ap    store.AccessPort
		sw    *poller.SwitchState
		link  store.Link
		since time.Time
		cause string
	}{
		{"up and fresh", ap(rec(nil)), swOK, store.LinkUp, t0.Add(-time.Hour), ""},
		{"down and fresh", ap(rec(func(r *store.PortRecord) { r.Link, r.Oper, r.Since = store.LinkDown, "lowerLayerDown", t0 })), swOK, store.LinkDown, t0, ""},
		{"trap-fresh without a cycle", ap(rec(func(r *store.PortRecord) { r.PolledAt = now.Add(-time.Second) })), nil, store.LinkUp, t0.Add(-time.Hour), ""},
		{"switch not in the plan", store.AccessPort{AccessID: "A1", SwitchName: "sw-x", Key: store.PortKey{Port: "1"}}, nil, store.LinkUnknown, time.Time{},
			`switch "sw-x" is not polled (not an address, no snmp.switches entry, no credentials, or just imported)`},
		{"never polled", ap(nil), swOK, store.LinkUnknown, time.Time{}, `port "ge-0/0/1" of switch 10.0.0.1:161 has not been polled yet`},
		{"switch down (memory)", ap(rec(nil)), swDown, store.LinkUnknown, now.Add(-2 * time.Minute),
			"switch 10.0.0.1:161 does not answer since 2026-03-01T10:08:00Z: GET from 10.0.0.1:161: timeout"},
		{"switch down (stored)", ap(rec(func(r *store.PortRecord) {
			r.Link, r.Reachable, r.Since = store.LinkUnknown, false, t0.Add(6*time.Minute)
		})), nil,
			store.LinkUnknown, t0.Add(6 * time.Minute), "switch 10.0.0.1:161 does not answer since 2026-03-01T10:06:00Z"},
		{"from before the start", ap(rec(func(r *store.PortRecord) { r.PolledAt = t0.Add(-time.Minute) })), swOK, store.LinkUnknown, started,
			`port "ge-0/0/1" of switch 10.0.0.1:161 not polled since accessd started at 2026-03-01T10:00:00Z`},
		{"port not found", ap(rec(func(r *store.PortRecord) {
			r.Link, r.Problem, r.Since = store.LinkUnknown, "no interface has this name", t0
		})), swOK,
			store.LinkUnknown, t0, `port "ge-0/0/1" on switch 10.0.0.1:161: no interface has this name`},
		{"oper testing", ap(rec(func(r *store.PortRecord) { r.Link, r.Oper, r.Since = store.LinkUnknown, "testing", t0 })), swOK,
			store.LinkUnknown, t0, `ifOperStatus "testing" of port "ge-0/0/1" on switch 10.0.0.1:161 says nothing about the link`},
		{"stale", ap(rec(nil)), &poller.SwitchState{Reachable: true, PolledAt: t0.Add(5 * time.Minute)}, store.LinkUnknown, t0.Add(5 * time.Minute),
			`port "ge-0/0/1" of switch 10.0.0.1:161 last confirmed at 2026-03-01T10:05:00Z, more than 4m0s ago`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := judge(tc.ap, tc.sw, started, now, interval, stale)
			if got.Link != tc.link || !got.Since.Equal(tc.since) || got.Cause != tc.cause {
				t.Errorf("judge = %s since %v cause %q\nwant %s since %v cause %q", got.Link, got.Since, got.Cause, tc.link, tc.since, tc.cause)
			}
			if (got.Link == store.LinkUnknown) != (got.RetryAfter > 0) || (got.Link == store.LinkUnknown) != (got.Reason != "") {
				t.Errorf("RetryAfter = %v, reason %q for %s", got.RetryAfter, got.Reason, got.Link)
			}
		})
	}
}

// synthAgent: n up 1 Gbit/s ports "p1".."pN" at ifIndex 1..n.
func synthAgent(n int) *fakeagent.Agent {
	vbs := []ifmib.Varbind{
		{OID: ifmib.OIDSysUpTime, Type: ifmib.TypeTimeTicks, Uint: 360000},
		{OID: ifmib.OIDIfTableLastChange, Type: ifmib.TypeTimeTicks, Uint: 50},
	}
	for i := 1; i <= n; i++ {
		name := []byte("p" + string(rune('0'+i)))
		vbs = append(vbs,
			ifmib.Varbind{OID: ifmib.ColName.Instance(i), Type: ifmib.TypeOctetString, Bytes: name},
			ifmib.Varbind{OID: ifmib.ColDescr.Instance(i), Type: ifmib.TypeOctetString, Bytes: name},
			ifmib.Varbind{OID: ifmib.ColAlias.Instance(i), Type: ifmib.TypeOctetString, Bytes: []byte{}},
			ifmib.Varbind{OID: ifmib.ColAdmin.Instance(i), Type: ifmib.TypeInteger, Int: 1},
			ifmib.Varbind{OID: ifmib.ColOper.Instance(i), Type: ifmib.TypeInteger, Int: 1},
			ifmib.Varbind{OID: ifmib.ColHighSpeed.Instance(i), Type: ifmib.TypeGauge32, Uint: 1000},
			ifmib.Varbind{OID: ifmib.ColSpeed.Instance(i), Type: ifmib.TypeGauge32, Uint: 1e9},
			ifmib.Varbind{OID: ifmib.ColLastChange.Instance(i), Type: ifmib.TypeTimeTicks, Uint: 100},
		)
	}
	return fakeagent.New(vbs)
}

// rig is a real store and poller over a fake network, joined by Links.
type rig struct {
	db    *store.DB
	links *Links
	pol   *poller.Poller
	agent *fakeagent.Agent
}

func newRig(t *testing.T) *rig {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), store.FileName), store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	var in []store.Incoming
	for _, a := range []struct{ id, opt82 string }{{"A1", "sw1 p1"}, {"A2", "sw1 p2"}, {"A3", "sw1 p9"}, {"A4", "10.9.9.9 p1"}} {
		in = append(in, store.Incoming{Access: inventory.Access{AccessID: a.id, StreetName: "Gatan", PostalCode: "10000", City: "Stad",
			CountryCode: "SE", PremisesType: inventory.ResidentialHouse, Activatable: inventory.Yes, Sellable: inventory.Yes, Option82: a.opt82}})
	}
	if _, err := db.Inventory().Import(in, store.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	r := &rig{db: db, agent: synthAgent(3)}
	net := fakeagent.NewNetwork()
	net.Add("10.0.0.1:161", r.agent)
	w := db.Ports().NewWriter(store.PortWriterOptions{})
	r.links, err = New(db.Ports(), w, Options{Interval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	o := poller.DefaultOptions()
	o.Interval, o.Timeout, o.Retries, o.Dialer = time.Hour, 20*time.Millisecond, 0, net
	r.pol, err = poller.New(r.links, o)
	if err != nil {
		t.Fatal(err)
	}
	inv := map[string][]string{}
	db.Ports().EachAccessPort(func(_, sw, port string) error {
		inv[strings.Clone(sw)] = append(inv[sw], strings.Clone(port))
		return nil
	})
	plan := Config{Default: client.Credentials{Community: "public"}, Switches: []Switch{{Address: "10.0.0.1", Name: "sw1"}}}.Plan(inv)
	r.links.SetPlan(plan)
	if err := r.pol.SetSwitches(plan.Switches); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{}, 2)
	go func() { w.Run(ctx); done <- struct{}{} }()
	go func() { r.pol.Run(ctx); done <- struct{}{} }()
	t.Cleanup(func() { cancel(); <-done; <-done })
	<-r.pol.Ready()
	r.sync(t)
	return r
}

func (r *rig) sync(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := r.links.Sync(ctx); err != nil {
		t.Fatal(err)
	}
}

func (r *rig) poll(t *testing.T) {
	t.Helper()
	if err := r.pol.PollNow(context.Background(), false); err != nil {
		t.Fatal(err)
	}
	r.sync(t)
}

func (r *rig) link(t *testing.T, id string) store.LinkState {
	t.Helper()
	ls, err := r.links.Link(id)
	if err != nil {
		t.Fatalf("Link(%s): %v", id, err)
	}
	return ls
}

// Through a real poller and store: UP, a pulled cable, an unreachable
// switch, back again; the report counts the flap.
func TestLinksThroughPollerAndStore(t *testing.T) {
	r := newRig(t)
	got := r.link(t, "A1")
	want := store.LinkState{AccessID: "A1", Switch: "sw1", Port: "p1", Address: "10.0.0.1:161", Link: store.LinkUp, SinceExact: true,
		SpeedMbps: 1000, Admin: "up", Oper: "up", Source: "poll"}
	if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(store.LinkState{}, "Since", "Confirmed")); diff != "" {
		t.Errorf("A1 (-want +got):\n%s", diff)
	}
	if ls := r.link(t, "A3"); ls.Link != store.LinkUnknown || ls.Cause != `port "p9" on switch 10.0.0.1:161: port "p9": no interface has this name` {
		t.Errorf("A3 (no such port) = %+v", ls)
	}
	if ls := r.link(t, "A4"); ls.Link != store.LinkUnknown || ls.Address != "10.9.9.9:161" || !strings.Contains(ls.Cause, "does not answer since") {
		t.Errorf("A4 (a switch that is not there) = %+v", ls)
	}
	if _, err := r.links.Link("NOPE"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown access: %v", err)
	}

	// an idle cycle writes nothing
	before := r.links.w.Stats().Updates
	r.poll(t)
	if after := r.links.w.Stats().Updates; after != before {
		t.Errorf("an idle cycle wrote %d port states", after-before)
	}

	upSince := r.link(t, "A1").Since
	r.agent.SetOper(1, ifmib.OperLowerLayerDown)
	r.poll(t)
	if ls := r.link(t, "A1"); ls.Link != store.LinkDown || ls.Oper != "lowerLayerDown" || !ls.Since.After(upSince) {
		t.Errorf("A1 after the cable was pulled = %+v", ls)
	}
	r.agent.SetDown(true)
	r.poll(t)
	if ls := r.link(t, "A2"); ls.Link != store.LinkUnknown || ls.RetryAfter <= 0 {
		t.Errorf("A2 on a silent switch = %+v", ls)
	}
	r.agent.SetDown(false)
	r.agent.SetOper(1, ifmib.OperUp)
	r.poll(t)
	rep, err := r.links.Report("A1")
	if err != nil {
		t.Fatal(err)
	}
	if rep.Link != store.LinkUp || rep.Flaps.Day != 1 || rep.SwitchStatus == nil || !rep.SwitchStatus.Reachable {
		t.Errorf("report = %+v", rep)
	}
	if len(rep.FlapTimes) != 1 || rep.FlapTimes[0].After(time.Now()) || time.Since(rep.FlapTimes[0]) > time.Hour {
		t.Errorf("flap times of the day = %v, want the one flap just now", rep.FlapTimes)
	}
	var seq []string
	for _, h := range rep.History {
		seq = append(seq, string(h.From)+">"+string(h.Link))
	}
	if diff := cmp.Diff([]string{"UNKNOWN>UP", "DOWN>UNKNOWN", "UP>DOWN", ">UP"}, seq); diff != "" {
		t.Errorf("history, newest first (-want +got):\n%s", diff)
	}
}

// The poller's link states convert to the store's by name; anything else
// is UNKNOWN.
func TestStoreLink(t *testing.T) {
	for _, l := range []ifmib.Link{ifmib.LinkUp, ifmib.LinkDown, ifmib.LinkUnknown} {
		if got := storeLink(l); string(got) != string(l) {
			t.Errorf("storeLink(%q) = %q", l, got)
		}
	}
	for _, l := range []ifmib.Link{"", "up", "TESTING"} {
		if got := storeLink(l); got != store.LinkUnknown {
			t.Errorf("storeLink(%q) = %q, want UNKNOWN", l, got)
		}
	}
}
