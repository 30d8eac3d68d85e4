package main_test

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stadsnat/accessd/internal/testkit"
)

// Issue 12, item 4, against the real daemon run with 256 file descriptors
// (prlimit): a thousand idle connections from 25 loopback addresses. HTTP
// holds at most half the limit and closes the rest at once, so the admin
// socket still answers, a new HTTP connection is closed cleanly rather
// than hanging, the process runs on, and once the idle ones time out HTTP
// answers again.
func TestIdleConnectionFloodRealDaemon(t *testing.T) {
	testkit.SkipShort(t, "builds and runs the daemon")
	testkit.RequireCommands(t, "prlimit")
	bins := testkit.Binaries(t)
	e := &e2e{t: t, dir: t.TempDir(), accessd: bins.Accessd, accessct: bins.Accessctl, base: "http://" + testkit.FreeTCPAddr(t)}
	e.sock = filepath.Join(e.dir, "admin.sock")
	e.cfg = filepath.Join(e.dir, "accessd.yaml")
	e.writeConfig("")
	y, err := os.ReadFile(e.cfg)
	if err != nil {
		t.Fatal(err)
	}
	y = []byte(strings.Replace(string(y), "http: {listen:", "http: {max_connections_per_source: 32, listen:", 1))
	if err := os.WriteFile(e.cfg, y, 0o600); err != nil {
		t.Fatal(err)
	}
	e.proc = testkit.NewProcess(t, "prlimit", "--nofile=256:256", "--", e.accessd, "-config", e.cfg)
	e.proc.Name = "accessd (256 descriptors)"
	e.run()
	flood(t, strings.TrimPrefix(e.base, "http://"), 1000, 25)
	// The admin socket answers while HTTP is saturated.
	start := time.Now()
	if code, out, errOut := e.ctl("status"); code != 0 || !strings.Contains(out, "ready") {
		t.Errorf("accessctl status while HTTP is flooded: exit %d %s%s", code, out, errOut)
	}
	t.Logf("FIGURE accessctl status answered in %v with 1,000 idle HTTP connections", time.Since(start).Round(time.Millisecond))
	// A new HTTP connection is closed at once, not left hanging.
	fresh := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	start = time.Now()
	if resp, err := fresh.Get(e.base + "/livez"); err == nil {
		resp.Body.Close()
		t.Errorf("a new HTTP connection was served while 1,000 were open: %s", resp.Status)
	} else if d := time.Since(start); d > 2*time.Second {
		t.Errorf("a refused HTTP connection took %v to fail: %v", d, err)
	}
	if !e.proc.Running() {
		t.Fatal("the daemon stopped")
	}
	if code, out, _ := e.ctl("-json", "status"); code != 0 || !strings.Contains(out, `"ready": true`) {
		t.Errorf("status: %d %s", code, out)
	}
	// The idle connections time out (the server waits 10 s for a request
	// header); then HTTP answers again.
	testkit.WaitUntil(t, 30*time.Second, "HTTP to answer again", func() bool {
		resp, err := fresh.Get(e.base + "/livez")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	body, err := httpGet(fresh, e.base+"/metrics", "", "")
	if err != nil {
		t.Fatal(err)
	}
	refused := metricValue(body, "accessd_http_connections_refused_total")
	if refused < 1000-128 || metricValue(body, "accessd_http_max_connections") != 128 {
		t.Errorf("metrics:\n%s", grepLines(body, "accessd_http_"))
	}
	log := e.proc.Log()
	if n := strings.Count(log, "connection limit"); n == 0 || n > 4 {
		t.Errorf("%d log lines about the connection limit, want 1 to 4", n)
	}
	if strings.Contains(log, "too many open files") {
		t.Error("the daemon ran out of file descriptors")
	}
	t.Logf("FIGURE 1,000 idle connections with 256 descriptors: %v refused, HTTP limit 128", refused)
}

// flood opens n idle connections to addr from `sources` loopback
// addresses (127.0.1.1, …), closed when the test ends.
func flood(t *testing.T, addr string, n, sources int) {
	t.Helper()
	var conns []net.Conn
	t.Cleanup(func() {
		for _, c := range conns {
			c.Close()
		}
	})
	for i := range n {
		d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 1, byte(1+i%sources))}, Timeout: 5 * time.Second}
		c, err := d.Dial("tcp", addr)
		if err != nil {
			t.Fatalf("connection %d: %v", i, err)
		}
		conns = append(conns, c)
	}
}

// metricValue is the value of an unlabelled metric in a /metrics body (-1
// when absent).
func metricValue(body, name string) float64 {
	for l := range strings.Lines(body) {
		if rest, ok := strings.CutPrefix(l, name+" "); ok {
			var v float64
			if _, err := fmt.Sscan(rest, &v); err == nil {
				return v
			}
		}
	}
	return -1
}
