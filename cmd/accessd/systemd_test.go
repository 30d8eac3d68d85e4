package main_test

import (
	"bytes"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
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
	if testing.Short() {
		t.Skip("builds and runs the daemon; skipped with -short")
	}
	dir := t.TempDir()
	accessd, _ := buildBinaries(t, dir)
	cfg := filepath.Join(dir, "accessd.yaml")
	os.WriteFile(cfg, []byte("state_dir: "+filepath.Join(dir, "state")+"\nhttp: {listen: [\""+freePort(t)+"\"]}\nadmin: {socket: "+filepath.Join(dir, "a.sock")+"}\nsnmp: {enabled: false}\n"), 0o600)
	ns := newNotifySocket(t)
	cmd := exec.Command(accessd, "-config", cfg)
	cmd.Env = append(os.Environ(), "NOTIFY_SOCKET="+ns.path, "WATCHDOG_USEC=400000")
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			t.Logf("accessd's log:\n%s", log.String())
		}
	}()
	ready := ns.expect(t, "READY=1", 10*time.Second)
	if !strings.Contains(ready, "\nSTATUS=serving 0 accesses") {
		t.Errorf("READY message %q lacks the STATUS line", ready)
	}
	ns.expect(t, "WATCHDOG=1", time.Second)
	ns.expect(t, "WATCHDOG=1", time.Second)
	cmd.Process.Signal(syscall.SIGHUP)
	ns.expect(t, "RELOADING=1", 3*time.Second)
	ns.expect(t, "READY=1", 3*time.Second)
	cmd.Process.Signal(syscall.SIGTERM)
	ns.expect(t, "STOPPING=1", 3*time.Second)
	if err := cmd.Wait(); err != nil {
		t.Errorf("exit after SIGTERM: %v", err)
	}
}

// Under systemd-socket-activate, accessd serves HTTP on the passed socket
// named "http" and ignores http.listen.
func TestSocketActivatedHTTP(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the daemon; skipped with -short")
	}
	ssa, err := exec.LookPath("systemd-socket-activate")
	if err != nil {
		requireOrSkip(t, "systemd-socket-activate not found (apt-get install systemd)")
	}
	dir := t.TempDir()
	accessd, _ := buildBinaries(t, dir)
	activated, configured := freePort(t), freePort(t)
	cfg := filepath.Join(dir, "accessd.yaml")
	os.WriteFile(cfg, []byte("state_dir: "+filepath.Join(dir, "state")+"\nhttp: {listen: [\""+configured+"\"]}\nadmin: {socket: "+filepath.Join(dir, "a.sock")+"}\nsnmp: {enabled: false}\n"), 0o600)
	cmd := exec.Command(ssa, "-l", activated, "--fdname=http", accessd, "-config", cfg)
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
		if t.Failed() {
			t.Logf("log:\n%s", log.String())
		}
	}()
	client := &http.Client{Timeout: 15 * time.Second}
	var resp *http.Response
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		resp, err = client.Get("http://" + activated + "/readyz")
		if err == nil && resp.StatusCode == 200 {
			break
		}
		if resp != nil {
			resp.Body.Close()
		}
	}
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("/readyz on the activated socket: %v", err)
	}
	resp.Body.Close()
	if c, err := net.DialTimeout("tcp", configured, 300*time.Millisecond); err == nil {
		c.Close()
		t.Errorf("accessd also listens on http.listen %s although systemd passed a socket", configured)
	}
}

// requireOrSkip skips, or fails when ACCESSD_REQUIRE_INTEGRATION=1 (CI).
func requireOrSkip(t *testing.T, why string) {
	t.Helper()
	if os.Getenv("ACCESSD_REQUIRE_INTEGRATION") == "1" {
		t.Fatalf("required integration prerequisite missing: %s", why)
	}
	t.Skip(why)
}
