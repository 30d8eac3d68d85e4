package testkit

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Two namespaces joined by a veth pair: a datagram sent from one arrives
// on a socket opened in the other.
func TestNetnsVeth(t *testing.T) {
	a, b := NewNetns(t, UniqueName("adt-kit-a-", 40)), NewNetns(t, UniqueName("adt-kit-b-", 40))
	Veth(t, a, "kit0", b, "kit1")
	a.Exec("ip", "addr", "add", "10.249.0.1/30", "dev", "kit0")
	b.Exec("ip", "addr", "add", "10.249.0.2/30", "dev", "kit1")
	c, err := b.ListenUDP("10.249.0.2:0")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	port := c.LocalAddr().(*net.UDPAddr).Port
	err = a.Do(func() error {
		s, err := net.Dial("udp4", fmt.Sprintf("10.249.0.2:%d", port))
		if err != nil {
			return err
		}
		defer s.Close()
		_, err = s.Write([]byte("hello"))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 16)
	n, from, err := c.ReadFromUDP(buf)
	if err != nil || string(buf[:n]) != "hello" || from.IP.String() != "10.249.0.1" {
		t.Errorf("read %q from %v: %v", buf[:n], from, err)
	}
}

// The lab scripts build their labs, report them, and take them down again
// leaving nothing behind (names of this run's own).
func TestLabScripts(t *testing.T) {
	SkipShort(t, "runs the lab scripts with real peers")
	RequireRoot(t, "the lab scripts")
	RequireCommands(t, "bash", "ip", "dhcrelay", "dhclient", "kea-dhcp4", "snmpd", "snmpget", "snmpwalk")
	run := filepath.Join(t.TempDir(), "run")
	tag := UniqueName("", 8)
	script := func(name string, env []string, args ...string) string {
		t.Helper()
		cmd := exec.Command("bash", append([]string{filepath.Join("lab", name)}, args...)...)
		cmd.Env = append(append(os.Environ(), "LAB_RUN="+run), env...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
		}
		return string(out)
	}

	t.Run("dhcp", func(t *testing.T) {
		env := []string{"NS_PREFIX=adt-s" + tag + "-", "NET=248"}
		t.Cleanup(func() { script("dhcp-lab.sh", env, "down") })
		out := script("dhcp-lab.sh", env, "up")
		for _, want := range []string{"kea: running", "dhcrelay: running", "client: running", "10.248.1.1"} {
			if !strings.Contains(out, want) {
				t.Errorf("dhcp-lab.sh up lacks %q:\n%s", want, out)
			}
		}
		b, err := os.ReadFile(filepath.Join(run, "dhcp", "kea-leases4.csv"))
		if err != nil || !strings.Contains(string(b), "10.248.1.1") {
			t.Errorf("Kea's lease file: %v\n%s", err, b)
		}
		script("dhcp-lab.sh", env, "down")
		if out := Run(t, "ip", "netns", "list"); strings.Contains(out, "adt-s"+tag) {
			t.Errorf("namespaces left after down:\n%s", out)
		}
	})

	t.Run("snmp", func(t *testing.T) {
		port := FreeUDPPort(t)
		prefix := "ads" + tag[:4]
		env := []string{"PORTS=2", "IFPREFIX=" + prefix, "PEERNS=adt-s" + tag + "-peer", fmt.Sprintf("SNMP_PORT=%d", port)}
		t.Cleanup(func() { script("snmp-lab.sh", env, "down") })
		out := script("snmp-lab.sh", env, "up")
		if !strings.Contains(out, `sysName: "lab-sw1"`) || !strings.Contains(out, `v3 authPriv sysName: "lab-sw1"`) {
			t.Errorf("snmp-lab.sh up:\n%s", out)
		}
		var table string
		WaitUntil(t, 20*time.Second, "both ports in snmpd's ifTable", func() bool {
			table = script("snmp-lab.sh", env, "table")
			return strings.Contains(table, prefix+"0") && strings.Contains(table, prefix+"1")
		})
		if out := script("snmp-lab.sh", env, "unplug", prefix+"1"); !strings.Contains(out, "ifOperStatus 2 after") {
			t.Errorf("unplug: %s", out)
		}
		script("snmp-lab.sh", env, "down")
		if _, err := os.Stat("/sys/class/net/" + prefix + "0"); err == nil {
			t.Errorf("port %s0 left after down", prefix)
		}
	})
}
