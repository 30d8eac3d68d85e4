package main_test

import (
	"bytes"
	"context"
	"fmt"
	"iter"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stadsnat/accessd/cmd/accessd/internal/demosim"
	"github.com/stadsnat/accessd/internal/testkit"
	"github.com/stadsnat/accessd/store/inventory"
	"github.com/stadsnat/accessd/store/inventory/invtest"
)

// loopbackAccesses are invtest's n accesses with their switches moved from
// 10.20.x.y to 127.20.x.y, loopback addresses where simulated switches can
// answer.
func loopbackAccesses(n int) iter.Seq[inventory.Access] {
	return func(yield func(inventory.Access) bool) {
		for a := range invtest.All(n, 1) {
			a.Option82 = strings.Replace(a.Option82, "10.", "127.", 1)
			a.DHCPIdentifier.IPv4RemoteID = strings.Replace(a.DHCPIdentifier.IPv4RemoteID, "10.", "127.", 1)
			if !yield(a) {
				return
			}
		}
	}
}

// TestMemorySizing measures what systemd/accessd.service's MemoryHigh= and
// MemoryMax= are sized from: the daemon's peak RSS with 100,000 accesses
// (imported with accessctl as CSV and over the import API as JSON, then a
// full PI V1 export) and with every one of their 2,084 switches (48 ports
// each, simulated on loopback addresses) polled over SNMP. A measurement,
// not a pass/fail test: it runs only with ACCESSD_LOAD=1.
//
//	ACCESSD_LOAD=1 go test ./cmd/accessd -run TestMemorySizing -v -timeout 30m
func TestMemorySizing(t *testing.T) {
	testkit.SkipShort(t, "memory figures")
	if os.Getenv("ACCESSD_LOAD") != "1" {
		t.Skip("set ACCESSD_LOAD=1 to take the memory figures")
	}
	const n = 100_000
	switches := (n + invtest.PortsPerSwitch - 1) / invtest.PortsPerSwitch
	unit := unitSettings(t)
	if v := unit["Environment=GOMEMLIMIT"]; v != "" {
		t.Setenv("GOMEMLIMIT", v) // the daemon runs as the unit has it
	}
	port := testkit.FreeUDPPort(t)
	e := startE2EWith(t, fmt.Sprintf("snmp: {port: %d, interval: 60s, timeout: 2s, retries: 1, concurrency: 32, groups: [{name: lab, community: public, match: [\"127.0.0.0/8\"]}]}\n", port))
	pid := e.proc.Pid()
	peak := 0
	phase := func(name string, f func()) {
		t.Helper()
		os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0)
		before := procStatusKB(t, pid, "VmRSS")
		start := time.Now()
		f()
		hwm := procStatusKB(t, pid, "VmHWM")
		peak = max(peak, hwm)
		t.Logf("FIGURE memory %s: %v, RSS %d MiB before, peak %d MiB, after %d MiB", name, time.Since(start).Round(time.Millisecond),
			before>>10, hwm>>10, procStatusKB(t, pid, "VmRSS")>>10)
	}
	csvFile, jsonBody := inventoryFiles(t, e.dir, n)
	phase("accessctl import of 100,000 accesses (CSV)", func() {
		if code, out, errOut := e.ctl("import", csvFile); code != 0 {
			t.Fatalf("import: %s %s", out, errOut)
		}
	})
	phase("import API, the same 100,000 accesses (JSON, unchanged)", func() {
		req, _ := http.NewRequest("POST", e.base+"/api/import/prod/access", bytes.NewReader(jsonBody))
		req.Header.Set("api-key", "k-prod")
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("import API: %v %v", resp, err)
		}
		resp.Body.Close()
	})
	jsonBody = nil

	startSwitches(t, switches, port)
	phase(fmt.Sprintf("first SNMP cycle of %d switches with 100,000 accesses, and a full PI V1 export", switches), func() {
		testkit.WaitUntil(t, 10*time.Minute, "every switch polled", func() bool {
			code, out, _ := e.ctl("status")
			return code == 0 && strings.Contains(out, fmt.Sprintf("%d polled, 0 unreachable", switches)) && strings.Contains(out, " 0 UNKNOWN")
		})
		if r := e.get("/ko/api/1/", "basic", "sp:pw"); r.status != 200 {
			t.Fatalf("export: %d", r.status)
		}
	})
	phase("a second SNMP cycle and an export", func() {
		time.Sleep(70 * time.Second)
		e.get("/ko/api/1/", "basic", "sp:pw")
	})
	fds, _ := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	t.Logf("FIGURE memory peak RSS over the run: %d MiB (GOMEMLIMIT %q, MemoryHigh=%s, MemoryMax=%s); %d open file descriptors (LimitNOFILE=%s)",
		peak>>10, unit["Environment=GOMEMLIMIT"], unit["MemoryHigh"], unit["MemoryMax"], len(fds), unit["LimitNOFILE"])
}

// inventoryFiles writes the n accesses as a CSV file in dir and returns
// its path and their JSON.
func inventoryFiles(t *testing.T, dir string, n int) (string, []byte) {
	t.Helper()
	csvFile := filepath.Join(dir, "100k.csv")
	var b bytes.Buffer
	if err := inventory.WriteCSV(&b, loopbackAccesses(n), inventory.ExtendedCSVColumns()...); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(csvFile, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	csvSize := b.Len()
	b.Reset()
	if err := inventory.WriteJSON(&b, loopbackAccesses(n)); err != nil {
		t.Fatal(err)
	}
	t.Logf("FIGURE %d accesses: CSV %d bytes, JSON %d bytes", n, csvSize, b.Len())
	return csvFile, b.Bytes()
}

// startSwitches runs n simulated 48-port switches on 127.20.x.y:port (the
// loopback twins of invtest's switches) until the test ends.
func startSwitches(t *testing.T, n, port int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	ports := make([]string, invtest.PortsPerSwitch)
	for p := range ports {
		ports[p] = invtest.PortName(p)
	}
	for s := range n {
		addr := strings.Replace(invtest.SwitchAddress(s), "10.", "127.", 1)
		sw, err := demosim.NewSwitch(demosim.SwitchOptions{Listen: fmt.Sprintf("%s:%d", addr, port), Name: addr, Ports: ports, FlapEvery: -1})
		if err != nil {
			t.Fatal(err)
		}
		ready := make(chan struct{})
		go sw.Run(ctx, func() { close(ready) })
		<-ready
	}
}

// unitSettings reads the Key=Value lines of systemd/accessd.service
// (Environment=NAME=V as "Environment=NAME").
func unitSettings(t *testing.T) map[string]string {
	t.Helper()
	b, err := os.ReadFile("../../systemd/accessd.service")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for l := range strings.Lines(string(b)) {
		l = strings.TrimSpace(l)
		if l == "" || l[0] == '#' || l[0] == '[' {
			continue
		}
		k, v, _ := strings.Cut(l, "=")
		if k == "Environment" {
			name, val, _ := strings.Cut(v, "=")
			k, v = k+"="+name, val
		}
		out[k] = v
	}
	return out
}
