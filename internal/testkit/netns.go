package testkit

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// Netns is a network namespace the test created (ip netns add); it is
// deleted when the test ends, with everything inside.
type Netns struct {
	Name string
	t    testing.TB
}

// NewNetns creates the namespace name with its loopback up and reverse-path
// filtering off (relayed and routed lab traffic is asymmetric). It needs
// root and iproute2 (Missing otherwise). Make name unique to the run (see
// UniqueName): other tests and other people's runs create namespaces too.
func NewNetns(t testing.TB, name string) *Netns {
	t.Helper()
	RequireRoot(t, "a network namespace")
	RequireCommands(t, "ip")
	if out, err := exec.Command("ip", "netns", "add", name).CombinedOutput(); err != nil {
		Missing(t, "cannot create network namespace %s: %v: %s", name, err, strings.TrimSpace(string(out)))
	}
	n := &Netns{Name: name, t: t}
	t.Cleanup(func() {
		if out, err := exec.Command("ip", "netns", "del", name).CombinedOutput(); err != nil {
			t.Errorf("ip netns del %s: %v: %s", name, err, out)
		}
	})
	n.Exec("ip", "link", "set", "lo", "up")
	n.Exec("sysctl", "-qw", "net.ipv4.conf.all.rp_filter=0", "net.ipv4.conf.default.rp_filter=0")
	return n
}

// UniqueName returns prefix followed by the test process's PID and a
// random tag, at most max characters long (Linux interface names: 15).
func UniqueName(prefix string, max int) string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	s := fmt.Sprintf("%s%x%s", prefix, os.Getpid(), hex.EncodeToString(b[:]))
	if len(s) > max {
		// keep the random end, drop PID digits
		s = prefix + s[len(s)-(max-len(prefix)):]
	}
	return s
}

// Prefix is the command prefix that runs a program in the namespace:
// ip netns exec NAME (which execs the program: the PID is the program's).
func (n *Netns) Prefix() []string { return []string{"ip", "netns", "exec", n.Name} }

// Command returns args prefixed to run in the namespace (nil: in the
// test's own namespace).
func (n *Netns) Command(args ...string) []string {
	if n == nil {
		return args
	}
	return append(n.Prefix(), args...)
}

// Exec runs a command in the namespace and returns its output; a failure
// fails the test with the output.
func (n *Netns) Exec(args ...string) string {
	n.t.Helper()
	return run(n.t, n.Command(args...)...)
}

// run runs args and fails t with the output on error.
func run(t testing.TB, args ...string) string {
	t.Helper()
	out, err := exec.Command(args[0], args[1:]...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// Run runs args in t's own namespace, failing the test with the output on
// error, and returns the output.
func Run(t testing.TB, args ...string) string {
	t.Helper()
	return run(t, args...)
}

// Veth creates a veth pair: end a in namespace na, end b in nb (nil: the
// test's own namespace), both up, with transmit checksum offload off where
// ethtool exists (as the lab scripts do). Deleting either namespace
// deletes the pair; a pair entirely in the test's namespace is deleted when
// the test ends.
func Veth(t testing.TB, na *Netns, a string, nb *Netns, b string) {
	t.Helper()
	args := []string{"ip", "link", "add", a}
	if na != nil {
		args = append(args, "netns", na.Name)
	}
	args = append(args, "type", "veth", "peer", "name", b)
	if nb != nil {
		args = append(args, "netns", nb.Name)
	}
	run(t, args...)
	if na == nil {
		t.Cleanup(func() {
			if _, err := os.Stat("/sys/class/net/" + a); err == nil {
				_ = exec.Command("ip", "link", "del", a).Run()
			}
		})
	}
	if _, err := exec.LookPath("ethtool"); err == nil {
		// best effort, as in the scripts: dhclient and dhcrelay work
		// either way
		for _, c := range [][]string{na.Command("ethtool", "-K", a, "tx", "off"), nb.Command("ethtool", "-K", b, "tx", "off")} {
			_ = exec.Command(c[0], c[1:]...).Run()
		}
	}
	run(t, na.Command("ip", "link", "set", a, "up")...)
	run(t, nb.Command("ip", "link", "set", b, "up")...)
}

// Do runs f on an OS thread that has entered the namespace, then returns
// the thread to the test's namespace. Sockets f opens stay in the
// namespace. If the thread cannot go back it stays locked and dies with
// its goroutine instead of running other goroutines in the wrong
// namespace.
func (n *Netns) Do(f func() error) error {
	ch := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := os.Open("/proc/thread-self/ns/net")
		if err != nil {
			runtime.UnlockOSThread()
			ch <- err
			return
		}
		defer orig.Close()
		target, err := os.Open("/run/netns/" + n.Name)
		if err != nil {
			runtime.UnlockOSThread()
			ch <- err
			return
		}
		defer target.Close()
		if err := unix.Setns(int(target.Fd()), unix.CLONE_NEWNET); err != nil {
			runtime.UnlockOSThread()
			ch <- fmt.Errorf("setns %s: %w", n.Name, err)
			return
		}
		ferr := f()
		if err := unix.Setns(int(orig.Fd()), unix.CLONE_NEWNET); err != nil {
			ch <- fmt.Errorf("setns back from %s: %w (and %v)", n.Name, err, ferr)
			return
		}
		runtime.UnlockOSThread()
		ch <- ferr
	}()
	return <-ch
}

// ListenUDP opens a UDP socket on addr inside the namespace.
func (n *Netns) ListenUDP(addr string) (*net.UDPConn, error) {
	ap, err := netip.ParseAddrPort(addr)
	if err != nil {
		return nil, err
	}
	var c *net.UDPConn
	err = n.Do(func() error {
		var lerr error
		c, lerr = net.ListenUDP("udp4", net.UDPAddrFromAddrPort(ap))
		return lerr
	})
	if err != nil && c != nil {
		c.Close()
		c = nil
	}
	return c, err
}

// HTTPClient is an HTTP client whose connections are made inside the
// namespace (the daemons there listen on its addresses and loopback).
func (n *Netns) HTTPClient() *http.Client {
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		var c net.Conn
		err := n.Do(func() error {
			var d net.Dialer
			var derr error
			c, derr = d.DialContext(ctx, network, addr)
			return derr
		})
		if err != nil && c != nil {
			c.Close()
			c = nil
		}
		return c, err
	}
	return &http.Client{Transport: &http.Transport{DialContext: dial, DisableKeepAlives: true}, Timeout: 10 * time.Second}
}
