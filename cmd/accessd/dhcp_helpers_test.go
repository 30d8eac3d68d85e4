package main_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stadsnat/accessd/cmd/internal/admin"
	"github.com/stadsnat/accessd/dhcp/view"
)

// requireIntegration skips, or fails under ACCESSD_REQUIRE_INTEGRATION=1.
func requireIntegration(t *testing.T, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if os.Getenv("ACCESSD_REQUIRE_INTEGRATION") == "1" {
		t.Fatalf("integration prerequisite missing: %s", msg)
	}
	t.Skipf("skipping integration test: %s (set ACCESSD_REQUIRE_INTEGRATION=1 to make this a failure)", msg)
}

// dhcpBinaries builds accessd, accessctl and dhcpload into dir/bin.
func dhcpBinaries(t *testing.T, dir string) (accessd, accessctl, dhcpload string) {
	t.Helper()
	accessd, accessctl = buildBinaries(t, dir)
	out := filepath.Join(dir, "bin")
	cmd := exec.Command("go", "build", "-o", out+"/", "../../cmd/dhcpload")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build dhcpload: %v\n%s", err, b)
	}
	return accessd, accessctl, filepath.Join(out, "dhcpload")
}

func freeUDPPort(t *testing.T) int {
	t.Helper()
	c, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port
}

// dhcpd is one accessd process with a DHCP configuration.
type dhcpd struct {
	t       *testing.T
	bin     string
	ctl     string
	cfg     string
	sock    string
	prefix  []string // e.g. ip netns exec NS
	cmd     *exec.Cmd
	log     *syncBuffer
	logs    []string // logs of earlier runs of this daemon
	client  *admin.Client
	exited  chan struct{}
	waitErr error
}

// syncBuffer is a log buffer the test reads while the daemon writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// newDHCPD writes a configuration (dhcpYAML is the dhcp: section body,
// indented by two spaces) and returns a daemon that is not started yet.
func newDHCPD(t *testing.T, dir, bin, ctl, httpAddr, dhcpYAML string, prefix ...string) *dhcpd {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	d := &dhcpd{t: t, bin: bin, ctl: ctl, cfg: filepath.Join(dir, "accessd.yaml"), sock: filepath.Join(dir, "admin.sock"), prefix: prefix}
	y := fmt.Sprintf(`state_dir: %s
ko_id: DHCPTEST
environment: test
log: {level: info}
http: {listen: ["%s"]}
admin: {socket: %s, mode: "0600"}
users:
  - {name: sp, password: pw, apis: [pi-v1, pi-api, on-api]}
snmp: {enabled: false}
dhcp:
%s`, filepath.Join(dir, "state"), httpAddr, d.sock, dhcpYAML)
	if err := os.WriteFile(d.cfg, []byte(y), 0o600); err != nil {
		t.Fatal(err)
	}
	d.client = admin.NewClient(d.sock)
	t.Cleanup(func() {
		d.kill()
		if t.Failed() {
			for i, l := range append(d.logs, d.logString()) {
				t.Logf("accessd (%s) log of run %d:\n%s", dir, i+1, l)
			}
		}
	})
	return d
}

func (d *dhcpd) logString() string {
	if d.log == nil {
		return ""
	}
	return d.log.String()
}

// start runs the daemon and waits until its admin socket answers ready.
func (d *dhcpd) start() {
	d.t.Helper()
	d.spawn()
	d.waitReady()
}

// spawn runs the daemon.
func (d *dhcpd) spawn() {
	d.t.Helper()
	if d.log != nil {
		d.logs = append(d.logs, d.log.String())
	}
	d.log = &syncBuffer{}
	args := append(append([]string(nil), d.prefix...), d.bin, "-config", d.cfg)
	d.cmd = exec.Command(args[0], args[1:]...)
	d.cmd.Stdout, d.cmd.Stderr = d.log, d.log
	if err := d.cmd.Start(); err != nil {
		d.t.Fatal(err)
	}
	d.exited = make(chan struct{})
	go func() { d.waitErr = d.cmd.Wait(); close(d.exited) }()
}

// waitReady waits until the admin socket answers ready.
func (d *dhcpd) waitReady() {
	d.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		var s admin.Status
		err := d.client.Do(context.Background(), http.MethodGet, "/v1/status", nil, "", &s)
		if err == nil && s.Ready {
			return
		}
		select {
		case <-d.exited:
			d.t.Fatalf("accessd exited at start: %v\n%s", d.waitErr, d.log)
		default:
		}
		if time.Now().After(deadline) {
			d.t.Fatalf("accessd not ready after 20 s: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// sigkill kills the daemon with SIGKILL and waits for it.
func (d *dhcpd) sigkill() {
	d.t.Helper()
	if err := d.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		d.t.Fatal(err)
	}
	<-d.exited
}

// kill stops a running daemon (cleanup).
func (d *dhcpd) kill() {
	if d.cmd == nil || d.exited == nil {
		return
	}
	select {
	case <-d.exited:
		return
	default:
	}
	d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-d.exited:
	case <-time.After(10 * time.Second):
		d.cmd.Process.Kill()
		<-d.exited
	}
}

// ctlRun runs accessctl against the daemon.
func (d *dhcpd) ctlRun(args ...string) (string, error) {
	d.t.Helper()
	cmd := exec.Command(d.ctl, append([]string{"-socket", d.sock}, args...)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if err != nil {
		return out.String(), fmt.Errorf("accessctl %s: %v: %s", strings.Join(args, " "), err, errb.String())
	}
	return out.String(), nil
}

// ctlJSON runs accessctl -json and decodes its output.
func (d *dhcpd) ctlJSON(out any, args ...string) error {
	d.t.Helper()
	s, err := d.ctlRun(append([]string{"-json"}, args...)...)
	if err != nil {
		return err
	}
	return json.Unmarshal([]byte(s), out)
}

// committed asks the daemon what its store holds.
func (d *dhcpd) committed() view.Committed {
	d.t.Helper()
	var c view.Committed
	if err := d.client.Do(context.Background(), http.MethodGet, "/v1/dhcp/committed", nil, "", &c); err != nil {
		d.t.Fatalf("committed: %v", err)
	}
	return c
}

// metrics reads the daemon's accessd_dhcp_ metrics (name{labels} → value).
func metricsOf(t *testing.T, get func(path string) (string, error)) map[string]float64 {
	t.Helper()
	body, err := get("/metrics")
	if err != nil {
		t.Fatalf("metrics: %v", err)
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(strings.NewReader(body))
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "accessd_dhcp_") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err == nil {
			out[line[:i]] = v
		}
	}
	return out
}

// sumMetrics adds the metrics whose name{labels} starts with prefix.
func sumMetrics(m map[string]float64, prefix string) float64 {
	var s float64
	for k, v := range m {
		if strings.HasPrefix(k, prefix) {
			s += v
		}
	}
	return s
}

func httpGet(c *http.Client, url, user, pass string) (string, error) {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return "", err
	}
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	resp, err := c.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		return string(b), fmt.Errorf("GET %s: %s: %s", url, resp.Status, b)
	}
	return string(b), err
}

// loadInventory writes a CSV of accesses whose Option82 texts are what
// dhcpload sends with -remote-id '10.0.0.%d' -circuit-id 'ge-0/0/%d'
// (switches 1.., ports 1..), plus the demo inventory's lab access.
func loadInventory(t *testing.T, path string, switches, ports int) {
	t.Helper()
	var b strings.Builder
	b.WriteString("accessId,streetName,streetNumber,streetLittera,postalCode,city,countryCode,premisesType,mduApartmentNumber,mduDistinguisher,outletId,population,option82,coFiberConverter,coCpeSwitch,coCpeRouter,activationDate,salesStartDate,portSpeed,iptv,rfof,ipv4CircuitId,ipv4RemoteId\n")
	b.WriteString("ALS30001,Sjövägen,1,,441 60,Alingsås,SE,RESIDENTIAL_HOUSE,,,,DHCP-labb,rl-down,,,,YES,YES,1000,YES,NO,rl-down,\n")
	for s := 1; s <= switches; s++ {
		for p := 1; p <= ports; p++ {
			fmt.Fprintf(&b, "LD%03d%03d,Lastvägen,%d,,441 60,Alingsås,SE,RESIDENTIAL_HOUSE,,,,Last,10.0.0.%d ge-0/0/%d,,,,YES,YES,1000,YES,NO,,\n", s, p, p, s, p)
		}
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// checkSurvived compares what the store held before a SIGKILL (before)
// with what the restarted daemon's store holds: every binding committed
// before the kill must still be there with its IP and access, and the
// commit sequence must not go back.
func checkSurvived(t *testing.T, before, after view.Committed) {
	t.Helper()
	if after.CommitSeq < before.CommitSeq {
		t.Errorf("commit sequence %d after the restart, %d was committed before the kill", after.CommitSeq, before.CommitSeq)
	}
	have := make(map[string]view.CommittedBinding, len(after.Bindings))
	for _, b := range after.Bindings {
		have[b.MAC] = b
	}
	missing, changed := 0, 0
	for _, b := range before.Bindings {
		a, ok := have[b.MAC]
		switch {
		case !ok:
			if missing++; missing <= 5 {
				t.Errorf("binding %s (%s on %s) was committed before the kill and is gone", b.MAC, b.IP, b.Access)
			}
		case a.IP != b.IP || a.Access != b.Access:
			if changed++; changed <= 5 {
				t.Errorf("binding %s was %s on %s before the kill, %s on %s after", b.MAC, b.IP, b.Access, a.IP, a.Access)
			}
		}
	}
	if missing+changed > 0 {
		t.Errorf("%d of %d committed bindings lost, %d changed", missing, len(before.Bindings), changed)
	}
}
