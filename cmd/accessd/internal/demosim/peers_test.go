package demosim

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/stadsnat/accessd/snmp/client"
	"github.com/stadsnat/accessd/snmp/ifmib"
	"github.com/stadsnat/accessd/snmp/poller"
)

// requireIntegration skips, or fails under ACCESSD_REQUIRE_INTEGRATION=1.
func requireIntegration(t *testing.T, msg string) {
	t.Helper()
	if os.Getenv("ACCESSD_REQUIRE_INTEGRATION") == "1" {
		t.Fatalf("%s (ACCESSD_REQUIRE_INTEGRATION=1: a missing prerequisite is a failure; .ci/install-deps installs it)", msg)
	}
	t.Skipf("skipping: %s (set ACCESSD_REQUIRE_INTEGRATION=1 to make this a failure)", msg)
}

// TestPollerReadsSimulatedSwitch: accessd's own poller, over UDP, finds
// every demo port by name with its link and speed, and sees a port the
// test unplugs go DOWN at a later cycle.
func TestPollerReadsSimulatedSwitch(t *testing.T) {
	s := startSwitch(t, SwitchOptions{Ports: demoPorts, Down: []string{"acc4"}, FlapEvery: -1})
	opts := poller.DefaultOptions()
	opts.Interval, opts.Timeout, opts.Retries = 200*time.Millisecond, time.Second, 0
	p, err := poller.New(poller.SinkFunc(func(poller.SwitchState, []poller.PortState) {}), opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.SetSwitches([]poller.Switch{{Address: s.Addr(), Group: "demo",
		Credentials: client.Credentials{Community: "public"}, Ports: demoPorts}}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	defer func() { cancel(); <-done }()
	select {
	case <-p.Ready():
	case <-time.After(10 * time.Second):
		t.Fatal("poller not ready after 10 s")
	}
	type port struct {
		Port  string
		Link  ifmib.Link
		Speed uint64
	}
	read := func() []port {
		var out []port
		for _, ps := range p.Ports() {
			out = append(out, port{ps.Port, ps.Link, ps.SpeedMbps})
		}
		return out
	}
	want := []port{{"acc0", "UP", 1000}, {"acc1", "UP", 100}, {"acc2", "UP", 1000}, {"acc3", "UP", 10000}, {"acc4", "DOWN", 1000}}
	if diff := cmp.Diff(want, read()); diff != "" {
		t.Errorf("poller's ports (-want +got):\n%s", diff)
	}
	if err := s.SetLink("acc2", false); err != nil {
		t.Fatal(err)
	}
	want[2].Link = "DOWN"
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) && !cmp.Equal(want, read()) {
		time.Sleep(50 * time.Millisecond) // the poller's real UDP cycle: no fake clock
	}
	if diff := cmp.Diff(want, read()); diff != "" {
		t.Errorf("after unplugging acc2 (-want +got):\n%s", diff)
	}
}

// TestNetSNMPWalk: net-snmp's snmpbulkwalk and snmpwalk, what a NOC
// engineer would try first, read the simulated switch's ifName column.
func TestNetSNMPWalk(t *testing.T) {
	for _, tool := range []string{"snmpbulkwalk", "snmpwalk"} {
		if _, err := exec.LookPath(tool); err != nil {
			requireIntegration(t, tool+" (Debian package snmp) is not installed")
		}
	}
	s := startSwitch(t, SwitchOptions{Ports: demoPorts, FlapEvery: -1})
	for _, tool := range []string{"snmpbulkwalk", "snmpwalk"} {
		cmd := exec.CommandContext(t.Context(), tool, "-v2c", "-c", "public", "-m", "", "-On", "-Oq", "-t", "2", "-r", "1",
			s.Addr(), ifmib.ColName.OID())
		// net-snmp's persistent state goes to a directory of the test's own
		cmd.Env = append(os.Environ(), "SNMP_PERSISTENT_DIR="+t.TempDir())
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("%s: %v", tool, err)
		}
		var got []string
		for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			oid, value, _ := strings.Cut(line, " ")
			got = append(got, oid+" "+strings.Trim(value, `"`))
		}
		var want []string
		for i, p := range demoPorts {
			want = append(want, ifmib.ColName.Instance(i+1)+" "+p)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tool, diff)
		}
	}
}
