package main_test

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestDHCPSurvivesSIGKILL streams relayed DHCP at the real daemon over
// loopback with cmd/dhcpload, asks it what its store holds (every binding
// in that answer was committed and fsynced, by commit N), kills it with
// SIGKILL while the stream goes on, restarts it, and checks that the store
// opens and still holds every one of those bindings, at commit ≥ N.
func TestDHCPSurvivesSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binaries; skipped with -short")
	}
	dir := t.TempDir()
	accessd, accessctl, dhcpload := dhcpBinaries(t, dir)
	port := freeUDPPort(t)
	d := newDHCPD(t, filepath.Join(dir, "d"), accessd, accessctl, freePort(t),
		fmt.Sprintf("  relay: {listen: \"127.0.0.1:%d\"}\n", port))
	d.start()
	inv := filepath.Join(dir, "inventory.csv")
	loadInventory(t, inv, 4, 48)
	if out, err := d.ctlRun("import", inv); err != nil {
		t.Fatalf("%v %s", err, out)
	}

	gen := exec.Command(dhcpload, "-target", "127.0.0.1:"+strconv.Itoa(port), "-rate", "20000", "-duration", "20s",
		"-clients", "200000", "-switches", "5", "-ports", "48", "-mix", "0.7")
	var genOut strings.Builder
	gen.Stdout, gen.Stderr = &genOut, &genOut
	if err := gen.Start(); err != nil {
		t.Fatal(err)
	}
	genDone := make(chan struct{})
	go func() { gen.Wait(); close(genDone) }()
	t.Cleanup(func() {
		select {
		case <-genDone:
		default:
			gen.Process.Kill()
			<-genDone
		}
	})

	time.Sleep(2 * time.Second)
	before := d.committed()
	d.sigkill()
	killedAt := time.Now()
	if len(before.Bindings) < 1000 || before.CommitSeq < 10 {
		t.Fatalf("only %d bindings in %d commits after 2 s of load: the test would prove little", len(before.Bindings), before.CommitSeq)
	}
	active := 0
	for _, b := range before.Bindings {
		if b.Access != "" {
			active++
		}
	}
	if active == 0 {
		t.Error("no committed binding has an access: the inventory did not match the generated circuits")
	}
	time.Sleep(500 * time.Millisecond) // the stream goes on into a dead socket

	d.start()
	after := d.committed()
	checkSurvived(t, before, after)
	t.Logf("%d bindings (commit %d) were committed when SIGKILL came; after the restart the store holds %d (commit %d); restart took %v",
		len(before.Bindings), before.CommitSeq, len(after.Bindings), after.CommitSeq, time.Since(killedAt).Round(time.Millisecond))
	if !strings.Contains(d.log.String(), "DHCP bindings loaded") {
		t.Error("the restarted daemon did not log loading its bindings")
	}
	// The restarted daemon answers from what it loaded.
	var res struct {
		Access   string
		Bindings []struct{ MAC, IP string }
	}
	b := before.Bindings[len(before.Bindings)/2]
	if err := d.ctlJSON(&res, "lookup", "mac", b.MAC); err != nil || len(res.Bindings) != 1 || res.Bindings[0].IP != b.IP {
		t.Errorf("lookup mac %s after the restart: %+v, %v", b.MAC, res, err)
	}
}
