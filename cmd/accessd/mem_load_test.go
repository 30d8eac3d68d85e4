package main_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stadsnat/accessd/internal/testkit"
	"github.com/stadsnat/accessd/store/inventory/invtest"
)

// TestMemoryFigures takes issue 15's memory figures: the daemon's resident
// set with ACCESSD_MEM_ACCESSES accesses (100,000 by default) and every one
// of their switches (48 ports each, simulated on loopback addresses)
// polled over SNMP. The daemon runs with the environment of
// systemd/accessd.service. It imports the accesses with accessctl (CSV)
// right after it started, with the switches answering (the import's
// high-water mark), is restarted on that store, and once it is ready again
// (every switch's first cycle done) its RSS is taken 5 s later and then
// every second for ACCESSD_MEM_WATCH (2m10s: two poll cycles and more).
// With ACCESSD_MEM_PROFILE=DIR it saves heap profiles (pprof, from the
// admin socket) there. A measurement, not a pass/fail test: it runs only
// with ACCESSD_LOAD=1.
//
//	ACCESSD_LOAD=1 go test ./cmd/accessd -run TestMemoryFigures -v -timeout 30m
func TestMemoryFigures(t *testing.T) {
	testkit.SkipShort(t, "memory figures")
	if os.Getenv("ACCESSD_LOAD") != "1" {
		t.Skip("set ACCESSD_LOAD=1 to take the memory figures")
	}
	n := envInt(t, "ACCESSD_MEM_ACCESSES", 100_000)
	watch := 130 * time.Second
	if v := os.Getenv("ACCESSD_MEM_WATCH"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			t.Fatalf("ACCESSD_MEM_WATCH: %v", err)
		}
		watch = d
	}
	profiles := os.Getenv("ACCESSD_MEM_PROFILE")
	switches := (n + invtest.PortsPerSwitch - 1) / invtest.PortsPerSwitch
	port := testkit.FreeUDPPort(t)
	startSwitches(t, switches, port)
	t.Logf("FIGURE memory setup: %d accesses on %d simulated switches × %d ports (SNMPv2c over UDP on loopback); load average %s",
		n, switches, invtest.PortsPerSwitch, loadAvg())

	for k, v := range unitSettings(t) {
		if name, ok := strings.CutPrefix(k, "Environment="); ok {
			t.Setenv(name, v) // the daemon runs as the unit has it
		}
	}
	e := startE2EWith(t, fmt.Sprintf("snmp: {port: %d, groups: [{name: lab, community: public, match: [\"127.0.0.0/8\"]}]}\n", port))
	csvFile, _ := inventoryFiles(t, e.dir, n)
	pid := e.proc.Pid()
	peakOf := sampleRSS(t, pid)
	start := time.Now()
	if code, out, errOut := e.ctl("import", csvFile); code != 0 {
		t.Fatalf("import: %s %s", out, errOut)
	}
	imported := time.Since(start)
	waitPolled(t, e, switches)
	t.Logf("FIGURE memory import of %d accesses (CSV, accessctl) into the started daemon: %v, then every switch polled after %v; peak RSS %s; VmHWM %d MB; load average %s",
		n, imported.Round(time.Millisecond), time.Since(start).Round(time.Millisecond), peakOf(), mb(procStatusKB(t, pid, "VmHWM")), loadAvg())
	saveProfile(t, e, profiles, "import")

	// The restart, on the store of n accesses, with the unit's environment.
	if err := e.proc.Stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}
	start = time.Now()
	e.proc.Start()
	pid = e.proc.Pid()
	peakOf = sampleRSS(t, pid)
	e.proc.WaitReady(5*time.Minute, testkit.HTTPReady(e.base+"/readyz"))
	ready := time.Since(start)
	startPeak := peakOf()
	time.Sleep(5 * time.Second)
	t.Logf("FIGURE RSS at READY + 5 s: %d MB (%s); ready %v after the start, peak RSS until then %s; VmHWM %d MB; load average %s",
		mb(procStatusKB(t, pid, "VmRSS")), rssParts(t, pid), ready.Round(time.Millisecond), startPeak, mb(procStatusKB(t, pid, "VmHWM")), loadAvg())
	saveProfile(t, e, profiles, "ready")

	peak, peakParts := 0, ""
	cpu0 := cpuTicks(pid)
	for end := time.Now().Add(watch); time.Now().Before(end); time.Sleep(time.Second) {
		if rss := procStatusKB(t, pid, "VmRSS"); rss > peak {
			peak, peakParts = rss, rssParts(t, pid)
		}
	}
	code, status, _ := e.ctl("status")
	if code != 0 || !strings.Contains(status, fmt.Sprintf("%d polled, 0 unreachable", switches)) {
		t.Errorf("not every switch polled at the end:\n%s", status)
	}
	t.Logf("FIGURE RSS over the next %v: peak %d MB (%s); last %d MB (%s) (VmHWM %d MB); daemon CPU %.2f s over it; load average %s",
		watch, mb(peak), peakParts, mb(procStatusKB(t, pid, "VmRSS")), rssParts(t, pid), mb(procStatusKB(t, pid, "VmHWM")),
		float64(cpuTicks(pid)-cpu0)/100, loadAvg())
	saveProfile(t, e, profiles, "end")
}

// sampleRSS samples pid's resident set every 20 ms until the returned
// function is called; it returns the highest sample with its parts.
func sampleRSS(t *testing.T, pid int) func() string {
	t.Helper()
	stop, done := make(chan struct{}), make(chan string)
	go func() {
		peak, parts := 0, ""
		for {
			if rss := statusKB(pid, "VmRSS"); rss > peak {
				peak, parts = rss, fmt.Sprintf("RssAnon %d MB, RssFile %d MB", mb(statusKB(pid, "RssAnon")), mb(statusKB(pid, "RssFile")))
			}
			select {
			case <-stop:
				done <- fmt.Sprintf("%d MB (%s)", mb(peak), parts)
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	return func() string { close(stop); return <-done }
}

// statusKB is procStatusKB for a goroutine that is not the test's: 0 when
// the file or the field cannot be read.
func statusKB(pid int, field string) int {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	for l := range strings.Lines(string(b)) {
		if rest, ok := strings.CutPrefix(l, field+":"); ok {
			if f := strings.Fields(rest); len(f) > 0 {
				n, _ := strconv.Atoi(f[0])
				return n
			}
		}
	}
	return 0
}

// waitPolled waits until every one of the daemon's switches has been
// polled and no access port is UNKNOWN.
func waitPolled(t *testing.T, e *e2e, switches int) {
	t.Helper()
	testkit.WaitUntil(t, 10*time.Minute, "every switch polled", func() bool {
		code, out, _ := e.ctl("status")
		return code == 0 && strings.Contains(out, fmt.Sprintf("%d polled, 0 unreachable", switches)) && strings.Contains(out, " 0 UNKNOWN")
	})
}

// cpuTicks is pid's user and system CPU time in clock ticks (1/100 s on
// Linux), 0 when /proc cannot tell.
func cpuTicks(pid int) int {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	s := string(b)
	i := strings.LastIndexByte(s, ')') // the command may hold spaces
	if i < 0 {
		return 0
	}
	f := strings.Fields(s[i+1:]) // from field 3, the state
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.Atoi(f[11])
	st, _ := strconv.Atoi(f[12])
	return u + st
}

// rssParts is the resident set's parts: anonymous, file-backed, shared.
func rssParts(t *testing.T, pid int) string {
	return fmt.Sprintf("RssAnon %d MB, RssFile %d MB, RssShmem %d MB",
		mb(procStatusKB(t, pid, "RssAnon")), mb(procStatusKB(t, pid, "RssFile")), mb(procStatusKB(t, pid, "RssShmem")))
}

// mb is kB in MB (10^6 bytes), rounded.
func mb(kb int) int { return (kb*1024 + 500_000) / 1_000_000 }

// loadAvg is /proc/loadavg's three load averages.
func loadAvg() string {
	b, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

// envInt is the integer environment variable name, or def.
func envInt(t *testing.T, name string, def int) int {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		t.Fatalf("%s=%q: want a positive number", name, v)
	}
	return n
}

// saveProfile saves the daemon's heap profile (as of its last collection:
// asking for one would change the figures) as dir/heap-NAME.pb.gz; dir ""
// saves nothing.
func saveProfile(t *testing.T, e *e2e, dir, name string) {
	t.Helper()
	if dir == "" {
		return
	}
	c := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", e.sock)
	}}}
	resp, err := c.Get("http://admin/debug/pprof/heap")
	if err != nil {
		t.Fatalf("heap profile: %v", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("heap profile: %d %v", resp.StatusCode, err)
	}
	if err := os.WriteFile(filepath.Join(dir, "heap-"+name+".pb.gz"), b, 0o644); err != nil {
		t.Fatal(err)
	}
}
