package main

import (
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/stadsnat/accessd/cmd/internal/admin"
)

// accessctl port prints the link, its freshness, the flaps and the
// history for people.
func TestPrintPort(t *testing.T) {
	now := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
	since := now.Add(-90 * time.Minute)
	rep := admin.PortReport{
		AccessID: "A1", Switch: "sw1", Port: "ge-0/0/1", Address: "10.0.0.1:161", Link: admin.LinkUp,
		Since: since, SinceExact: true, SpeedMbps: 1000, Admin: "up", Oper: "up", Confirmed: now.Add(-20 * time.Second), Source: "poll",
		Record: &admin.PortRecord{IfIndex: 7, MatchedBy: "ifName", Group: "cisco", Source: "poll"},
		SwitchStatus: &admin.SwitchStatus{Address: "10.0.0.1:161", Reachable: true, PolledAt: now.Add(-20 * time.Second),
			LastCyclePackets: 1},
		Flaps: admin.FlapCounts{Hour: 0, Day: 1},
		History: []admin.PortTransition{
			{At: since.Add(3 * time.Second), Since: since, SinceExact: true, From: admin.LinkDown, Link: admin.LinkUp, Admin: "up", Oper: "up", SpeedMbps: 1000, Source: "trap"},
			{At: since.Add(-time.Hour), Since: since.Add(-time.Hour), SinceExact: true, From: admin.LinkUp, Link: admin.LinkDown, Admin: "up", Oper: "lowerLayerDown", SpeedMbps: 1000, Source: "poll", Flap: true},
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

	rep.Link, rep.Cause, rep.Since = admin.LinkUnknown, "switch 10.0.0.1:161 does not answer since …", now.Add(-time.Minute)
	b.Reset()
	(clock{now, time.UTC}).printPort(&b, &rep)
	if !strings.Contains(b.String(), "link       UNKNOWN: switch 10.0.0.1:161 does not answer") || !strings.Contains(b.String(), "(not fresh)") {
		t.Errorf("unknown link:\n%s", b.String())
	}
}

// accessctl(8) names every column accessctl switches prints.
func TestSwitchesColumnsDocumented(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "admin.sock")
	ln, err := admin.Listen(sock, 0o600, "")
	if err != nil {
		t.Fatal(err)
	}
	m := admin.NewMux(slog.New(slog.DiscardHandler))
	m.Handle("GET "+admin.PathSwitches, func(w http.ResponseWriter, r *http.Request) error {
		return admin.WriteJSON(w, admin.SwitchList{Switches: []admin.SwitchStatus{{Address: "10.0.0.1:161", Group: "g", Reachable: true}},
			Problems: []string{"switch x: no credentials"}})
	})
	srv := &http.Server{Handler: m}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	code, out, errOut := runCtl(t, "-socket", sock, "switches")
	if code != 0 {
		t.Fatalf("accessctl switches: %d %s", code, errOut)
	}
	header := strings.Split(out, "\n")[0]
	cols := regexp.MustCompile(`\S+( \S+)*`).FindAllString(header, -1)
	if len(cols) < 5 {
		t.Fatalf("header %q: too few columns", header)
	}
	page, err := os.ReadFile(filepath.Join("..", "..", "docs", "man", "accessctl.8.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, entry, _ := strings.Cut(string(page), "**switches**\n")
	entry, _, _ = strings.Cut(entry, "\n\n")
	for _, c := range cols {
		if !strings.Contains(entry, "**"+c+"**") {
			t.Errorf("accessctl(8) switches does not name the column **%s**:\n%s", c, entry)
		}
	}
	if !strings.Contains(entry, "**not polled**") {
		t.Errorf("accessctl(8) switches does not name the not polled list")
	}
}
