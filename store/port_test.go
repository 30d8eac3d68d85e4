package store

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	bolt "go.etcd.io/bbolt"

	"github.com/stadsnat/accessd/internal/testkit"
	"github.com/stadsnat/accessd/store/inventory"
)

var (
	pk1 = PortKey{Switch: "10.0.0.1:161", Port: "ge-0/0/1"}
	pk2 = PortKey{Switch: "10.0.0.1:161", Port: "ge-0/0/2"}
	tp  = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
)

func up(since time.Time) PortState {
	return PortState{Admin: "up", Oper: "up", Link: LinkUp, SpeedMbps: 1000, Since: since, SinceExact: true,
		PolledAt: since, Source: "poll", Reachable: true}
}

func down(since time.Time) PortState {
	return PortState{Admin: "up", Oper: "lowerLayerDown", Link: LinkDown, SpeedMbps: 1000, Since: since, SinceExact: true,
		PolledAt: since, Source: "poll", Reachable: true}
}

func unreachable(since time.Time) PortState {
	return PortState{Link: LinkUnknown, Since: since, SinceExact: true, PolledAt: since, Source: "poll"}
}

// nextPort: which changes make a history entry and which are flaps.
func TestNextPortTransitionsAndFlaps(t *testing.T) {
	adminDown := down(tp.Add(time.Minute))
	adminDown.Admin, adminDown.Oper = "down", "down"
	slower := up(tp)
	slower.SpeedMbps = 100
	inexact := up(tp.Add(time.Hour))
	inexact.SinceExact = false
	notFound := PortState{Link: LinkUnknown, Reachable: true, Problem: `port "x": no interface has this name`, Since: tp}
	for _, tc := range []struct {
		name       string
		steps      []PortState
		entries    int  // history entries made by the last step (0 or 1)
		flap       bool // the last step is a flap
		known      Link
		knownSince time.Time
	}{
		{"first state", []PortState{up(tp)}, 1, false, LinkUp, tp},
		{"confirmed again", []PortState{up(tp), up(tp)}, 0, false, LinkUp, tp},
		{"since jitter within 2 s", []PortState{up(tp), up(tp.Add(1500 * time.Millisecond))}, 0, false, LinkUp, tp.Add(1500 * time.Millisecond)},
		{"cable pulled", []PortState{up(tp), down(tp.Add(time.Minute))}, 1, true, LinkDown, tp.Add(time.Minute)},
		{"back up is no flap", []PortState{down(tp), up(tp.Add(time.Minute))}, 1, false, LinkUp, tp.Add(time.Minute)},
		{"down and up between polls", []PortState{up(tp), up(tp.Add(time.Minute))}, 1, true, LinkUp, tp.Add(time.Minute)},
		{"up and down between polls", []PortState{down(tp), down(tp.Add(time.Minute))}, 1, true, LinkDown, tp.Add(time.Minute)},
		{"admin down is no flap", []PortState{up(tp), adminDown}, 1, false, LinkDown, tp.Add(time.Minute)},
		{"speed change while up", []PortState{up(tp), slower}, 1, false, LinkUp, tp},
		{"unreachable", []PortState{up(tp), unreachable(tp.Add(time.Minute))}, 1, false, LinkUp, tp},
		{"unreachable then up, unchanged", []PortState{up(tp), unreachable(tp.Add(time.Minute)), up(tp)}, 1, false, LinkUp, tp},
		{"lost during the outage", []PortState{up(tp), unreachable(tp.Add(time.Minute)), down(tp.Add(2 * time.Minute))}, 1, true, LinkDown, tp.Add(2 * time.Minute)},
		{"flapped during the outage", []PortState{up(tp), unreachable(tp.Add(time.Minute)), up(tp.Add(2 * time.Minute))}, 1, true, LinkUp, tp.Add(2 * time.Minute)},
		{"agent restart: inexact since is no flap", []PortState{up(tp), inexact}, 0, false, LinkUp, tp.Add(time.Hour)},
		{"port not found", []PortState{up(tp), notFound}, 1, false, LinkUp, tp},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var old *PortRecord
			var last *PortTransition
			for i, st := range tc.steps {
				rec, tr := nextPort(old, pk1, st, tp.Add(time.Duration(i)*time.Hour))
				old, last = &rec, tr
			}
			if got := last != nil; got != (tc.entries == 1) {
				t.Fatalf("history entry = %+v, want one: %v", last, tc.entries == 1)
			}
			if last != nil && last.Flap != tc.flap {
				t.Errorf("flap = %v, want %v (%+v)", last.Flap, tc.flap, last)
			}
			if old.Known != tc.known || !old.KnownSince.Equal(tc.knownSince) {
				t.Errorf("known = %s since %v, want %s since %v", old.Known, old.KnownSince, tc.known, tc.knownSince)
			}
		})
	}
}

// The history keeps the last N transitions and the flaps of one day; a
// flap is dated by its exact since when that lies within the day.
func TestPortHistoryBounds(t *testing.T) {
	var h PortHistory
	now := tp
	for i := range 10 {
		h.add(PortTransition{At: now, Link: LinkDown, Flap: i%2 == 0, Since: now.Add(-time.Minute), SinceExact: true}, now, 4)
		now = now.Add(20 * time.Minute)
	}
	if len(h.Transitions) != 4 || !h.Transitions[3].At.Equal(tp.Add(180*time.Minute)) {
		t.Errorf("transitions kept: %d, last at %v", len(h.Transitions), h.Transitions[len(h.Transitions)-1].At)
	}
	// flaps at 0, 40, … 160 minutes, each dated a minute before
	want := FlapCounts{Hour: 1, Day: 5}
	if diff := cmp.Diff(want, h.CountFlaps(tp.Add(3*time.Hour))); diff != "" {
		t.Errorf("counts at +3h (-want +got):\n%s", diff)
	}
	// a day later the old ones are gone once something is written
	later := tp.Add(28 * time.Hour)
	h.add(PortTransition{At: later, Link: LinkUp}, later, 4)
	if len(h.Flaps) != 0 {
		t.Errorf("flaps older than a day kept: %v", h.Flaps)
	}
	// a since from long ago dates the flap when accessd learnt of it
	h.add(PortTransition{At: later, Link: LinkDown, Flap: true, Since: tp, SinceExact: true}, later, 4)
	if c := h.CountFlaps(later); c.Hour != 1 || c.Day != 1 {
		t.Errorf("old since: %+v", c)
	}
	// more than maxFlaps in a day: lower bounds
	var many PortHistory
	for i := range maxFlaps + 5 {
		at := tp.Add(time.Duration(i) * time.Second)
		many.add(PortTransition{At: at, Flap: true, Since: at, SinceExact: true}, at, 4)
	}
	c := many.CountFlaps(tp.Add(maxFlaps * time.Second))
	if c.Day != maxFlaps || !c.AtLeast {
		t.Errorf("saturated counts = %+v", c)
	}
}

func startWriter(t *testing.T, d *DB) *PortWriter {
	t.Helper()
	w := d.Ports().NewWriter(PortWriterOptions{HistoryLen: 8})
	testkit.Go(t, "port writer", w.Run)
	return w
}

func syncWriter(t *testing.T, w *PortWriter) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := w.Sync(ctx); err != nil {
		t.Fatal(err)
	}
}

// The writer stores states, history and flaps, removes ports, and reads
// give them back through an access.
func TestPortWriterAndAccessPort(t *testing.T) {
	d, clk := openTest(t)
	in := incoming(acc("A1", "sw1 ge-0/0/1"), acc("A2", "sw1 ge-0/0/2"), acc("A3", "rl-down"))
	a4 := acc("A4", "a4-circuit") // one word: names no switch
	a4.DHCPIdentifier = inventory.DHCPIdentifier{IPv4RemoteID: "sw2", IPv4CircuitID: "1/1/4"}
	in = append(in, Incoming{Access: a4})
	if _, err := d.Inventory().Import(in, ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	w := startWriter(t, d)
	w.Submit(PortUpdate{Key: pk1, State: up(tp)}, PortUpdate{Key: pk2, State: up(tp)})
	w.Submit(PortUpdate{Key: pk1, State: down(tp.Add(time.Minute))})
	syncWriter(t, w)
	clk.t = tp.Add(time.Hour)
	w.Submit(PortUpdate{Key: pk1, State: up(tp.Add(time.Hour))})
	syncWriter(t, w)

	addr := func(name string) (string, bool) {
		if name == "sw1" {
			return "10.0.0.1:161", true
		}
		return "", false
	}
	ap, err := d.Ports().AccessPort("A1", addr, true)
	if err != nil {
		t.Fatal(err)
	}
	if ap.SwitchName != "sw1" || ap.Key != pk1 || ap.Record == nil || ap.Record.Link != LinkUp || !ap.Record.Since.Equal(tp.Add(time.Hour)) {
		t.Errorf("A1 = %+v %+v", ap, ap.Record)
	}
	var links []string
	for _, tr := range ap.History.Transitions {
		links = append(links, fmt.Sprintf("%s>%s flap=%v", tr.From, tr.Link, tr.Flap))
	}
	if diff := cmp.Diff([]string{">UP flap=false", "UP>DOWN flap=true", "DOWN>UP flap=false"}, links); diff != "" {
		t.Errorf("A1 history (-want +got):\n%s", diff)
	}
	if c := ap.History.CountFlaps(tp.Add(time.Hour)); c.Hour != 0 || c.Day != 1 {
		t.Errorf("A1 flaps = %+v", c)
	}
	if st := w.Stats(); st.Batches < 2 || st.Updates != 4 || st.Transitions != 4 || st.Flaps != 1 {
		t.Errorf("stats = %+v", st)
	}

	// A4's port comes from its dhcpIdentifier; its switch is not polled.
	ap, err = d.Ports().AccessPort("A4", addr, false)
	if err != nil || ap.SwitchName != "sw2" || ap.Key.Port != "1/1/4" || ap.Key.Switch != "" || ap.Record != nil {
		t.Errorf("A4 = %+v, %v", ap, err)
	}
	if _, err := d.Ports().AccessPort("A3", addr, false); !errors.Is(err, ErrNoPort) {
		t.Errorf("A3 (no switch) = %v, want ErrNoPort", err)
	}
	if _, err := d.Ports().AccessPort("NOPE", addr, false); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown access = %v, want ErrNotFound", err)
	}

	w.Submit(PortUpdate{Key: pk2, Removed: true})
	syncWriter(t, w)
	if r, h, err := d.Ports().Get(pk2, true); err != nil || r != nil || len(h.Transitions) != 0 {
		t.Errorf("removed port = %+v %+v %v", r, h, err)
	}
}

// EachAccessPort lists the ports the inventory names; AccessGeneration moves
// with every inventory change.
func TestEachAccessPortAndGeneration(t *testing.T) {
	d, _ := openTest(t)
	s0, _ := d.Inventory().Generation()
	if _, err := d.Inventory().Import(incoming(acc("A1", "sw1 ge-0/0/1"), acc("A2", "  sw1   ge-0/0/2 "), acc("A3", "rl-down")), ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	s1, _ := d.Inventory().Generation()
	if s1 == s0 {
		t.Error("AccessGeneration did not move on import")
	}
	var got []string
	d.Ports().EachAccessPort(func(id, sw, port string) error {
		got = append(got, id+"|"+sw+"|"+port)
		return nil
	})
	if diff := cmp.Diff([]string{"A1|sw1|ge-0/0/1", "A2|sw1|ge-0/0/2"}, got); diff != "" {
		t.Errorf("ports (-want +got):\n%s", diff)
	}
	d.Inventory().RemoveAccess("A1")
	if s2, _ := d.Inventory().Generation(); s2 == s1 {
		t.Error("AccessGeneration did not move on removal")
	}
}

func TestPrunePorts(t *testing.T) {
	d, _ := openTest(t)
	w := startWriter(t, d)
	w.Submit(PortUpdate{Key: pk1, State: up(tp)}, PortUpdate{Key: pk2, State: up(tp)})
	syncWriter(t, w)
	n, err := d.Ports().Prune(func(k PortKey) bool { return k == pk1 })
	if err != nil || n != 1 {
		t.Fatalf("PrunePorts = %d, %v", n, err)
	}
	var left []PortKey
	d.Ports().Each(func(r *PortRecord) error { left = append(left, r.PortKey); return nil })
	if diff := cmp.Diff([]PortKey{pk1}, left); diff != "" {
		t.Errorf("ports left (-want +got):\n%s", diff)
	}
	if _, h, _ := d.Ports().Get(pk2, true); len(h.Transitions) != 0 {
		t.Error("history of a pruned port kept")
	}
}

// Migration 5 adds the port buckets to a file at schema 4 and keeps its
// accesses.
func TestMigration5CreatesPortBuckets(t *testing.T) {
	path := atSchema(t, 4, func(tx *bolt.Tx) error {
		if tx.Bucket(bucketPorts) != nil || tx.Bucket(bucketPortHistory) != nil {
			t.Error("port buckets exist before migration 5")
		}
		a := AccessRecord{Access: acc("A1", "sw1 ge-0/0/1"), Seq: 1, Modified: tp}
		if err := openIndexes(tx).put(&a, nil); err != nil {
			return err
		}
		return oldLayout(tx)
	})
	d, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	d.view(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketPorts) == nil || tx.Bucket(bucketPortHistory) == nil {
			t.Error("port buckets missing after migration 5")
		}
		return nil
	})
	if _, err := d.Inventory().Access("A1"); err != nil {
		t.Errorf("access after migration: %v", err)
	}
}

// BenchmarkPortWriter: a first cycle of 1,000 switches × 48 ports written
// through the writer (ns/op is per port update).
//
//	go test -run '^$' -bench PortWriter -benchtime 2x ./store/
func BenchmarkPortWriter(b *testing.B) {
	d, err := Open(b.TempDir()+"/"+FileName, Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	w := d.Ports().NewWriter(PortWriterOptions{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go w.Run(ctx)
	const switches, ports = 1000, 48
	b.ResetTimer()
	for n := range b.N {
		for s := range switches {
			us := make([]PortUpdate, ports)
			for p := range us {
				st := up(tp.Add(time.Duration(n) * time.Minute))
				us[p] = PortUpdate{Key: PortKey{Switch: fmt.Sprintf("10.1.%d.%d:161", s/256, s%256), Port: fmt.Sprintf("ge-0/0/%d", p)}, State: st}
			}
			w.Submit(us...)
		}
		if err := w.Sync(ctx); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*switches*ports), "ns/port")
	b.ReportMetric(float64(w.Stats().Batches)/float64(b.N), "tx/cycle")
}
