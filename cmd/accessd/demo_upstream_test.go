package main_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/stadsnat/accessd/cmd/accessd/internal/upstream/atlasportal"
	"github.com/stadsnat/accessd/cmd/internal/admin"
	"github.com/stadsnat/accessd/internal/testkit"
)

var (
	bannerState  = regexp.MustCompile(`(?m)^  state directory +(\S+) `)
	bannerPortal = regexp.MustCompile(`(?m)^    Atlas portal +(http://127\.0\.0\.1:[0-9]+/\S+) \(api_user ([0-9]+), key in (\S+)\)`)
	bannerOrder  = regexp.MustCompile(`(?m)^ +order ([0-9]+): (\S+) on (\S+) for `)
	bannerPlant  = regexp.MustCompile(`(?m)^    Cubit +http://\S+ .*: the plant of (\S+), metering point ([0-9]{18})$`)
)

// checkUpstream: the demo syncs upstream with its simulated systems, as
// `accessctl upstream` and the systems themselves show it: both sinks
// (the Atlas portal's and Cubit's) configured, running and with nothing
// left to deliver, nothing parked; the portal's follower read in the
// banner's orders without an error; the portal itself says the order for
// today is delivered (carried out by the demo hook, whose record names
// it) and the later one waiting; the plant reads back from Cubit as the
// inventory has it; and the demo provider answers `accessctl customer`
// for the access its order (checkOrder) gave it.
func (d *demoRun) checkUpstream() {
	t := d.t
	orders := bannerOrder.FindAllStringSubmatch(d.proc.Log(), -1)
	if len(orders) == 0 {
		t.Fatal("the demo's banner names no portal order")
	}
	deadline := time.Now().Add(10 * time.Second)
	for why := d.upstreamLag(len(orders)); why != ""; why = d.upstreamLag(len(orders)) {
		if time.Now().After(deadline) {
			t.Fatalf("accessctl upstream after 10s: %s", why)
		}
		time.Sleep(testkit.PollInterval)
	}
	d.checkPortal(orders)
	d.checkPlant()
	out, err := d.ctl("-json", "customer", "ALS10001")
	var cs admin.Customers
	if err != nil || json.Unmarshal([]byte(out), &cs) != nil || len(cs.Providers) != 1 ||
		cs.Providers[0].Provider != "demo" || cs.Providers[0].Error != "" || len(cs.Providers[0].Services) == 0 {
		t.Errorf("accessctl customer ALS10001: %v\n%s\nwant the demo provider's answer", err, out)
	}
}

// upstreamLag says what `accessctl -json upstream` still lacks ("" when
// nothing): the portal's and Cubit's sinks delivered and idle, the
// follower's n orders read in.
func (d *demoRun) upstreamLag(n int) string {
	out, err := d.ctl("-json", "upstream")
	var st admin.Upstream
	if err != nil || json.Unmarshal([]byte(out), &st) != nil {
		return fmt.Sprintf("%v: %s", err, out)
	}
	var why []string
	for _, name := range []string{"atlas-portal", "cubit"} {
		i := len(st.Sinks) - 1
		for i >= 0 && st.Sinks[i].Sink != name {
			i--
		}
		if i < 0 {
			why = append(why, "no sink "+name)
			continue
		}
		s := st.Sinks[i]
		if !s.Configured || s.Lag != 0 || s.Paused || s.Parked != 0 || s.Delivered == 0 || s.LastError != "" {
			why = append(why, fmt.Sprintf("sink %s: %+v", name, s))
		}
	}
	if p := st.Portal; p == nil || p.ReadIn != uint64(n) || p.LastError != "" || p.LastSuccess.IsZero() {
		why = append(why, fmt.Sprintf("portal follower %+v, want %d orders read in", p, n))
	}
	return strings.Join(why, "; ")
}

// checkPortal asks the simulated portal itself, as its API user with the
// key the demo wrote, for the status of each demo order.
func (d *demoRun) checkPortal(orders [][]string) {
	t := d.t
	log := d.proc.Log()
	m, st := bannerPortal.FindStringSubmatch(log), bannerState.FindStringSubmatch(log)
	if m == nil || st == nil {
		t.Fatal("the demo's banner names no Atlas portal or state directory")
	}
	key, err := atlasportal.LoadKey(filepath.Join(st[1], m[3]))
	if err != nil {
		t.Fatal(err)
	}
	c, err := atlasportal.NewClient(atlasportal.Config{URL: m[1], APIUser: m[2], APIKeyFile: m[3]}, key,
		&http.Client{Timeout: 5 * time.Second}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	hook, _ := os.ReadFile(filepath.Join(st[1], "hook-orders.jsonl"))
	for i, o := range orders {
		want := atlasportal.Status("waiting")
		if i == 0 { // today's, which the demo hook carries out
			want = "delivered"
			if !strings.Contains(string(hook), `"accessId":"`+o[3]+`"`) {
				t.Errorf("the demo hook has no record of portal order %s on %s:\n%s", o[1], o[3], hook)
			}
		}
		got, err := c.OrderInfo(context.Background(), o[1])
		if err != nil || got.Status != want || got.Socket != o[3] || got.ServiceUID != o[2] {
			t.Errorf("the simulated portal's order %s: %+v, %v; want %s of %s on %s", o[1], got, err, want, o[2], o[3])
		}
	}
}

// checkPlant reads the banner's plant back from the simulated Cubit.
func (d *demoRun) checkPlant() {
	t := d.t
	m := bannerPlant.FindStringSubmatch(d.proc.Log())
	if m == nil {
		t.Fatal("the demo's banner names no plant")
	}
	out, err := d.ctl("-json", "upstream", "verify", "cubit", m[2])
	var v admin.CubitVerification
	if err != nil || json.Unmarshal([]byte(out), &v) != nil || !v.Found || v.Kind != "plant" || len(v.Differences) != 0 ||
		!strings.Contains(string(v.Stored), m[2]) {
		t.Errorf("accessctl upstream verify cubit %s: %v\n%s\nwant the plant of %s found, as the inventory has it", m[2], err, out, m[1])
	}
}
