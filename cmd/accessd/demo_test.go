package main_test

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stadsnat/accessd/internal/testkit"
)

// demoRun is `accessd -demo` built from this tree, on kernel-chosen
// loopback ports, with a runtime directory of its own (where its admin
// socket goes and accessctl looks).
type demoRun struct {
	t    *testing.T
	bins testkit.Bins
	proc *testkit.Process
	base string   // http://127.0.0.1:PORT
	env  []string // XDG_RUNTIME_DIR and TMPDIR of the demo, for accessctl too
}

var bannerHTTP = regexp.MustCompile(`(?m)^  HTTP APIs +(http://127\.0\.0\.1:[0-9]+)/`)

// startDemo runs the demo and waits until it is ready (the simulated
// switch polled, the simulated relay's first round sent).
func startDemo(t *testing.T) *demoRun {
	t.Helper()
	testkit.SkipShort(t, "end-to-end test that builds and runs the demo")
	d := &demoRun{t: t, bins: testkit.Binaries(t)}
	d.env = []string{"XDG_RUNTIME_DIR=" + t.TempDir(), "TMPDIR=" + t.TempDir()}
	d.proc = testkit.NewProcess(t, d.bins.Accessd, "-demo", "-demo-listen", "127.0.0.1:0")
	d.proc.Env, d.proc.CleanExit = d.env, true
	d.proc.Start()
	d.proc.WaitReady(30*time.Second, func() error {
		m := bannerHTTP.FindStringSubmatch(d.proc.Log())
		if m == nil {
			return errNoBanner
		}
		d.base = m[1]
		return testkit.HTTPReady(d.base + "/readyz")()
	})
	return d
}

var errNoBanner = errorString("the demo has not printed its HTTP address yet")

type errorString string

func (e errorString) Error() string { return string(e) }

// get answers GET path as demo/demo.
func (d *demoRun) get(path string, hdr ...string) (int, http.Header, string) {
	d.t.Helper()
	req, err := http.NewRequest("GET", d.base+path, nil)
	if err != nil {
		d.t.Fatal(err)
	}
	req.SetBasicAuth("demo", "demo")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	c := &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		d.t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(resp.Body)
	return resp.StatusCode, resp.Header, b.String()
}

// ctl runs accessctl without -socket, as the demo's user would.
func (d *demoRun) ctl(args ...string) (string, error) {
	d.t.Helper()
	cmd := exec.Command(d.bins.Accessctl, args...)
	cmd.Env = append(os.Environ(), d.env...)
	cmd.Env = append(cmd.Env, "ACCESSD_SOCKET=")
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// TestDemoAnswersWithRealData: the demo answers what a NOC, the KO's staff
// and an integrator ask first, with data from its simulated switch and
// relay: link state and speed, leases, bindings, history, unknown
// circuits, the bounce URL for a simulated visitor, an order through the
// demo's hook, the NOC pages; and it syncs upstream with its simulated
// Atlas portal, Cubit and provider (checkUpstream); accessctl finds it
// without flags.
func TestDemoAnswersWithRealData(t *testing.T) {
	d := startDemo(t)
	var link struct {
		Link string `json:"link"`
		Up   *struct {
			Mbps    int `json:"mbps"`
			Clients []struct {
				MAC, IP string
			} `json:"clients"`
		} `json:"up"`
	}
	if code, _, body := d.get("/api/2.3/accesses/ALS10001/link"); code != 200 || json.Unmarshal([]byte(body), &link) != nil ||
		link.Link != "UP" || link.Up == nil || link.Up.Mbps != 1000 || len(link.Up.Clients) != 2 {
		t.Errorf("PI-API link of ALS10001: %d %s; want UP at 1000 Mbit/s with the relay's 2 clients", code, body)
	}
	if code, _, body := d.get("/onapi/2.6/tech/access/ALS10012/link/status"); code != 200 || !strings.Contains(body, `"link":false`) {
		t.Errorf("ON-API link status of ALS10012 (the simulated switch's down port): %d %s", code, body)
	}
	if code, _, body := d.get("/onapi/2.6/tech/access/ALS10002/link/leaseinfo"); code != 200 || strings.Count(body, `"lease":"10.67.1.`) != 3 {
		t.Errorf("ON-API leaseinfo of ALS10002: %d %s; want its 3 clients in 10.67.1.0/24", code, body)
	}
	for _, c := range []struct{ args, want string }{
		{"status", "ready        yes"},
		{"bindings ALS10001", "10.67.0.10"},
		{"lookup ip 10.67.2.10", "ALS10003"},
		{"history ip 10.67.0.111", "ALS10001"},
		{"circuits --unknown", "127.0.0.1 acc99"},
		{"port ALS10002", "100 Mbit/s"},
		{"switches", "127.0.0.1:"},
	} {
		out, err := d.ctl(strings.Fields(c.args)...)
		if err != nil || !strings.Contains(out, c.want) {
			t.Errorf("accessctl %s: %v\n%s\nwant %q in it", c.args, err, out, c.want)
		}
	}

	secret := "s1"
	sum := md5.Sum([]byte("demo-atlas" + "demo-atlas-key" + secret))
	q := url.Values{"return_url": {"https://tjansteguiden.example/serviceguide"}, "api_key": {hex.EncodeToString(sum[:])}, "api_secret": {secret}}
	code, hdr, _ := d.get("/atlas/bounce?"+q.Encode(), "X-Forwarded-For", "10.67.3.11")
	loc, _ := url.Parse(hdr.Get("Location"))
	if code != 302 || loc == nil || loc.Query().Get("status") != "ok" || loc.Query().Get("accessId") != "ALS10004" {
		t.Errorf("bounce URL for the visitor 10.67.3.11: %d, Location %q; want 302 to status=ok&accessId=ALS10004", code, hdr.Get("Location"))
	}

	d.checkOrder()
	d.checkUpstream()
	for _, p := range []string{"/noc/", "/noc/access/ALS10001", "/noc/switches", "/noc/circuits", "/noc/?q=10.67.0.11"} {
		if code, _, body := d.get(p); code != 200 || !strings.Contains(body, "<!DOCTYPE html>") {
			t.Errorf("NOC page %s: %d", p, code)
		}
	}
}

// checkOrder activates a service through PI-API and waits until the
// demo's hook has carried it out.
func (d *demoRun) checkOrder() {
	t := d.t
	req, _ := http.NewRequest("POST", d.base+"/api/2.3/orders/",
		strings.NewReader(`{"accessId":"ALS10001","service":"BB100100","operation":"ACTIVATE","forcedTakeover":false}`))
	req.SetBasicAuth("demo", "demo")
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 201 {
		t.Fatalf("PI-API order: %d", resp.StatusCode)
	}
	loc := strings.TrimPrefix(resp.Header.Get("Location"), d.base)
	testkit.WaitUntil(t, 10*time.Second, "the order to complete through the demo's hook", func() bool {
		_, _, body := d.get(loc)
		return strings.Contains(body, `"DONE_SUCCESS"`)
	})
}

// TestDemoStopsWithGoRun: `go run ./cmd/accessd -demo`, then the go
// command killed with SIGKILL (it cannot pass anything on): the daemon
// stops too, cleanly, and leaves no socket behind.
func TestDemoStopsWithGoRun(t *testing.T) {
	testkit.SkipShort(t, "end-to-end test that runs go run")
	goTool, err := exec.LookPath("go")
	if err != nil {
		goTool = filepath.Join(os.Getenv("GOROOT"), "bin", "go")
		_, err := os.Stat(goTool)
		testkit.Require(t, err == nil, "no go command in PATH or GOROOT to run go run with")
	}
	root, err := testkit.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	runtime := t.TempDir()
	p := testkit.NewProcess(t, goTool, "run", "./cmd/accessd", "-demo", "-demo-listen", "127.0.0.1:0")
	p.Dir, p.Env = root, []string{"XDG_RUNTIME_DIR=" + runtime, "TMPDIR=" + t.TempDir()}
	p.Start()
	pidRE := regexp.MustCompile(`accessd demo \(pid ([0-9]+)`)
	var pid int
	p.WaitReady(3*time.Minute, func() error { // go run compiles first
		m := pidRE.FindStringSubmatch(p.Log())
		if m == nil || !strings.Contains(p.Log(), "accessd ready") {
			return errorString("not ready yet")
		}
		pid, _ = strconv.Atoi(m[1])
		return nil
	})
	p.Kill()
	t.Cleanup(func() { syscall.Kill(pid, syscall.SIGKILL) }) // if it failed to stop
	testkit.WaitUntil(t, 10*time.Second, "the demo to stop after go run was killed", func() bool {
		return syscall.Kill(pid, 0) != nil
	})
	if entries, _ := os.ReadDir(filepath.Join(runtime, "accessd-demo")); len(entries) != 0 {
		t.Errorf("the demo left %v in its socket directory", entries)
	}
}

var bannerRelay = regexp.MustCompile(`(?m)^  DHCP relay copy +udp (127\.0\.0\.1:[0-9]+)`)

// TestMonitoringMetricsExist: every metric that the shipped dashboard and
// alert rules use and that packaging/monitoring/metrics.txt marks
// "exists" is on the /metrics of a running daemon (the demo, with every
// subsystem on), once what a day brings has happened: an order, a
// malformed DHCP datagram. Histograms are looked for as NAME_bucket.
// Metrics marked new or proposed (other issues') are not looked for. The
// cluster's (accessd_cluster_…) exist only on an edge or a hub: the demo
// is standalone, so TestClusterHubAndTwoEdges looks for them there.
func TestMonitoringMetricsExist(t *testing.T) {
	list, err := os.ReadFile(filepath.Join("..", "..", "packaging", "monitoring", "metrics.txt"))
	if err != nil {
		t.Fatal(err)
	}
	d := startDemo(t)
	d.checkOrder()
	m := bannerRelay.FindStringSubmatch(d.proc.Log())
	if m == nil {
		t.Fatal("the demo's banner names no DHCP relay address")
	}
	c, err := net.Dial("udp", m[1])
	if err != nil {
		t.Fatal(err)
	}
	c.Write([]byte("not a DHCP packet"))
	c.Close()
	var exposed string
	testkit.WaitUntil(t, 10*time.Second, "the malformed datagram to be counted", func() bool {
		_, _, exposed = d.get("/metrics")
		return strings.Contains(exposed, "accessd_dhcp_decode_errors_total{")
	})
	names := map[string]bool{}
	for _, line := range strings.Split(exposed, "\n") {
		if name, _, ok := strings.Cut(line, " "); ok && !strings.HasPrefix(line, "#") {
			name, _, _ = strings.Cut(name, "{")
			names[name] = true
		}
	}
	checked := 0
	for n, line := range strings.Split(string(list), "\n") {
		f := strings.Fields(line)
		if len(f) != 5 || strings.HasPrefix(line, "#") || f[2] != "exists" || strings.HasPrefix(f[0], "accessd_cluster_") {
			continue
		}
		checked++
		name := f[0]
		if f[1] == "histogram" {
			name += "_bucket"
		}
		if !names[name] {
			t.Errorf("metrics.txt:%d: %s is marked exists, but the running daemon's /metrics has no %s", n+1, f[0], name)
		}
	}
	if checked < 40 {
		t.Errorf("only %d metrics marked exists were checked: metrics.txt was not read right", checked)
	}
}
