package main_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stadsnat/accessd/cmd/accessd/internal/upstream/cubit/cubittest"
	"github.com/stadsnat/accessd/cmd/internal/admin"
	"github.com/stadsnat/accessd/internal/testkit"
)

// BenchmarkDaemonDrain100k measures the real daemon: 100 000 plants are
// imported (JSON, ten files) while Cubit answers 503, so 100 000 outbox
// entries queue; then Cubit comes back and the daemon drains them to it
// over loopback. It reports the drain's time and rate, the daemon's RSS
// when the drain starts, and its peak RSS during the drain (VmHWM, reset
// through /proc/PID/clear_refs when the drain starts): the runner holds a
// page of entries, never the queue.
//
//	go test -run XXX -bench DaemonDrain100k -benchtime 1x ./cmd/accessd/
func BenchmarkDaemonDrain100k(b *testing.B) {
	const n, files = 100_000, 10
	for range b.N {
		b.StopTimer()
		u, srv := startDrainDaemon(b)
		for f := range files {
			path := filepath.Join(u.dir, fmt.Sprintf("plants-%d.json", f))
			writePlants(b, path, f*n/files, n/files)
			if code, out, errOut := u.ctl("import", path); code != 0 {
				b.Fatalf("import %s: exit %d %s%s", path, code, out, errOut)
			}
			os.Remove(path)
		}
		waitLag(b, u, func(lag int) bool { return lag == n }, time.Minute)
		time.Sleep(2 * time.Second) // the imports' buffers go back to the system (invsys frees them)
		pid := u.proc.Pid()
		before, anonBefore := procStatus(b, pid, "VmRSS"), procStatus(b, pid, "RssAnon")
		if err := os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0); err != nil {
			b.Logf("cannot reset VmHWM (%v): the peak below includes the imports", err)
		}
		srv.Down(0)
		b.StartTimer()
		start, cpu0 := time.Now(), procCPU(b, pid)
		peak, anonPeak := waitLag(b, u, func(lag int) bool { return lag == 0 }, 5*time.Minute)
		took, cpu := time.Since(start), procCPU(b, pid)-cpu0
		b.StopTimer()
		hwm := procStatus(b, pid, "VmHWM")
		if got := srv.Count(cubittest.PlantUpsert, 201) + srv.Count(cubittest.PlantUpsert, 200); got < n {
			b.Errorf("cubit took %d plants, want %d", got, n)
		}
		b.ReportMetric(took.Seconds(), "drain-s")
		b.ReportMetric(n/took.Seconds(), "entries/s")
		b.ReportMetric(float64(before)/1024, "rss-start-MiB")
		b.ReportMetric(float64(max(hwm, peak))/1024, "rss-peak-drain-MiB")
		b.ReportMetric(float64(anonBefore)/1024, "anon-start-MiB")
		b.ReportMetric(float64(anonPeak)/1024, "anon-peak-drain-MiB")
		// The daemon's CPU time per entry drained: on a shared machine the
		// drain's time follows the CPU the daemon is given; this does not.
		b.ReportMetric(float64(cpu.Microseconds())/n, "daemon-cpu-µs/entry")
	}
}

// startDrainDaemon runs accessd with Cubit answering 503.
func startDrainDaemon(b *testing.B) (*e2e, *cubittest.Server) {
	dir := b.TempDir()
	bins := testkit.Binaries(b)
	srv, err := cubittest.New(cubittest.Config{Keys: map[string]string{"test": e2eCubitKey, "prod": "cubit-prod-key"}})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(srv.Close)
	srv.Down(503)
	addr := testkit.FreeTCPAddr(b)
	key := filepath.Join(dir, "cubit.key")
	os.WriteFile(key, []byte(e2eCubitKey+"\n"), 0o600)
	cfg := filepath.Join(dir, "accessd.yaml")
	y := fmt.Sprintf(`state_dir: %s
environment: test
http: {listen: ["%s"]}
admin: {socket: %s, mode: "0600"}
snmp: {enabled: false}
upstream:
  cubit: {url: "%s", api_key_file: %s, environment: test}
  outbox: {backoff_initial: 100ms, backoff_max: 500ms}
`, filepath.Join(dir, "state"), addr, filepath.Join(dir, "admin.sock"), srv.URL, key)
	os.WriteFile(cfg, []byte(y), 0o600)
	e := &e2e{t: b, dir: dir, accessd: bins.Accessd, accessct: bins.Accessctl, cfg: cfg, base: "http://" + addr, sock: filepath.Join(dir, "admin.sock")}
	e.proc = testkit.NewProcess(b, e.accessd, "-config", e.cfg)
	e.proc.Start()
	e.proc.WaitReady(10*time.Second, testkit.HTTPReady(e.base+"/readyz"))
	return e, srv
}

// writePlants writes count accesses with plants, numbered from first.
func writePlants(b *testing.B, path string, first, count int) {
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriter(f)
	w.WriteString("[\n")
	for i := first; i < first+count; i++ {
		if i > first {
			w.WriteString(",\n")
		}
		fmt.Fprintf(w, `{"accessId":"RSS%06d","streetName":"Testveien","streetNumber":"%d","postalCode":"10000","city":"Oslo",`+
			`"countryCode":"NO","premisesType":"RESIDENTIAL_HOUSE","activatable":"YES","sellable":"YES","option82":"10.%d.%d.1 p%d",`+
			`"plant":{"meteringPointId":"7070575%011d","consumptionCode":23,"industrialClassification":"55.102","status":"Spenningsatt",`+
			`"address":{"addressText":"Testveien %d","postalCode":"0485"},"connectionPoint":{"name":"CP%d","transformer":{"name":"T%d",`+
			`"netStation":{"name":"N%d"}}}}}`, i, i%1000+1, 100+i/65536, i/256%256, i%256, i, i%1000+1, i/10, i/100, i/1000)
	}
	w.WriteString("\n]\n")
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	f.Close()
}

// waitLag polls the cubit sink's lag until done says so; it returns the
// highest VmRSS and RssAnon seen meanwhile (KiB). VmRSS counts the pages
// of the store's memory map the drain reads (page cache the kernel can
// reclaim); RssAnon is the daemon's own memory.
func waitLag(b *testing.B, u *e2e, done func(int) bool, timeout time.Duration) (int, int) {
	deadline := time.Now().Add(timeout)
	peak, anon := 0, 0
	for {
		peak = max(peak, procStatus(b, u.proc.Pid(), "VmRSS"))
		anon = max(anon, procStatus(b, u.proc.Pid(), "RssAnon"))
		code, out, errOut := u.ctl("-json", "upstream")
		var st admin.Upstream
		if code != 0 || json.Unmarshal([]byte(out), &st) != nil || len(st.Sinks) == 0 {
			b.Fatalf("accessctl upstream: %d %s%s", code, out, errOut)
		}
		if done(st.Sinks[0].Lag) {
			return peak, anon
		}
		if time.Now().After(deadline) {
			b.Fatalf("the cubit sink's lag is %d after %v", st.Sinks[0].Lag, timeout)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// procCPU is the CPU time (user and system) process pid has used, from
// /proc/PID/stat in clock ticks of 10 ms (USER_HZ on Linux).
func procCPU(b *testing.B, pid int) time.Duration {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		b.Fatal(err)
	}
	// The fields after the command name, which is in parentheses: state
	// is the first; utime and stime are the 12th and 13th.
	_, rest, _ := strings.Cut(string(data), ") ")
	f := strings.Fields(rest)
	if len(f) < 13 {
		b.Fatalf("/proc/%d/stat: %q", pid, data)
	}
	ut, _ := strconv.Atoi(f[11])
	st, _ := strconv.Atoi(f[12])
	return time.Duration(ut+st) * 10 * time.Millisecond
}

// procStatus reads a "Vm…: N kB" line of /proc/PID/status.
func procStatus(b *testing.B, pid int, field string) int {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			return n
		}
	}
	return 0
}
