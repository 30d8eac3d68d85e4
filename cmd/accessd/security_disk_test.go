package main_test

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stadsnat/accessd/internal/testkit"
)

// fillDisk writes zeros to path until the file system is full.
func fillDisk(t *testing.T, path string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 64<<10)
	for {
		if _, err := f.Write(buf); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("filling %s: %v", path, err)
			}
			break
		}
	}
	for {
		if _, err := f.Write(buf[:512]); err != nil {
			break
		}
	}
}

// startOnTmpfs makes an e2e daemon (not started) whose state directory is
// a new 24 MiB tmpfs, unmounted at the end.
func startOnTmpfs(t *testing.T) (*e2e, string) {
	t.Helper()
	testkit.SkipShort(t, "builds and runs the daemon")
	testkit.RequireRoot(t, "mounting a tmpfs")
	testkit.RequireCommands(t, "mount", "umount", "pgrep")
	bins := testkit.Binaries(t)
	e := &e2e{t: t, dir: t.TempDir(), accessd: bins.Accessd, accessct: bins.Accessctl, base: "http://" + testkit.FreeTCPAddr(t)}
	e.sock = filepath.Join(e.dir, "admin.sock")
	e.cfg = filepath.Join(e.dir, "accessd.yaml")
	state := filepath.Join(e.dir, "state")
	if err := os.Mkdir(state, 0o750); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=24m", testkit.UniqueName("p-security-", 40), state).CombinedOutput(); err != nil {
		testkit.Missing(t, "mount a tmpfs: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", state).Run() })
	return e, state
}

// startWithInterruptedOrder runs the daemon on a tmpfs (startOnTmpfs)
// with the demo inventory and an activation hook that hangs while the
// file slow exists, places an order, and kills the daemon while the hook
// runs: the order (at path interrupted) is IN_PROGRESS and must be
// requeued at the next start.
func startWithInterruptedOrder(t *testing.T) (e *e2e, state, slow, interrupted string) {
	t.Helper()
	e, state = startOnTmpfs(t)
	slow = filepath.Join(e.dir, "slow")
	hook := filepath.Join(e.dir, "activate")
	if err := os.WriteFile(hook, []byte("#!/bin/sh\nwhile [ -f "+slow+" ]; do sleep 0.1; done\necho done\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	e.extra = "activation: {hook: " + hook + ", timeout: 5m}\n"
	e.writeConfig("")
	e.run()
	if code, out, errOut := e.ctl("import", "../../testdata/demo/accesses.csv"); code != 0 {
		t.Fatalf("import: %s%s", out, errOut)
	}
	if err := os.WriteFile(slow, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	r := e.req("POST", "/api/2.3/orders/", `{"accessId": "ALS10002", "service": "BB100100", "operation": "ACTIVATE", "forcedTakeover": false}`,
		"basic", "sp:pw")
	e.expect(r, 201)
	testkit.WaitUntil(t, 10*time.Second, "the order's hook to run", func() bool {
		out, _ := exec.Command("pgrep", "-f", hook).Output()
		return len(out) > 0
	})
	e.proc.Kill()
	return e, state, slow, r.header.Get("Location")
}

const (
	newAccessJSON = `{"accessId":"NEW1","streetName":"Nygatan","postalCode":"12345","city":"Umeå","countryCode":"SE",` +
		`"premisesType":"RESIDENTIAL_HOUSE","activatable":"YES","sellable":"YES","option82":"10.9.9.9 ge-0/0/3"}`
	orderJSON = `{"accessId": "ALS10001", "service": "BB100100", "operation": "ACTIVATE", "forcedTakeover": false}`
)

// waitReadOnly waits until /readyz gives the store's read-only mode as
// the reason: run2 waits for /livez only, and under load the other tasks
// (e.g. "waiting for reload") are named first.
func (e *e2e) waitReadOnly() {
	e.t.Helper()
	testkit.WaitUntil(e.t, 15*time.Second, "/readyz to say the store is read-only", func() bool {
		r := e.get("/readyz")
		return r.status == 503 && strings.Contains(r.body, "read-only")
	})
}

// checkReadOnly checks a daemon whose store is read-only: /readyz says
// why, reads answer, writes answer 503 with a cause.
func (e *e2e) checkReadOnly(when string) {
	e.t.Helper()
	sp := []string{"basic", "sp:pw"}
	e.expect(e.get("/readyz"), 503, "the store is read-only", "free on the state directory")
	e.expect(e.get("/api/2.3/accesses/ALS10001", sp...), 200, `"accessId":"ALS10001"`)
	e.expect(e.get("/ko/api/1/", sp...), 200, "<Count>24</Count>")
	e.expect(e.req("POST", "/api/import/prod/access", newAccessJSON, "api-key", "k-prod"), 503, `"cause":"accessd's store is read-only for now`)
	e.expect(e.req("POST", "/api/2.3/orders/", orderJSON, sp...), 503, "read-only")
	if code, out, _ := e.ctl("status"); code != 0 || !strings.Contains(out, "store READ-ONLY") {
		e.t.Errorf("%s: accessctl status:\n%s", when, out)
	}
}

// Issue 12, item 6, against the real daemon on a tmpfs state directory
// filled to the brim: the store goes read-only instead of failing, also
// at a start with an interrupted order to requeue ("requeue interrupted
// orders: no space left on device" once stopped it): /readyz answers 503
// with the reason, reads go on, writes answer 503 with a cause, the order
// engine waits, and once space returns everything resumes by itself.
func TestFullDiskRealDaemon(t *testing.T) {
	e, state, slow, interrupted := startWithInterruptedOrder(t)
	sp := []string{"basic", "sp:pw"}
	fill := filepath.Join(state, "fill")
	fillDisk(t, fill)
	e.run2(15 * time.Second)
	e.waitReadOnly()
	e.checkReadOnly("started on a full disk after a kill, with an order to requeue")
	if !strings.Contains(e.proc.Log(), "orders wait: the store is read-only") {
		t.Error("the order engine does not say it waits")
	}
	// A restart while full starts read-only again.
	e.stop()
	e.run2(15 * time.Second)
	e.waitReadOnly()
	e.checkReadOnly("restarted on a full disk")
	if strings.Contains(e.proc.Log(), "accessd stopped on an error") {
		t.Error("the daemon stopped")
	}

	// Space returns: writing resumes by itself, and the interrupted order
	// runs again.
	os.Remove(slow)
	if err := os.Remove(fill); err != nil {
		t.Fatal(err)
	}
	testkit.WaitUntil(t, 20*time.Second, "/readyz to answer 200", func() bool { return e.get("/readyz").status == 200 })
	e.expect(e.req("POST", "/api/import/prod/access", newAccessJSON, "api-key", "k-prod"), 200, `"created":1`)
	r := e.req("POST", "/api/2.3/orders/", orderJSON, sp...)
	e.expect(r, 201)
	e.waitOrder(r.header.Get("Location"), sp...)
	if o := e.waitOrder(interrupted, sp...); o["state"] != "DONE_SUCCESS" {
		t.Errorf("the interrupted order: %v", o)
	}
	if !strings.Contains(e.proc.Log(), "store writable again") {
		t.Error("the log does not say the store is writable again")
	}
}

// run2 starts the daemon and waits until it listens (/livez): unlike run,
// it does not need /readyz, which a read-only store keeps at 503.
func (e *e2e) run2(timeout time.Duration) {
	e.t.Helper()
	e.proc.Start()
	e.proc.WaitReady(timeout, testkit.HTTPReady(e.base+"/livez"))
}
