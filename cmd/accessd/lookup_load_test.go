package main_test

import (
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stadsnat/accessd/cmd/internal/config"
	"github.com/stadsnat/accessd/internal/benchfig"
	"github.com/stadsnat/accessd/internal/testkit"
	"github.com/stadsnat/accessd/store/inventory/invtest"
)

// lookupCase is one look-up the figures measure: a request and what it
// must answer.
type lookupCase struct {
	name   string
	path   string
	header []string // "Name: value", sent by every client (wrk too)
	status int
	want   string // in the body (200) or the Location (302)
	goal   string // the absolute goal's issue: "#5" for ≥ 5,000 req/s
	// floor marks the case that looks nothing up: its figures have no
	// goal, they show what the server costs before any look-up.
	floor bool
}

// goals are the goals of a case's figures: a ratio to the bare handler,
// to nginx, and the p99 in ms; none (0) for the floor.
func (c lookupCase) goals() (bare, nginx, p99 float64) {
	if c.floor {
		return 0, 0, 0
	}
	return 0.9, 0.5, 5
}

// lookupCases are the look-ups of issue 15 on the store of n generated
// accesses: option82 (PI-API and ON-API), dhcplookup, port_status and the
// bounce URL of a visitor with a binding (X-Forwarded-For from a trusted
// proxy: the daemon's http.trusted_proxies is 127.0.0.1). The first is
// the floor: /livez writes "ok" through the whole server (connection
// limit and timeouts, fault guard, routing, metrics) and looks nothing
// up, so that its ratio to the bare handler is what the server costs
// before any look-up, measured the same way in the same run.
func lookupCases(n int) []lookupCase {
	as := invtest.Generate(n, 1)
	a := as[n*4242/100_000]
	remote, circuit, _ := strings.Cut(a.Option82, " ")
	v := append([]byte{1, byte(len(circuit))}, circuit...)
	v = append(append(v, 2, byte(len(remote))), remote...)
	opt := strings.ToUpper(hex.EncodeToString(append([]byte{82, byte(len(v))}, v...)))
	auth := "Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte("sp:pw"))
	key := fmt.Sprintf("%x", md5.Sum([]byte("atlas"+"secretkey"+"42")))
	visitor := as[5] // the dhcpload client 5's access (see bind)
	return []lookupCase{
		{name: "liveness /livez (no look-up: the server's floor)", path: "/livez", status: 200, want: "ok", floor: true},
		{name: "option82 PI-API 2.3", path: "/api/2.3/option82/" + opt, header: []string{auth}, status: 200, want: a.AccessID},
		{name: "option82 ON-API 2.6", path: "/onapi/2.6/option82/" + opt, header: []string{auth}, status: 200, want: a.AccessID},
		{name: "dhcplookup ON-API 2.6", path: "/onapi/2.6/dhcplookup/?ipv4CircuitId=" + url.QueryEscape(circuit) + "&ipv4RemoteId=" + url.QueryEscape(remote),
			header: []string{auth}, status: 200, want: a.AccessID},
		{name: "Atlas port_status", path: "/atlas/api?method=port_status&socket=" + a.AccessID + "&api_user=atlas&api_key=secretkey",
			status: 200, want: "<status>success</status>", goal: "#5"},
		{name: "Atlas bounce URL", path: "/atlas/bounce?return_url=https%3A%2F%2Ftg.example.se%2Fserviceguide&api_key=" + key + "&api_secret=42",
			header: []string{"X-Forwarded-For: 10.64.0.5"}, status: 302, want: "uid=" + visitor.AccessID, goal: "#5"},
	}
}

// lookupFigures gives a visitor a DHCP binding (through the relay
// listener), then measures each look-up with wrk against the daemon, a
// bare net/http handler that writes the daemon's answer (status, headers,
// bytes) and nginx serving the same, one after the other in this run.
func lookupFigures(t *testing.T, e *e2e, n, relay int, short bool) {
	visitor := invtest.Generate(n, 1)[5].AccessID
	bind(t, e, relay, visitor)
	// Each look-up is measured in rounds, the daemon, the bare handler
	// and nginx one after the other in each, and the best round of each
	// kept: on a shared machine a neighbour's burst hits one run, not all.
	secs, rounds := 5, 3
	if short {
		secs, rounds = 2, 2
	}
	cases := lookupCases(n)
	timeouts := serverTimeouts(t, e.cfg)
	var sites []nginxSite
	var bare, bareTO []string
	var barePID, bareTOPID []int
	oneP := "" // the floor's bare handler with one P (see besideOneP)
	for i, c := range cases {
		r := answer(t, e, c, "before the figures")
		sites = append(sites, nginxSite{path: fmt.Sprintf("/case%d", i), status: r.status, body: r.body, header: r.header})
		u, pid := startBare(t, e.dir, i, r, nil)
		bare, barePID = append(bare, u), append(barePID, pid)
		u, pid = startBare(t, e.dir, i, r, nil, timeouts...)
		bareTO, bareTOPID = append(bareTO, u), append(bareTOPID, pid)
		if c.floor {
			oneP, _ = startBare(t, e.dir, i, r, []string{"GOMAXPROCS=1"})
		}
	}
	ngx := startNginx(t, e.dir, sites)
	for i, c := range cases {
		if c.status == http.StatusFound {
			// The visitor's binding (a REQUEST seen, no ACK) is tentative
			// for five minutes, and the figures before take longer: a
			// bounce without one is another answer.
			bind(t, e, relay, visitor)
		}
		var d, b, bt, x, b1 wrkResult
		for range rounds {
			d = d.best(wrk(t, e.base+c.path, secs, c.header))
			b = b.best(wrk(t, bare[i], secs, c.header))
			bt = bt.best(wrk(t, bareTO[i], secs, c.header))
			x = x.best(wrk(t, ngx+sites[i].path, secs, c.header))
			if c.floor {
				b1 = b1.best(wrk(t, oneP, secs, c.header))
			}
		}
		how := fmt.Sprintf("wrk -t2 -c32 -d%ds, best of %d", secs, rounds)
		t.Logf("FIGURE %s (%s): accessd %.0f req/s (p99 %v), bare net/http handler %.0f req/s (p99 %v), the same with accessd's server timeouts %.0f req/s (p99 %v), nginx %.0f req/s (p99 %v): %.2f of the bare handler, %.2f of it with the timeouts, %.2f of nginx",
			c.name, how, d.rps, d.p99, b.rps, b.p99, bt.rps, bt.p99, x.rps, x.p99, d.rps/b.rps, d.rps/bt.rps, d.rps/x.rps)
		name := c.name + ", " + how
		gBare, gNginx, gP99 := c.goals()
		benchfig.Report(t, benchfig.Figure{Name: name, Unit: "req/s", Value: d.rps, Peer: "bare net/http", PeerValue: b.rps, Higher: true, Goal: gBare, Source: "#15"})
		// The same peer paying for the deadlines accessd's timeouts make
		// net/http set on every request: what is left is accessd's own
		// work (routing, authentication, metrics, the look-up).
		benchfig.Report(t, benchfig.Figure{Name: name, Unit: "req/s", Value: d.rps, Peer: "bare net/http, accessd's timeouts", PeerValue: bt.rps, Higher: true, Goal: gBare, Source: "#15"})
		benchfig.Report(t, benchfig.Figure{Name: name, Unit: "req/s", Value: d.rps, Peer: "nginx", PeerValue: x.rps, Higher: true, Goal: gNginx, Source: "#2"})
		p99 := benchfig.Figure{Name: fmt.Sprintf("%s p99 (bare handler's %v, nginx's %v)", name, b.p99, x.p99), Unit: "ms",
			Value: millis(d.p99), Goal: gP99, Source: "#15"}
		if c.floor {
			p99 = besideOneP(t, p99, b, b1)
		}
		benchfig.Report(t, p99)
		if c.goal != "" {
			benchfig.Report(t, benchfig.Figure{Name: name, Unit: "req/s", Value: d.rps, Higher: true, Goal: 5000, Source: c.goal})
		}
		pinnedFigures(t, c, rounds, secs, pinnedPeer{"accessd", e.proc.Pid(), e.base + c.path},
			pinnedPeer{"bare net/http", barePID[i], bare[i]}, pinnedPeer{"bare net/http, accessd's timeouts", bareTOPID[i], bareTO[i]})
		answer(t, e, c, "after its figures") // they measured that answer
	}
}

// answer GETs the look-up c from the daemon and fails the test unless it
// is c's answer (status, and want in the body or the Location).
func answer(t *testing.T, e *e2e, c lookupCase, when string) reply {
	t.Helper()
	r := capture(t, e.base+c.path, c.header)
	got := r.body
	if c.status == http.StatusFound {
		got = r.header.Get("Location")
	}
	if r.status != c.status || !strings.Contains(got, c.want) {
		t.Fatalf("%s %s: %d %q %q, want %d with %q", c.name, when, r.status, got, r.body, c.status, c.want)
	}
	return r
}

// pinnedPeer is a server measured pinned: its process and URL.
type pinnedPeer struct {
	name string
	pid  int
	url  string
}

// pinnedFigures measures the look-up c again with the server alone on
// CPU 0 and wrk (-t1 -c32) alone on CPU 1, the daemon and the bare
// handler one after the other in each round. On two shared cores, wrk -t2
// and the server take turns on both, and the p99 is the scheduler's: the
// bare handler's own is 6–8 ms. Pinned, the latency is the server's, and
// the ratio what accessd's work costs when nothing else competes for its
// core. It needs two CPUs and taskset (util-linux); without them it says
// so and measures nothing.
func pinnedFigures(t *testing.T, c lookupCase, rounds, secs int, d, b, bt pinnedPeer) {
	t.Helper()
	if _, err := exec.LookPath("taskset"); err != nil || runtime.NumCPU() < 2 {
		t.Logf("pinned figures of %s left out: they need taskset and two CPUs (%d here)", c.name, runtime.NumCPU())
		return
	}
	pin(t, "0", d, b, bt)
	// Go's runtime takes the CPUs it may use as GOMAXPROCS once a
	// second: two Ps on one CPU would have the kernel take turns between
	// them, milliseconds at a time.
	time.Sleep(gomaxprocsSettle)
	pinnedWrkCmd := []string{"taskset", "-c", "1", "wrk", "-t1"} // one thread, on CPU 1
	var pd, pb, pbt wrkResult
	for range rounds {
		pd = pd.best(runWrk(t, d.url, pinnedWrkCmd, secs, c.header))
		pb = pb.best(runWrk(t, b.url, pinnedWrkCmd, secs, c.header))
		pbt = pbt.best(runWrk(t, bt.url, pinnedWrkCmd, secs, c.header))
	}
	pin(t, fmt.Sprintf("0-%d", runtime.NumCPU()-1), d, b, bt)
	time.Sleep(gomaxprocsSettle)
	how := fmt.Sprintf("pinned: server on CPU 0, wrk -t1 -c32 -d%ds on CPU 1, best of %d", secs, rounds)
	t.Logf("FIGURE %s (%s): accessd %.0f req/s (p99 %v), bare net/http handler %.0f req/s (p99 %v), the same with accessd's server timeouts %.0f req/s (p99 %v): %.2f of the bare handler, %.2f of it with the timeouts",
		c.name, how, pd.rps, pd.p99, pb.rps, pb.p99, pbt.rps, pbt.p99, pd.rps/pb.rps, pd.rps/pbt.rps)
	name := c.name + ", " + how
	gBare, _, gP99 := c.goals()
	benchfig.Report(t, benchfig.Figure{Name: name, Unit: "req/s", Value: pd.rps, Peer: "bare net/http", PeerValue: pb.rps, Higher: true, Goal: gBare, Source: "#15"})
	benchfig.Report(t, benchfig.Figure{Name: name, Unit: "req/s", Value: pd.rps, Peer: "bare net/http, accessd's timeouts", PeerValue: pbt.rps, Higher: true, Goal: gBare, Source: "#15"})
	benchfig.Report(t, benchfig.Figure{Name: fmt.Sprintf("%s p99 (bare handler's %v)", name, pb.p99), Unit: "ms",
		Value: millis(pd.p99), Goal: gP99, Source: "#15"})
}

// gomaxprocsSettle is how long the runtime takes to see its CPUs change.
const gomaxprocsSettle = 1500 * time.Millisecond

// pin lets the processes (all their threads, and the threads they start)
// run only on cpus.
func pin(t *testing.T, cpus string, ps ...pinnedPeer) {
	t.Helper()
	for _, p := range ps {
		if out, err := exec.Command("taskset", "-a", "-p", "-c", cpus, strconv.Itoa(p.pid)).CombinedOutput(); err != nil {
			t.Fatalf("taskset %s on %s: %v\n%s", cpus, p.name, err, out)
		}
	}
}

// bind sends, through the daemon's relay listener, one REQUEST for each
// of the first 48 accesses' circuits (client i asks for 10.64.0.i on port
// ge-0/0/i of switch 10.20.0.1) and waits until client 5's binding is
// there, on access visitor.
func bind(t *testing.T, e *e2e, relay int, visitor string) {
	t.Helper()
	out, err := exec.Command(testkit.Binaries(t).Dhcpload, "-target", "127.0.0.1:"+strconv.Itoa(relay), "-count", "48", "-mix", "1",
		"-rate", "1000", "-clients", "48", "-switches", "1", "-switch-base", "1", "-ports", "48", "-port-base", "0",
		"-remote-id", "10.20.0.%d", "-circuit-id", "ge-0/0/%d", "-giaddr", "10.20.0.1").CombinedOutput()
	if err != nil {
		t.Fatalf("dhcpload: %v\n%s", err, out)
	}
	testkit.WaitUntil(t, 10*time.Second, "the visitor's binding", func() bool {
		code, out, _ := e.ctl("lookup", "ip", "10.64.0.5")
		return code == 0 && strings.Contains(out, visitor)
	})
}

// capture GETs url with the headers ("Name: value"), not following a
// redirect.
func capture(t *testing.T, url string, header []string) reply {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range header {
		k, v, _ := strings.Cut(h, ":")
		req.Header.Set(k, strings.TrimSpace(v))
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return reply{resp.StatusCode, resp.Header, string(b)}
}

// answerHeaders are the headers of a captured answer that a peer sends
// too: all but those net/http or nginx add themselves.
func answerHeaders(h http.Header) []string {
	var out []string
	for k, vs := range h {
		if k == "Date" || k == "Content-Length" {
			continue
		}
		for _, v := range vs {
			out = append(out, k+": "+v)
		}
	}
	slices.Sort(out)
	return out
}

// serverTimeouts are barehttp's flags for the HTTP server timeouts of
// the daemon running on cfgPath: its http.read_timeout, write_timeout and
// idle_timeout as the config package reads them (defaults included) and
// the fixed config.ReadHeaderTimeout.
func serverTimeouts(t *testing.T, cfgPath string) []string {
	t.Helper()
	cfg, err := config.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	h := cfg.HTTP
	return []string{"-read-header-timeout", config.ReadHeaderTimeout.String(), "-read-timeout", h.ReadTimeout.D().String(),
		"-write-timeout", h.WriteTimeout.D().String(), "-idle-timeout", h.IdleTimeout.D().String()}
}

// besideOneP puts the floor's p99 figure f beside the p99 of its bare
// handler run with GOMAXPROCS=1 (b1), measured in the same rounds, for
// information; b is the same handler at Go's default, whose p99 f's name
// already gives. On two cores that wrk -t2 shares, the tail is the
// scheduler's: a P whose thread the kernel has set aside for wrk holds the
// goroutines queued on it until the thread runs again, and with two Ps
// that happens all the time (the bare handler's p99 4.5–9 ms, nginx's
// mostly 1.5–3 ms). With one P no goroutine waits behind a thread set
// aside: 0.6–0.7 ms in most runs, 2–8 ms in some. It is not a setting for
// the daemon: on its own box GOMAXPROCS=1 would leave half the machine
// idle under a DHCP flood.
func besideOneP(t *testing.T, f benchfig.Figure, b, b1 wrkResult) benchfig.Figure {
	t.Helper()
	t.Logf("FIGURE %s: bare net/http handler with GOMAXPROCS=1 %.0f req/s (p99 %v), at Go's default %.0f req/s (p99 %v)",
		f.Name, b1.rps, b1.p99, b.rps, b.p99)
	f.Peer, f.PeerValue = "bare net/http, GOMAXPROCS=1", millis(b1.p99)
	return f
}

// millis is d in milliseconds, to the microsecond: a figure's "ms".
func millis(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// startBare runs barehttp answering what r holds (with the environment
// env added and the extra flags), and returns its URL and process id.
func startBare(t *testing.T, dir string, i int, r reply, env []string, flags ...string) (string, int) {
	t.Helper()
	body := filepath.Join(dir, fmt.Sprintf("bare%d.body", i))
	if err := os.WriteFile(body, []byte(r.body), 0o600); err != nil {
		t.Fatal(err)
	}
	args := []string{testkit.Binaries(t).Barehttp, "-listen", "127.0.0.1:0", "-status", strconv.Itoa(r.status), "-body", body}
	args = append(args, flags...)
	for _, h := range answerHeaders(r.header) {
		args = append(args, "-header", h)
	}
	p := testkit.NewProcess(t, args...)
	p.Env = env
	p.Start()
	var addr string
	testkit.WaitUntil(t, 10*time.Second, "barehttp listening", func() bool {
		_, rest, ok := strings.Cut(p.Log(), "listening on ")
		addr, _, _ = strings.Cut(rest, "\n")
		return ok && strings.Contains(rest, "\n")
	})
	return "http://" + addr + "/", p.Pid()
}

// wrkResult is what one wrk run measured.
type wrkResult struct {
	rps float64
	p99 time.Duration
}

// best is the run of r and o with more requests a second.
func (r wrkResult) best(o wrkResult) wrkResult {
	if o.rps > r.rps {
		return o
	}
	return r
}

var (
	reRPS = regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`)
	reP99 = regexp.MustCompile(`\s99%\s+([0-9.]+)(us|ms|s)\b`)
)

// wrk runs wrk -t2 -c32 for secs seconds with the headers against url.
func wrk(t *testing.T, url string, secs int, header []string) wrkResult {
	t.Helper()
	return runWrk(t, url, []string{"wrk", "-t2"}, secs, header)
}

// runWrk runs the command line cmd (wrk and its thread count, or a
// command that runs it) with -c32 for secs seconds with the headers
// against url.
func runWrk(t *testing.T, url string, cmd []string, secs int, header []string) wrkResult {
	t.Helper()
	args := append(slices.Clone(cmd[1:]), "-c32", fmt.Sprintf("-d%ds", secs), "--latency")
	for _, h := range header {
		args = append(args, "-H", h)
	}
	out, err := exec.Command(cmd[0], append(args, url)...).CombinedOutput()
	if err != nil {
		t.Fatalf("wrk: %v\n%s", err, out)
	}
	m := reRPS.FindSubmatch(out)
	p := reP99.FindSubmatch(out)
	if m == nil || p == nil {
		t.Fatalf("wrk output:\n%s", out)
	}
	if strings.Contains(string(out), "Non-2xx") || strings.Contains(string(out), "Socket errors") {
		t.Fatalf("wrk saw errors against %s:\n%s", url, out)
	}
	rps, _ := strconv.ParseFloat(string(m[1]), 64)
	v, _ := strconv.ParseFloat(string(p[1]), 64)
	unit := map[string]time.Duration{"us": time.Microsecond, "ms": time.Millisecond, "s": time.Second}[string(p[2])]
	return wrkResult{rps: rps, p99: time.Duration(v * float64(unit)).Round(10 * time.Microsecond)}
}

// nginxSite is one fixed answer nginx serves: a 200 body as a static file
// with the captured Content-Type, or a redirect.
type nginxSite struct {
	path   string
	status int // 0: 200
	body   string
	header http.Header
}

// startNginx serves the sites on a loopback port and returns its base URL.
func startNginx(t *testing.T, dir string, sites []nginxSite) string {
	t.Helper()
	root := filepath.Join(dir, "nginx")
	os.MkdirAll(filepath.Join(root, "www"), 0o755)
	var locs strings.Builder
	for _, s := range sites {
		var add strings.Builder
		for k, vs := range s.header {
			if k == "Cache-Control" || k == "X-Content-Type-Options" {
				fmt.Fprintf(&add, " add_header %s %q always;", k, vs[0])
			}
		}
		if s.status == http.StatusFound {
			fmt.Fprintf(&locs, "  location = %s {%s return 302 %q; }\n", s.path, add.String(), s.header.Get("Location"))
			continue
		}
		os.WriteFile(filepath.Join(root, "www", strings.TrimPrefix(s.path, "/")), []byte(s.body), 0o644)
		ct := s.header.Get("Content-Type")
		fmt.Fprintf(&locs, "  location = %s { types { } default_type %q;%s }\n", s.path, ct, add.String())
	}
	addr := testkit.FreeTCPAddr(t)
	user := ""
	if os.Geteuid() == 0 {
		user = "user root;\n" // the test's temporary directory is not readable by www-data
	}
	conf := user + fmt.Sprintf(`worker_processes 2;
error_log %[1]s/error.log;
pid %[1]s/nginx.pid;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path %[1]s/tmp;
  proxy_temp_path %[1]s/tmp;
  fastcgi_temp_path %[1]s/tmp;
  uwsgi_temp_path %[1]s/tmp;
  scgi_temp_path %[1]s/tmp;
  server {
    listen %[2]s;
    root %[1]s/www;
%[3]s  }
}
`, root, addr, locs.String())
	os.WriteFile(filepath.Join(root, "nginx.conf"), []byte(conf), 0o644)
	p := testkit.StartProcess(t, "nginx", "-c", filepath.Join(root, "nginx.conf"), "-g", "daemon off;")
	base := "http://" + addr
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for range 50 {
		if r, err := c.Get(base + sites[0].path); err == nil {
			io.Copy(io.Discard, r.Body)
			r.Body.Close()
			return base
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("nginx did not start: %s", p.Log())
	return ""
}
