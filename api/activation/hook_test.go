package activation_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/stadsnat/accessd/api/activation"
	"github.com/stadsnat/accessd/store"
)

// script writes an executable shell script (the hook itself is run
// without a shell: the kernel runs the script's interpreter).
func script(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "hook")
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"+body), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

var hookInput = activation.HookInput{Order: "o1", Operation: store.Activate, AccessID: "A1", Service: "BB100100",
	SubscriptionID: "s1", Owner: "sp", Channel: "pi-api-2.3", Equipment: []store.Equipment{{VendorID: "CH_BROADBAND"}}, Attempt: 1}

func TestExecHookSuccess(t *testing.T) {
	dir := t.TempDir()
	got := filepath.Join(dir, "stdin.json")
	h := activation.ExecHook{Path: script(t, "cat > "+got+"\necho 'Aktiverad: VLAN 101'\necho second line\n"), Timeout: 5 * time.Second}
	msg, err := h.Run(context.Background(), hookInput)
	if err != nil {
		t.Fatal(err)
	}
	if msg != "Aktiverad: VLAN 101" {
		t.Errorf("message = %q, want the first line of stdout", msg)
	}
	b, err := os.ReadFile(got)
	if err != nil {
		t.Fatal(err)
	}
	var in activation.HookInput
	if err := json.Unmarshal(b, &in); err != nil {
		t.Fatalf("stdin is not the order as JSON: %v\n%s", err, b)
	}
	if diff := cmp.Diff(hookInput, in); diff != "" {
		t.Errorf("stdin (-want +got):\n%s", diff)
	}
}

func TestExecHookFailure(t *testing.T) {
	h := activation.ExecHook{Path: script(t, "cat >/dev/null\necho 'port ge-0/0/1:\tlocked' >&2\necho 'by NOC' >&2\nexit 3\n")}
	_, err := h.Run(context.Background(), hookInput)
	var he *activation.HookError
	if !errors.As(err, &he) {
		t.Fatalf("err = %v, want a *HookError", err)
	}
	if he.Message != "port ge-0/0/1: locked by NOC" {
		t.Errorf("message = %q, want stderr on one line", he.Message)
	}
	if !strings.Contains(he.Error(), "exit status 3") {
		t.Errorf("error %q does not name the exit status", he.Error())
	}
	// A silent failure still says what happened.
	_, err = activation.ExecHook{Path: script(t, "exit 1\n")}.Run(context.Background(), hookInput)
	if !errors.As(err, &he) || he.Message != "activation hook failed (exit status 1)" {
		t.Errorf("silent failure: %v", err)
	}
	// A hook that is not there.
	_, err = activation.ExecHook{Path: "/nonexistent/hook"}.Run(context.Background(), hookInput)
	if !errors.As(err, &he) || he.Message != "activation hook could not run" {
		t.Errorf("missing hook: %v", err)
	}
}

// At the time-out the hook and its children are killed, and the order's
// message says so.
func TestExecHookTimeout(t *testing.T) {
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "child.pid")
	h := activation.ExecHook{Path: script(t, "sleep 60 &\necho $! > "+pidFile+"\nsleep 60\n"), Timeout: 300 * time.Millisecond}
	start := time.Now()
	_, err := h.Run(context.Background(), hookInput)
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("Run took %v with a 300ms time-out", took)
	}
	var he *activation.HookError
	if !errors.As(err, &he) || he.Message != "activation hook timed out after 300ms" {
		t.Fatalf("err = %v", err)
	}
	b, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	deadline := time.Now().Add(2 * time.Second)
	for syscall.Kill(pid, 0) == nil {
		if stat, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat"); strings.Contains(string(stat), ") Z ") {
			break // a zombie waiting for init: dead
		}
		if time.Now().After(deadline) {
			t.Fatalf("the hook's child %d still runs after the time-out", pid)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Stopping accessd (the context ends) is not a failure of the order.
func TestExecHookStop(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(100 * time.Millisecond); cancel() }()
	_, err := activation.ExecHook{Path: script(t, "sleep 60\n"), Timeout: time.Minute}.Run(ctx, hookInput)
	var he *activation.HookError
	if errors.As(err, &he) || !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled and no HookError", err)
	}
}
