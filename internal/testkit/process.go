package testkit

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// StopTimeout is how long a Process gets to end after SIGTERM before it is
// killed.
const StopTimeout = 15 * time.Second

// Process is a program a test runs: the real daemon, a lab peer, a load
// generator. Its standard output and error are kept for the test (every
// run's, when it is started again); when the test ends a running process
// gets SIGTERM (SIGKILL after StopTimeout), by its own PID, and when the
// test failed its log is shown. A log that reports a data race (the
// commands are built with -race under go test -race) fails the test.
type Process struct {
	Name string   // for messages (default: the program's base name)
	Args []string // the program and its arguments
	Env  []string // added to the test's environment
	Dir  string   // working directory ("": the test's)
	// CleanExit makes a non-zero exit after the SIGTERM at the end of
	// the test a failure.
	CleanExit bool

	t       testing.TB
	cmd     *exec.Cmd
	log     *syncBuffer
	logs    []string // earlier runs
	exited  chan struct{}
	waitErr error
	cleanup bool
}

// NewProcess returns a process for args (the program, then its
// arguments) that is not started yet. Prefix args with Netns.Prefix to run
// it in a namespace.
func NewProcess(t testing.TB, args ...string) *Process {
	t.Helper()
	if len(args) == 0 {
		t.Fatal("testkit.NewProcess: no program")
	}
	return &Process{Name: filepath.Base(args[0]), Args: args, t: t}
}

// StartProcess is NewProcess and Start.
func StartProcess(t testing.TB, args ...string) *Process {
	t.Helper()
	p := NewProcess(t, args...)
	p.Start()
	return p
}

// Start runs the process (again, after it ended). It does not wait for
// anything: see WaitReady.
func (p *Process) Start() {
	p.t.Helper()
	if p.Running() {
		p.t.Fatalf("%s is already running", p.Name)
	}
	if p.log != nil {
		p.logs = append(p.logs, p.log.String())
	}
	p.log = &syncBuffer{}
	p.cmd = exec.Command(p.Args[0], p.Args[1:]...)
	p.cmd.Stdout, p.cmd.Stderr = p.log, p.log
	p.cmd.Dir = p.Dir
	if len(p.Env) > 0 {
		p.cmd.Env = append(os.Environ(), p.Env...)
	}
	if err := p.cmd.Start(); err != nil {
		p.t.Fatalf("start %s: %v", p.Name, err)
	}
	exited := make(chan struct{})
	p.exited = exited
	cmd := p.cmd
	go func() {
		err := cmd.Wait()
		p.waitErr = err
		close(exited)
	}()
	if !p.cleanup {
		p.cleanup = true
		p.t.Cleanup(p.atEnd)
	}
}

// atEnd stops a running process and shows the logs of a failed test.
func (p *Process) atEnd() {
	if p.Running() {
		if err := p.Stop(); err != nil && p.CleanExit {
			p.t.Errorf("%s: %v", p.Name, err)
		}
	}
	runs := append(append([]string(nil), p.logs...), p.Log())
	for i, l := range runs {
		if strings.Contains(l, "WARNING: DATA RACE") {
			p.t.Errorf("%s reported a data race (run %d)", p.Name, i+1)
		}
	}
	if p.t.Failed() {
		for i, l := range runs {
			p.t.Logf("%s's log (run %d of %d):\n%s", p.Name, i+1, len(runs), l)
		}
	}
}

// Running reports whether the process was started and has not ended.
func (p *Process) Running() bool {
	if p.exited == nil {
		return false
	}
	select {
	case <-p.exited:
		return false
	default:
		return true
	}
}

// Exited is closed when the current run has ended.
func (p *Process) Exited() <-chan struct{} { return p.exited }

// ExitErr is the current run's exit error; call it once Exited is closed.
func (p *Process) ExitErr() error {
	<-p.exited
	return p.waitErr
}

// Pid is the current run's process id.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Log is what the current run wrote so far.
func (p *Process) Log() string {
	if p.log == nil {
		return ""
	}
	return p.log.String()
}

// Signal sends sig to the process; it fails the test if that fails.
func (p *Process) Signal(sig os.Signal) {
	p.t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		p.t.Fatalf("signal %v to %s: %v", sig, p.Name, err)
	}
}

// Wait waits up to timeout for the process to end and returns its exit
// error; it fails the test when the process is still running then.
func (p *Process) Wait(timeout time.Duration) error {
	p.t.Helper()
	select {
	case <-p.exited:
		return p.waitErr
	case <-time.After(timeout):
		p.t.Fatalf("%s still running %v later", p.Name, timeout)
		return nil
	}
}

// Stop sends SIGTERM and waits for the end (SIGKILL after StopTimeout). It
// returns the exit error, or an error saying it had to be killed.
func (p *Process) Stop() error {
	if !p.Running() {
		return nil
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
		return p.waitErr
	case <-time.After(StopTimeout):
		_ = p.cmd.Process.Kill()
		<-p.exited
		return fmt.Errorf("still running %v after SIGTERM: killed", StopTimeout)
	}
}

// Kill sends SIGKILL and waits for the end.
func (p *Process) Kill() {
	p.t.Helper()
	if !p.Running() {
		return
	}
	p.Signal(syscall.SIGKILL)
	<-p.exited
}

// WaitReady polls probe until it returns nil and fails the test when the
// process ends first or timeout passes, with the probe's last error.
func (p *Process) WaitReady(timeout time.Duration, probe func() error) {
	p.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := probe()
		if err == nil {
			return
		}
		select {
		case <-p.exited:
			p.t.Fatalf("%s ended before it was ready: %v (its log follows at the end of the test)", p.Name, p.waitErr)
		default:
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("%s not ready after %v: %v", p.Name, timeout, err)
		}
		time.Sleep(PollInterval)
	}
}

// HTTPReady is a readiness probe: GET url answers 200.
func HTTPReady(url string) func() error {
	c := &http.Client{Timeout: 5 * time.Second}
	return func() error {
		resp, err := c.Get(url)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("GET %s: %s", url, resp.Status)
		}
		return nil
	}
}

// syncBuffer is a log the process writes while the test reads it.
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
