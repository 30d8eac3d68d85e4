package testkit

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestMain(m *testing.M) { Main(m) }

// fakeT records what a helper does to its test. Fatal and Skip end the
// goroutine as testing's do; unimplemented methods go to the real test.
type fakeT struct {
	testing.TB
	mu       sync.Mutex
	failed   bool
	skipped  bool
	msgs     []string
	cleanups []func()
}

func (f *fakeT) Helper() {}

func (f *fakeT) record(failed, skipped bool, msg string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failed = f.failed || failed
	f.skipped = f.skipped || skipped
	f.msgs = append(f.msgs, msg)
}

func (f *fakeT) Errorf(format string, args ...any) {
	f.record(true, false, fmt.Sprintf(format, args...))
}
func (f *fakeT) Logf(format string, args ...any) {
	f.record(false, false, fmt.Sprintf(format, args...))
}
func (f *fakeT) Fatal(args ...any) { f.record(true, false, fmt.Sprint(args...)); runtime.Goexit() }
func (f *fakeT) Fatalf(format string, args ...any) {
	f.record(true, false, fmt.Sprintf(format, args...))
	runtime.Goexit()
}
func (f *fakeT) Skipf(format string, args ...any) {
	f.record(false, true, fmt.Sprintf(format, args...))
	runtime.Goexit()
}
func (f *fakeT) Cleanup(fn func()) { f.mu.Lock(); f.cleanups = append(f.cleanups, fn); f.mu.Unlock() }
func (f *fakeT) Failed() bool      { f.mu.Lock(); defer f.mu.Unlock(); return f.failed }

func (f *fakeT) text() string { f.mu.Lock(); defer f.mu.Unlock(); return strings.Join(f.msgs, "\n") }

// runFake runs body as a test of its own, then its cleanups (last first).
func runFake(t *testing.T, body func(tb testing.TB)) *fakeT {
	f := &fakeT{TB: t}
	done := make(chan struct{})
	go func() { defer close(done); body(f) }()
	<-done
	for i := len(f.cleanups) - 1; i >= 0; i-- {
		done := make(chan struct{})
		go func() { defer close(done); f.cleanups[i]() }()
		<-done
	}
	return f
}

func TestMissingSkipsOrFails(t *testing.T) {
	for _, require := range []string{"", "1"} {
		t.Setenv(EnvRequireIntegration, require)
		f := runFake(t, func(tb testing.TB) { Missing(tb, "needs %s", "kea-dhcp4") })
		if want := require != "1"; f.skipped != want || f.failed == want {
			t.Errorf("%s=%q: skipped %v, failed %v; want skipped %v", EnvRequireIntegration, require, f.skipped, f.failed, want)
		}
		if !strings.Contains(f.text(), "needs kea-dhcp4") || !strings.Contains(f.text(), EnvRequireIntegration) {
			t.Errorf("message %q names neither what is missing nor the switch", f.text())
		}
	}
	f := runFake(t, func(tb testing.TB) { RequireCommands(tb, "sh", "no-such-program-adt", "dhcrelay-no-such") })
	if !strings.Contains(f.text(), "no-such-program-adt") || strings.Contains(f.text(), "sh,") {
		t.Errorf("RequireCommands: %q", f.text())
	}
	f = runFake(t, func(tb testing.TB) { Require(tb, true, "never") })
	if f.skipped || f.failed {
		t.Errorf("Require(true) ended the test: %q", f.text())
	}
}

func TestGoldenUpdateSwitch(t *testing.T) {
	t.Setenv(EnvUpdateGolden, "") // whatever the run's own switch says
	path := filepath.Join(t.TempDir(), "sub", "x.golden")
	f := runFake(t, func(tb testing.TB) { Golden(tb, path, "one\n") })
	if !f.failed || !strings.Contains(f.text(), EnvUpdateGolden+"=1 go test ./internal/testkit") {
		t.Errorf("a missing golden file: failed %v, %q", f.failed, f.text())
	}
	t.Setenv(EnvUpdateGolden, "1")
	if f := runFake(t, func(tb testing.TB) { Golden(tb, path, "one\n") }); f.failed {
		t.Errorf("update: %q", f.text())
	}
	t.Setenv(EnvUpdateGolden, "")
	if f := runFake(t, func(tb testing.TB) { Golden(tb, path, "one\n") }); f.failed {
		t.Errorf("same content: %q", f.text())
	}
	f = runFake(t, func(tb testing.TB) { Golden(tb, path, "two\n") })
	if !f.failed || !strings.Contains(f.text(), "one") || !strings.Contains(f.text(), "two") || !strings.Contains(f.text(), "(-want +got)") {
		t.Errorf("a difference: failed %v, %q", f.failed, f.text())
	}
}

func TestWaitUntil(t *testing.T) {
	n := 0
	WaitUntil(t, 5*time.Second, "three tries", func() bool { n++; return n == 3 })
	f := runFake(t, func(tb testing.TB) {
		WaitUntil(tb, 50*time.Millisecond, "the impossible", func() bool { return false })
	})
	if !f.failed || !strings.Contains(f.text(), "timed out after 50ms waiting for the impossible") {
		t.Errorf("failed %v, %q", f.failed, f.text())
	}
}

func TestGoChecksTheTaskError(t *testing.T) {
	f := runFake(t, func(tb testing.TB) {
		Go(tb, "quiet", func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() })
		Go(tb, "nil", func(ctx context.Context) error { <-ctx.Done(); return nil })
	})
	if f.failed {
		t.Errorf("cancelled tasks failed the test: %q", f.text())
	}
	f = runFake(t, func(tb testing.TB) {
		Go(tb, "poller", func(ctx context.Context) error { return errors.New("socket closed") })
	})
	if !f.failed || !strings.Contains(f.text(), "poller: socket closed") {
		t.Errorf("the task's error: failed %v, %q", f.failed, f.text())
	}
	k := Go(t, "early", func(ctx context.Context) error { return errors.New("done early") })
	if err := k.Err(); err == nil || err.Error() != "done early" {
		t.Errorf("Err = %v", err)
	}
}

func TestUDPBound(t *testing.T) {
	c, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := c.LocalAddr().(*net.UDPAddr).Port
	if ok, err := UDPBound(os.Getpid(), port); !ok || err != nil {
		t.Errorf("UDPBound of our own socket: %v, %v", ok, err)
	}
	c.Close()
	if ok, err := UDPBound(os.Getpid(), port); ok || err != nil {
		t.Errorf("UDPBound after Close: %v, %v", ok, err)
	}
}

func TestProcess(t *testing.T) {
	f := runFake(t, func(tb testing.TB) {
		p := StartProcess(tb, "sh", "-c", "trap 'echo bye; exit 0' TERM; echo started; while :; do sleep 0.05; done")
		p.WaitReady(5*time.Second, func() error {
			if !strings.Contains(p.Log(), "started") {
				return errors.New("not yet")
			}
			return nil
		})
		p.CleanExit = true
	})
	if f.failed {
		t.Errorf("a process stopped with SIGTERM: %q", f.text())
	}
	f = runFake(t, func(tb testing.TB) {
		p := StartProcess(tb, "sh", "-c", "echo 'WARNING: DATA RACE'; exit 3")
		p.WaitReady(5*time.Second, func() error { return errors.New("never ready") })
	})
	for _, want := range []string{"sh ended before it was ready: exit status 3", "sh reported a data race", "WARNING: DATA RACE"} {
		if !strings.Contains(f.text(), want) {
			t.Errorf("an exiting racy process: lacks %q in %q", want, f.text())
		}
	}
}

// The commands build once per test binary, with the test's version.
func TestBinaries(t *testing.T) {
	SkipShort(t, "builds accessd, accessctl and dhcpload")
	start := time.Now()
	b := Binaries(t)
	first := time.Since(start)
	start = time.Now()
	if again := Binaries(t); again != b {
		t.Errorf("second Binaries %+v, first %+v", again, b)
	}
	if took := time.Since(start); took > first/2 && took > 100*time.Millisecond {
		t.Errorf("the second Binaries took %v (the first %v): it built again", took, first)
	}
	out, err := exec.Command(b.Accessd, "-version").CombinedOutput()
	if err != nil || string(out) != "accessd "+Version+"\n" {
		t.Errorf("accessd -version: %q, %v", out, err)
	}
	// under go test -race the daemon has the race detector too
	info, err := exec.Command("go", "version", "-m", b.Accessd).Output()
	if err != nil || strings.Contains(string(info), "-race=true") != RaceEnabled {
		t.Errorf("go version -m accessd (test binary race %v): %v\n%s", RaceEnabled, err, info)
	}
	for _, bin := range []string{b.Accessctl, b.Dhcpload, b.Barehttp} {
		if fi, err := os.Stat(bin); err != nil || fi.Mode()&0o111 == 0 {
			t.Errorf("%s: %v", bin, err)
		}
	}
}
