package main_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stadsnat/accessd/cmd/internal/admin"
	"github.com/stadsnat/accessd/internal/testkit"
)

// dhcpd is one accessd process with a DHCP configuration.
type dhcpd struct {
	t      *testing.T
	ctl    string
	cfg    string
	sock   string
	proc   *testkit.Process
	client *admin.Client
}

// newDHCPD writes a configuration (dhcpYAML is the dhcp: section body,
// indented by two spaces) and returns a daemon that is not started yet;
// prefix runs it under another program (ip netns exec NS,
// systemd-socket-activate …).
func newDHCPD(t *testing.T, dir, bin, ctl, httpAddr, dhcpYAML string, prefix ...string) *dhcpd {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	d := &dhcpd{t: t, ctl: ctl, cfg: filepath.Join(dir, "accessd.yaml"), sock: filepath.Join(dir, "admin.sock")}
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
	d.proc = testkit.NewProcess(t, append(append([]string(nil), prefix...), bin, "-config", d.cfg)...)
	d.proc.Name = "accessd in " + filepath.Base(dir)
	return d
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
	d.proc.Start()
}

// waitReady waits until the admin socket answers ready.
func (d *dhcpd) waitReady() {
	d.t.Helper()
	// Restarted under a flood of relayed packets, a race-detector build
	// on a busy machine takes longer than 20 s to be ready.
	timeout := 20 * time.Second
	if testkit.RaceEnabled {
		timeout = time.Minute
	}
	d.proc.WaitReady(timeout, func() error {
		var s admin.Status
		if err := d.client.Do(context.Background(), http.MethodGet, "/v1/status", nil, "", &s); err != nil {
			return err
		}
		if !s.Ready {
			return fmt.Errorf("status: not ready: %s", s.NotReady)
		}
		return nil
	})
}

// sigkill kills the daemon with SIGKILL and waits for it.
func (d *dhcpd) sigkill() {
	d.t.Helper()
	d.proc.Kill()
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
func (d *dhcpd) committed() admin.Committed {
	d.t.Helper()
	var c admin.Committed
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
		if !strings.HasPrefix(line, "accessd_dhcp_") && !strings.HasPrefix(line, "accessd_process_cpu_seconds_total") {
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
func checkSurvived(t *testing.T, before, after admin.Committed) {
	t.Helper()
	if after.CommitSeq < before.CommitSeq {
		t.Errorf("commit sequence %d after the restart, %d was committed before the kill", after.CommitSeq, before.CommitSeq)
	}
	have := make(map[string]admin.CommittedBinding, len(after.Bindings))
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
