package main

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/stadsnat/accessd/store"
)

// accessctl port prints the link, its freshness, the flaps and the
// history for people.
func TestPrintPort(t *testing.T) {
	now := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
	since := now.Add(-90 * time.Minute)
	rep := store.PortReport{
		LinkState: store.LinkState{AccessID: "A1", Switch: "sw1", Port: "ge-0/0/1", Address: "10.0.0.1:161", Link: store.LinkUp,
			Since: since, SinceExact: true, SpeedMbps: 1000, Admin: "up", Oper: "up", Confirmed: now.Add(-20 * time.Second), Source: "poll"},
		Record: &store.PortRecord{PortState: store.PortState{IfIndex: 7, MatchedBy: "ifName", Group: "cisco", Source: "poll"}},
		SwitchStatus: &store.SwitchStatus{Address: "10.0.0.1:161", Reachable: true, PolledAt: now.Add(-20 * time.Second),
			LastCyclePackets: 1},
		Flaps: store.FlapCounts{Hour: 0, Day: 1},
		History: []store.PortTransition{
			{At: since.Add(3 * time.Second), Since: since, SinceExact: true, From: store.LinkDown, Link: store.LinkUp, Admin: "up", Oper: "up", SpeedMbps: 1000, Source: "trap"},
			{At: since.Add(-time.Hour), Since: since.Add(-time.Hour), SinceExact: true, From: store.LinkUp, Link: store.LinkDown, Admin: "up", Oper: "lowerLayerDown", SpeedMbps: 1000, Source: "poll", Flap: true},
		},
		Interval: time.Minute, Stale: 4 * time.Minute,
	}
	var b strings.Builder
	if err := (clock{now, time.UTC}).printPort(&b, &rep); err != nil {
		t.Fatal(err)
	}
	want := `access     A1
port       ge-0/0/1 on switch sw1 (10.0.0.1:161)
link       UP
since      2026-03-02 10:30:00 (1h30m0s ago)
status     admin up, oper up
speed      1 Gbit/s
flaps      0 in the last hour, 1 in the last day
confirmed  2026-03-02 11:59:40 (20s ago) (fresh: polled every 1m0s, unknown after 4m0s without confirmation, 3m40s left)
source     poll, ifIndex 7 matched by ifName, group cisco
switch     answers; last poll 2026-03-02 11:59:40 (20s ago), 1 packets

history (newest first)
AT                   SINCE                FROM  LINK  ADMIN  OPER            SPEED     SOURCE  NOTE
2026-03-02 10:30:03  2026-03-02 10:30:00  DOWN  UP    up     up              1 Gbit/s  trap    
2026-03-02 09:30:00  2026-03-02 09:30:00  UP    DOWN  up     lowerLayerDown  1 Gbit/s  poll    flap
`
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("accessctl port (-want +got):\n%s", diff)
	}

	rep.Link, rep.Cause, rep.Since = store.LinkUnknown, "switch 10.0.0.1:161 does not answer since …", now.Add(-time.Minute)
	b.Reset()
	(clock{now, time.UTC}).printPort(&b, &rep)
	if !strings.Contains(b.String(), "link       UNKNOWN: switch 10.0.0.1:161 does not answer") || !strings.Contains(b.String(), "(not fresh)") {
		t.Errorf("unknown link:\n%s", b.String())
	}
}
