package labtest

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"

	"github.com/stadsnat/accessd/dhcp/binding"
	"github.com/stadsnat/accessd/dhcp/circuit"
	"github.com/stadsnat/accessd/dhcp/dhcp4"
	"github.com/stadsnat/accessd/dhcp/hwaddr"
	"github.com/stadsnat/accessd/dhcp/kealease"
	"github.com/stadsnat/accessd/dhcp/option82"
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

type lab struct {
	t                       *testing.T
	dir                     string
	cli, relay, srv, kea    string
	relayDown, srvIP, keaIP string
}

func (l *lab) ip(args ...string) {
	l.t.Helper()
	if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
		l.t.Fatalf("ip %s: %v: %s", strings.Join(args, " "), err, out)
	}
}

func (l *lab) nsx(ns string, args ...string) {
	l.t.Helper()
	l.ip(append([]string{"netns", "exec", ns}, args...)...)
}

// start runs a program inside a namespace and stops it (by its PID) at
// cleanup. `ip netns exec` execs the program, so the PID is the program's.
func (l *lab) start(name, ns string, env []string, args ...string) {
	l.t.Helper()
	logf, err := os.Create(filepath.Join(l.dir, name+".log"))
	if err != nil {
		l.t.Fatal(err)
	}
	cmd := exec.Command("ip", append([]string{"netns", "exec", ns}, args...)...)
	cmd.Stdout, cmd.Stderr, cmd.Env = logf, logf, append(os.Environ(), env...)
	if err := cmd.Start(); err != nil {
		l.t.Fatalf("start %s: %v", name, err)
	}
	l.t.Cleanup(func() {
		_ = cmd.Process.Signal(unix.SIGTERM)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(3 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		logf.Close()
		if l.t.Failed() {
			b, _ := os.ReadFile(logf.Name())
			l.t.Logf("%s log:\n%s", name, b)
		}
	})
}

func prerequisites(t *testing.T) {
	if os.Geteuid() != 0 {
		requireIntegration(t, "needs root for network namespaces")
	}
	for _, bin := range []string{"ip", "dhcrelay", "dhclient", "kea-dhcp4"} {
		if _, err := exec.LookPath(bin); err != nil {
			requireIntegration(t, "needs %s (see ../../../shared/lab/install-deps.sh)", bin)
		}
	}
}

func newLab(t *testing.T) *lab {
	p := fmt.Sprintf("adt-lab-%d-", os.Getpid())
	l := &lab{t: t, dir: t.TempDir(), cli: p + "cli", relay: p + "relay", srv: p + "srv", kea: p + "kea",
		relayDown: "10.252.1.1", srvIP: "10.252.0.2", keaIP: "10.252.0.6"}
	for _, ns := range []string{l.cli, l.relay, l.srv, l.kea} {
		if out, err := exec.Command("ip", "netns", "add", ns).CombinedOutput(); err != nil {
			requireIntegration(t, "cannot create network namespace %s: %v: %s", ns, err, out)
		}
		t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", ns).Run() })
		l.nsx(ns, "ip", "link", "set", "lo", "up")
		l.nsx(ns, "sysctl", "-qw", "net.ipv4.conf.all.rp_filter=0", "net.ipv4.conf.default.rp_filter=0")
	}
	veth := func(nsA, a, nsB, b string) {
		l.ip("link", "add", a, "netns", nsA, "type", "veth", "peer", "name", b, "netns", nsB)
		if _, err := exec.LookPath("ethtool"); err == nil {
			_ = exec.Command("ip", "netns", "exec", nsA, "ethtool", "-K", a, "tx", "off").Run()
			_ = exec.Command("ip", "netns", "exec", nsB, "ethtool", "-K", b, "tx", "off").Run()
		}
		l.nsx(nsA, "ip", "link", "set", a, "up")
		l.nsx(nsB, "ip", "link", "set", b, "up")
	}
	veth(l.cli, "cli0", l.relay, "rl-down")
	veth(l.relay, "rl-srv", l.srv, "srv0")
	veth(l.relay, "rl-kea", l.kea, "kea0")
	l.nsx(l.relay, "ip", "addr", "add", l.relayDown+"/24", "dev", "rl-down")
	l.nsx(l.relay, "ip", "addr", "add", "10.252.0.1/30", "dev", "rl-srv")
	l.nsx(l.relay, "ip", "addr", "add", "10.252.0.5/30", "dev", "rl-kea")
	l.nsx(l.srv, "ip", "addr", "add", l.srvIP+"/30", "dev", "srv0")
	l.nsx(l.kea, "ip", "addr", "add", l.keaIP+"/30", "dev", "kea0")
	l.nsx(l.srv, "ip", "route", "add", "default", "via", "10.252.0.1")
	l.nsx(l.kea, "ip", "route", "add", "default", "via", "10.252.0.5")
	return l
}

// listenIn opens a UDP socket inside a namespace (the socket stays there).
func listenIn(ns, addr string) (*net.UDPConn, error) {
	runtime.LockOSThread()
	orig, err := os.Open("/proc/thread-self/ns/net")
	if err != nil {
		runtime.UnlockOSThread()
		return nil, err
	}
	defer orig.Close()
	target, err := os.Open("/run/netns/" + ns)
	if err != nil {
		runtime.UnlockOSThread()
		return nil, err
	}
	defer target.Close()
	if err := unix.Setns(int(target.Fd()), unix.CLONE_NEWNET); err != nil {
		runtime.UnlockOSThread()
		return nil, fmt.Errorf("setns %s: %w", ns, err)
	}
	c, lerr := net.ListenUDP("udp4", net.UDPAddrFromAddrPort(netip.MustParseAddrPort(addr)))
	if err := unix.Setns(int(orig.Fd()), unix.CLONE_NEWNET); err != nil {
		// Leave the thread locked: it dies with this goroutine instead of
		// running other goroutines in the wrong namespace.
		if c != nil {
			c.Close()
		}
		return nil, fmt.Errorf("setns back: %w", err)
	}
	runtime.UnlockOSThread()
	return c, lerr
}

func TestRelayKeaToBinding(t *testing.T) {
	prerequisites(t)
	l := newLab(t)

	conn, err := listenIn(l.srv, "0.0.0.0:67")
	if err != nil {
		t.Fatalf("listen in %s: %v", l.srv, err)
	}
	defer conn.Close()

	leases := filepath.Join(l.dir, "kea-leases4.csv")
	keaConf := filepath.Join(l.dir, "kea-dhcp4.json")
	conf := fmt.Sprintf(`{"Dhcp4": {
  "interfaces-config": {"interfaces": ["kea0"], "dhcp-socket-type": "udp"},
  "lease-database": {"type": "memfile", "persist": true, "lfc-interval": 0, "name": %q},
  "store-extended-info": true,
  "valid-lifetime": 120, "renew-timer": 60, "rebind-timer": 90,
  "subnet4": [{"id": 1, "subnet": "10.252.1.0/24", "pools": [{"pool": "10.252.1.100 - 10.252.1.199"}],
               "option-data": [{"name": "routers", "data": %q}]}],
  "loggers": [{"name": "kea-dhcp4", "severity": "INFO", "output_options": [{"output": %q}]}]
}}`, leases, l.relayDown, filepath.Join(l.dir, "kea.log"))
	if err := os.WriteFile(keaConf, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	l.start("kea", l.kea, []string{"KEA_LOCKFILE_DIR=" + l.dir, "KEA_PIDFILE_DIR=" + l.dir}, "kea-dhcp4", "-c", keaConf)
	waitFor(t, 10*time.Second, "kea's lease file", func() bool { _, err := os.Stat(leases); return err == nil })
	l.start("dhcrelay", l.relay, nil, "dhcrelay", "-4", "-d", "-a", "-pf", filepath.Join(l.dir, "dhcrelay.pid"),
		"-id", "rl-down", "-iu", "rl-srv", "-iu", "rl-kea", l.keaIP, l.srvIP)
	time.Sleep(500 * time.Millisecond) // dhcrelay opens its sockets; nothing to poll for
	l.start("dhclient", l.cli, nil, "dhclient", "-4", "-d", "-v", "-sf", "/bin/true",
		"-lf", filepath.Join(l.dir, "dhclient.leases"), "-pf", filepath.Join(l.dir, "dhclient.pid"), "cli0")

	dec, err := circuit.NewDecoder([]circuit.Profile{{Name: "lab-relay", Format: circuit.FormatText, Key: circuit.DefaultKey}})
	if err != nil {
		t.Fatal(err)
	}
	// dhcrelay sends no remote-id, so the key is the circuit-id alone.
	inventory := map[string]string{"rl-down": "ACC-LAB-1"}
	m := binding.New(binding.Config{})
	var cur *binding.Binding
	var requested netip.Addr
	var mac hwaddr.MAC

	// Relay copies: until a REQUEST with option 50 arrives.
	buf := make([]byte, 1500)
	deadline := time.Now().Add(30 * time.Second)
	var p dhcp4.Packet
	for !requested.IsValid() {
		if time.Now().After(deadline) {
			t.Fatal("no relayed REQUEST within 30 s")
		}
		_ = conn.SetReadDeadline(time.Now().Add(time.Second))
		n, src, err := conn.ReadFromUDPAddrPort(buf)
		if errors.Is(err, os.ErrDeadlineExceeded) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := p.Decode(buf[:n]); err != nil {
			t.Fatalf("relayed packet from %v: %v", src, err)
		}
		c, err := dec.Decode(p.GIAddr, p.Option82)
		if err != nil {
			t.Fatalf("circuit: %v", err)
		}
		ob, ok := binding.FromPacket(&p, binding.SourceRelay, time.Now(), inventory[c.Key], c.Key)
		if !ok {
			continue
		}
		r := m.Apply(cur, nil, ob)
		cur = r.Binding
		if p.MessageType == dhcp4.Request && p.RequestedIP.IsValid() {
			requested, mac = p.RequestedIP, ob.MAC
			if diff := cmp.Diff([]any{uint8(1), l.relayDown, "rl-down", "ACC-LAB-1"},
				[]any{p.Hops, p.GIAddr.String(), c.CircuitID, ob.Access}); diff != "" {
				t.Errorf("relayed REQUEST (-want +got):\n%s", diff)
			}
		}
	}
	if cur == nil || cur.State != binding.Tentative || cur.IP != requested {
		t.Fatalf("after the relayed REQUEST: %+v", cur)
	}

	// Kea's lease file confirms it.
	var confirmed bool
	waitFor(t, 15*time.Second, "the lease in Kea's file", func() bool {
		f, err := os.Open(leases)
		if err != nil {
			return false
		}
		defer f.Close()
		ls, sum, err := kealease.Latest(f)
		if err != nil || sum.BadRows != 0 {
			t.Fatalf("lease file: %v, %d bad rows %v", err, sum.BadRows, sum.RowErrors)
		}
		for _, ls := range ls {
			if ls.Address != requested {
				continue
			}
			access, key := "", ""
			if o, ok, err := ls.Option82(); ok && err == nil {
				if c, err := dec.Decode(netip.Addr{}, []option82.Option{o}); err == nil {
					access, key = inventory[c.Key], c.Key
				}
			}
			if key == "" {
				t.Errorf("lease row of line %d carries no relay information", ls.Line)
			}
			ob, ok := binding.FromLease(&ls, access, key)
			if !ok {
				continue
			}
			r := m.Apply(cur, nil, ob)
			cur, confirmed = r.Binding, r.Binding.State == binding.Bound
		}
		return confirmed
	})
	got := []any{cur.State, cur.IP, cur.MAC, cur.Access, cur.Circuit}
	want := []any{binding.Bound, requested, mac, "ACC-LAB-1", "rl-down"}
	if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); diff != "" {
		t.Errorf("binding (-want +got):\n%s", diff)
	}
}

func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(d); ; {
		if cond() {
			return
		}
		if time.Now().After(end) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
