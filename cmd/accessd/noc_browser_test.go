package main_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/stadsnat/accessd/cmd/accessd/internal/demosim"
	"github.com/stadsnat/accessd/internal/testkit"
	"github.com/stadsnat/accessd/internal/testkit/browser"
	"github.com/stadsnat/accessd/store"
	"github.com/stadsnat/accessd/store/inventory"
)

// nocLab is the real daemon (built from this tree, its own configuration)
// with the demo inventory, polling a simulated switch that the test runs
// and fed by a simulated DHCP relay that the test runs.
type nocLab struct {
	t     *testing.T
	base  string
	sock  string
	ctl   string
	sw    *demosim.Switch
	proc  *testkit.Process
	texts []string
}

// startNOCLab starts the switch, the daemon (which polls the switch and
// gets its traps), imports the demo inventory with accessctl and starts
// the relay; it returns once the daemon knows the link of ALS10002 and the
// binding of 10.67.1.11.
func startNOCLab(t *testing.T) *nocLab {
	t.Helper()
	bins := testkit.Binaries(t)
	dir := t.TempDir()
	l := &nocLab{t: t, base: "http://" + testkit.FreeTCPAddr(t), sock: filepath.Join(dir, "admin.sock"), ctl: bins.Accessctl}
	csv := filepath.Join("..", "..", "testdata", "demo", "accesses.csv")
	l.texts = demoTexts(t, csv)
	relay, trap := fmt.Sprintf("127.0.0.1:%d", testkit.FreeUDPPort(t)), fmt.Sprintf("127.0.0.1:%d", testkit.FreeUDPPort(t))
	var err error
	l.sw, err = demosim.NewSwitch(demosim.SwitchOptions{Listen: "127.0.0.1:0", Ports: demosim.PortsFromOption82(l.texts, "127.0.0.1"),
		Down: []string{"acc11"}, FlapEvery: -1, TrapTo: trap})
	if err != nil {
		t.Fatal(err)
	}
	ready := make(chan struct{})
	testkit.Go(t, "simulated switch", func(ctx context.Context) error { return l.sw.Run(ctx, func() { close(ready) }) })
	<-ready
	hook := filepath.Join(dir, "hook")
	if err := os.WriteFile(hook, []byte("#!/bin/sh\ncat > /dev/null\necho provisioned\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "accessd.yaml")
	_, swPort, _ := strings.Cut(l.sw.Addr(), ":")
	y := fmt.Sprintf(`state_dir: %s
ko_id: NOC
environment: test
http: {listen: ["%s"]}
admin: {socket: %s, mode: "0600"}
users:
  - {name: noc, password: pw, apis: [noc]}
  - {name: sp, password: pw, apis: [pi-api]}
dhcp: {relay: {listen: "%s", allowed_sources: [127.0.0.1/32]}}
snmp:
  interval: 5s
  timeout: 1s
  retries: 0
  port: %s
  groups: [{name: lab, community: public, match: ["127.0.0.0/8"]}]
  traps: {listen: "%s", community: public}
activation: {hook: %s}
services:
  - {uid: BB100100, name: "Bredband 100/100", type: broadband, capacity_kbit: 100000, direct_activation: true}
`, filepath.Join(dir, "state"), strings.TrimPrefix(l.base, "http://"), l.sock, relay, swPort, trap, hook)
	if err := os.WriteFile(cfg, []byte(y), 0o600); err != nil {
		t.Fatal(err)
	}
	l.proc = testkit.NewProcess(t, bins.Accessd, "-config", cfg)
	l.proc.CleanExit = true
	l.proc.Start()
	l.proc.WaitReady(30*time.Second, testkit.HTTPReady(l.base+"/readyz"))
	if out, err := l.accessctl("import", csv); err != nil {
		t.Fatalf("accessctl import: %v\n%s", err, out)
	}
	r, err := demosim.NewRelay(demosim.RelayOptions{Target: relay, Circuits: demosim.CircuitsFromOption82(l.texts, ""),
		FirstRenew: time.Second, Renew: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	testkit.Go(t, "simulated relay", func(ctx context.Context) error { return r.Run(ctx, nil) })
	l.waitLink("ALS10002", "UP")
	testkit.WaitUntil(t, 20*time.Second, "the binding of 10.67.1.11", func() bool {
		out, err := l.accessctl("lookup", "ip", "10.67.1.11")
		return err == nil && strings.Contains(out, "ALS10002")
	})
	return l
}

// demoTexts is the Option82 text of every access of the inventory file.
func demoTexts(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	in, err := store.ReadIncoming(inventory.CSV, bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, a := range in {
		out = append(out, a.Access.Option82)
	}
	return out
}

func (l *nocLab) accessctl(args ...string) (string, error) {
	out, err := exec.Command(l.ctl, append([]string{"-socket", l.sock}, args...)...).CombinedOutput()
	return string(out), err
}

// waitLink waits until PI-API says the access's link is want.
func (l *nocLab) waitLink(id, want string) {
	l.t.Helper()
	testkit.WaitUntil(l.t, 20*time.Second, id+"'s link "+want, func() bool {
		req, _ := http.NewRequest("GET", l.base+"/api/2.3/accesses/"+id+"/link", nil)
		req.SetBasicAuth("sp", "pw")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		var b bytes.Buffer
		b.ReadFrom(resp.Body)
		return strings.Contains(b.String(), `"link":"`+want+`"`)
	})
}

// TestNOCBrowser drives the NOC pages of the real daemon in a real
// headless Chromium, with JavaScript on and off: the search finds an
// access by a DHCP client's IP, its page shows the link state and speed
// the simulated switch reports, and after the test unplugs the port on
// the switch a reload shows DOWN; no page causes a console error or a CSP
// violation. Then it takes the screenshots of docs/ (ACCESSD_SCREENSHOTS=1
// or ACCESSD_UPDATE_GOLDEN=1 writes them).
func TestNOCBrowser(t *testing.T) {
	b := browser.Start(t)
	l := startNOCLab(t)
	for _, noScript := range []bool{false, true} {
		name := map[bool]string{false: "scripts on", true: "scripts off"}[noScript]
		t.Run(name, func(t *testing.T) {
			var p browser.Problems
			ctx := browser.NewTab(t, b, &p, browser.Tab{NoScript: noScript, User: "noc", Password: "pw"})
			browser.Navigate(t, ctx, l.base+"/noc/", 200)
			browser.Follow(t, ctx, "search 10.67.1.11", chromedp.SendKeys(chromedp.ID("q"), "10.67.1.11\n"))
			if got := browser.OuterHTML(t, ctx, "main"); !strings.Contains(got, "Searched as IP") || !strings.Contains(got, "ALS10002") {
				t.Fatalf("the search for 10.67.1.11 did not find ALS10002:\n%s", got)
			}
			browser.Follow(t, ctx, "follow ALS10002", chromedp.Click(chromedp.CSS(`main a[href="/noc/access/ALS10002"]`)))
			if got := browser.OuterHTML(t, ctx, "#link-state"); !strings.Contains(got, ">UP<") || !strings.Contains(got, "100 Mbit/s") {
				t.Fatalf("link state of ALS10002: %s, want UP at 100 Mbit/s as the switch reports", got)
			}
			if err := l.sw.SetLink("acc1", false); err != nil {
				t.Fatal(err)
			}
			l.waitLink("ALS10002", "DOWN")
			browser.Follow(t, ctx, "reload", chromedp.Reload())
			if got := browser.OuterHTML(t, ctx, "#link-state"); !strings.Contains(got, ">DOWN<") {
				t.Errorf("link state after the port went down on the switch: %s, want DOWN", got)
			}
			if err := l.sw.SetLink("acc1", true); err != nil {
				t.Fatal(err)
			}
			l.waitLink("ALS10002", "UP")
			browser.Navigate(t, ctx, l.base+"/noc/switches", 200)
			if got := browser.OuterHTML(t, ctx, "#switches"); !strings.Contains(got, l.sw.Addr()) {
				t.Errorf("the switches page does not list the simulated switch %s: %s", l.sw.Addr(), got)
			}
			browser.Navigate(t, ctx, l.base+"/noc/circuits", 200)
			for _, pr := range p.Take() {
				t.Errorf("%s", pr)
			}
		})
	}
	t.Run("screenshots", func(t *testing.T) {
		l.order("ALS10002")
		var p browser.Problems
		ctx := browser.NewTab(t, b, &p, browser.Tab{User: "noc", Password: "pw"})
		browser.Screenshot(t, ctx, l.base+"/noc/access/ALS10002", filepath.Join("..", "..", "docs", "noc-access.png"))
		browser.Screenshot(t, ctx, l.base+"/noc/switches", filepath.Join("..", "..", "docs", "noc-switches.png"))
		for _, pr := range p.Take() {
			t.Errorf("%s", pr)
		}
	})
}

// order activates a service on an access through PI-API and waits until
// the hook carried it out, so the access page shows a service and an
// order with its events.
func (l *nocLab) order(id string) {
	l.t.Helper()
	req, _ := http.NewRequest("POST", l.base+"/api/2.3/orders/",
		strings.NewReader(`{"accessId":"`+id+`","service":"BB100100","operation":"ACTIVATE","forcedTakeover":false}`))
	req.SetBasicAuth("sp", "pw")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		l.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 201 {
		l.t.Fatalf("order on %s: %d", id, resp.StatusCode)
	}
	testkit.WaitUntil(l.t, 10*time.Second, "the order to be carried out", func() bool {
		out, err := l.accessctl("services", id)
		return err == nil && strings.Contains(out, "BB100100")
	})
}
