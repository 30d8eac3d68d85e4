package main_test

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stadsnat/accessd/internal/testkit"
)

// notifySocket is a fake systemd notification socket.
type notifySocket struct {
	conn *net.UnixConn
	path string
	msgs chan string
}

func newNotifySocket(t *testing.T) *notifySocket {
	t.Helper()
	path := filepath.Join(t.TempDir(), "notify.sock")
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	n := &notifySocket{conn: c, path: path, msgs: make(chan string, 100)}
	go func() {
		buf := make([]byte, 4096)
		for {
			k, err := c.Read(buf)
			if err != nil {
				close(n.msgs)
				return
			}
			n.msgs <- string(buf[:k])
		}
	}()
	t.Cleanup(func() { c.Close() })
	return n
}

// expect waits for a message starting with prefix, returning it.
func (n *notifySocket) expect(t *testing.T, prefix string, within time.Duration) string {
	t.Helper()
	deadline := time.After(within)
	for {
		select {
		case m, ok := <-n.msgs:
			if !ok {
				t.Fatalf("notify socket closed while waiting for %q", prefix)
			}
			if strings.HasPrefix(m, prefix) {
				return m
			}
		case <-deadline:
			t.Fatalf("no %q from accessd within %v", prefix, within)
		}
	}
}

// accessd tells systemd READY=1 with a STATUS line once every task is
// ready, pings the watchdog at half WatchdogSec, reloads on SIGHUP with
// RELOADING=1 … READY=1, and says STOPPING=1 on SIGTERM.
func TestSystemdNotifyProtocol(t *testing.T) {
	testkit.SkipShort(t, "builds and runs the daemon")
	dir := t.TempDir()
	accessd := testkit.Binaries(t).Accessd
	cfg := filepath.Join(dir, "accessd.yaml")
	os.WriteFile(cfg, []byte("state_dir: "+filepath.Join(dir, "state")+"\nhttp: {listen: [\""+testkit.FreeTCPAddr(t)+"\"]}\nadmin: {socket: "+filepath.Join(dir, "a.sock")+"}\nsnmp: {enabled: false}\n"), 0o600)
	ns := newNotifySocket(t)
	p := testkit.NewProcess(t, accessd, "-config", cfg)
	p.Env = []string{"NOTIFY_SOCKET=" + ns.path, "WATCHDOG_USEC=400000"}
	p.Start()
	ready := ns.expect(t, "READY=1", 10*time.Second)
	if !strings.Contains(ready, "\nSTATUS=serving 0 accesses") {
		t.Errorf("READY message %q lacks the STATUS line", ready)
	}
	ns.expect(t, "WATCHDOG=1", time.Second)
	ns.expect(t, "WATCHDOG=1", time.Second)
	p.Signal(syscall.SIGHUP)
	ns.expect(t, "RELOADING=1", 3*time.Second)
	ns.expect(t, "READY=1", 3*time.Second)
	p.Signal(syscall.SIGTERM)
	ns.expect(t, "STOPPING=1", 3*time.Second)
	if err := p.Wait(testkit.StopTimeout); err != nil {
		t.Errorf("exit after SIGTERM: %v", err)
	}
}

// Under systemd-socket-activate, accessd serves HTTP on the passed socket
// named "http" and ignores http.listen.
func TestSocketActivatedHTTP(t *testing.T) {
	testkit.SkipShort(t, "builds and runs the daemon")
	testkit.RequireCommands(t, "systemd-socket-activate")
	dir := t.TempDir()
	accessd := testkit.Binaries(t).Accessd
	activated, configured := testkit.FreeTCPAddr(t), testkit.FreeTCPAddr(t)
	cfg := filepath.Join(dir, "accessd.yaml")
	os.WriteFile(cfg, []byte("state_dir: "+filepath.Join(dir, "state")+"\nhttp: {listen: [\""+configured+"\"]}\nadmin: {socket: "+filepath.Join(dir, "a.sock")+"}\nsnmp: {enabled: false}\n"), 0o600)
	p := testkit.StartProcess(t, "systemd-socket-activate", "-l", activated, "--fdname=http", accessd, "-config", cfg)
	p.Name = "accessd under systemd-socket-activate"
	p.WaitReady(15*time.Second, testkit.HTTPReady("http://"+activated+"/readyz"))
	if c, err := net.DialTimeout("tcp", configured, 300*time.Millisecond); err == nil {
		c.Close()
		t.Errorf("accessd also listens on http.listen %s although systemd passed a socket", configured)
	}
}
