package packaging

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stadsnat/accessd/internal/testkit"
	"github.com/stadsnat/accessd/store/inventory"
	"github.com/stadsnat/accessd/store/inventory/invtest"
)

// The test system: a minimal Debian 12 with systemd as init and what the
// package depends on (dpkg -i installs no dependencies, and the container
// has no network).
const (
	suite          = "bookworm"
	variant        = "minbase"
	include        = "systemd,systemd-sysv,dbus,procps"
	defaultMirror  = "http://deb.debian.org/debian"
	defaultCache   = "/var/cache/accessd-test"
	bootTimeout    = 8 * time.Minute
	rootfsTimeout  = 15 * time.Minute
	checkUnitName  = "adt-check.service"
	containerMount = "/adt"
)

// rootfs returns a debootstrapped Debian 12 tree, made once and kept under
// $ACCESSD_TEST_CACHE (default /var/cache/accessd-test) for later runs. The
// tree is never written to afterwards: the boot uses it as the read-only
// lower layer of an overlay.
func rootfs(t *testing.T) string {
	t.Helper()
	cache := os.Getenv("ACCESSD_TEST_CACHE")
	if cache == "" {
		cache = defaultCache
	}
	mirror := os.Getenv("ACCESSD_DEBIAN_MIRROR")
	if mirror == "" {
		mirror = defaultMirror
	}
	args := []string{"--variant=" + variant, "--include=" + include, suite}
	key := sha256.Sum256([]byte(strings.Join(args, " ")))
	dir := filepath.Join(cache, suite+"-"+hex.EncodeToString(key[:6]))
	if _, err := os.Stat(filepath.Join(dir, ".complete")); err == nil {
		t.Logf("using the cached test system %s", dir)
		return dir
	}
	if err := os.MkdirAll(cache, 0o755); err != nil {
		t.Fatalf("test system cache: %v", err)
	}
	tmp, err := os.MkdirTemp(cache, ".debootstrap-")
	if err != nil {
		t.Fatalf("test system cache: %v", err)
	}
	defer os.RemoveAll(tmp)
	started := time.Now()
	command(t, rootfsTimeout, "", nil, "debootstrap", append(args, tmp, mirror)...)
	if err := os.WriteFile(filepath.Join(tmp, ".complete"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, dir); err != nil && !os.IsExist(err) {
		t.Fatalf("test system cache: %v", err)
	}
	t.Logf("figure debootstrap %v (%s)", time.Since(started).Round(time.Second), dir)
	return dir
}

// testBooted boots the test system with systemd-nspawn, installs v1, and
// lets nspawn/check.sh (started by adt-check.service) check the service,
// socket activation, the admin socket, the watchdog, the upgrade to v2 and
// the purge from inside. Every check is one line in its results file.
func testBooted(t *testing.T, v1, v2 builtDeb) {
	testkit.RequireRoot(t, "booting a container")
	testkit.RequireCommands(t, "systemd-nspawn", "debootstrap")
	base := rootfs(t)

	work := t.TempDir()
	for src, dst := range map[string]string{
		v1.path:                             "v1.deb",
		v2.path:                             "v2.deb",
		filepath.Join("nspawn", "check.sh"): "check.sh",
		filepath.Join("..", "testdata", "demo", "accesses.csv"): "demo.csv",
	} {
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(work, dst), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// ACCESSD_FIGURES_ACCESSES=100000 adds the figures of a large store
	// (import time, start to READY, idle RSS); the import takes minutes, so
	// CI leaves it out.
	if n := os.Getenv("ACCESSD_FIGURES_ACCESSES"); n != "" {
		count, err := strconv.Atoi(n)
		if err != nil || count <= 0 {
			t.Fatalf("ACCESSD_FIGURES_ACCESSES=%q: want a positive number", n)
		}
		writeBigInventory(t, filepath.Join(work, "big.csv"), count)
	}
	unit, err := filepath.Abs(filepath.Join("nspawn", checkUnitName))
	if err != nil {
		t.Fatal(err)
	}

	started := time.Now()
	_, errOut, err := tryCommand(bootTimeout, "", []string{"SYSTEMD_LOG_COLOR=0"}, "systemd-nspawn",
		"--quiet", "--register=no", "--keep-unit", "--private-network",
		"--directory="+base, "--volatile=overlay",
		"--bind="+work+":"+containerMount,
		"--bind-ro="+unit+":/etc/systemd/system/"+checkUnitName,
		"--console=passive", "--boot", "systemd.wants="+checkUnitName)
	elapsed := time.Since(started).Round(time.Second)
	t.Logf("figure nspawn_boot_and_checks %v", elapsed)

	results, readErr := os.ReadFile(filepath.Join(work, "results"))
	if err != nil || readErr != nil || !strings.Contains(string(results), "\ndone\n") {
		t.Errorf("the container did not finish its checks (nspawn: %v, after %v; results: %v)\n%s",
			err, elapsed, readErr, lastLines(errOut, 20))
		logFile(t, filepath.Join(work, "check.log"), 60)
		logFile(t, filepath.Join(work, "journal.txt"), 80)
	}
	failed := false
	for _, line := range strings.Split(strings.TrimSpace(string(results)), "\n") {
		switch {
		case strings.HasPrefix(line, "FAIL "):
			t.Errorf("in the container: %s", strings.TrimPrefix(line, "FAIL "))
			failed = true
		case strings.HasPrefix(line, "figure "):
			t.Log(line)
		}
	}
	if failed {
		logFile(t, filepath.Join(work, "check.log"), 60)
		logFile(t, filepath.Join(work, "journal.txt"), 80)
		if diff, _, _ := tryCommand(time.Minute, work, nil, "diff", "before.list", "after.list"); diff != "" {
			t.Logf("files left after purge:\n%s", diff)
		}
	}
}

// writeBigInventory writes n generated accesses as CSV, for the figures of
// a large store.
func writeBigInventory(t *testing.T, path string, n int) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w := bufio.NewWriter(f)
	if err := inventory.WriteCSV(w, invtest.All(n, 1)); err != nil {
		t.Fatalf("generating %d accesses: %v", n, err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
}

// logFile logs the last n lines of a file the container wrote.
func logFile(t *testing.T, path string, n int) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Logf("%s: %v", filepath.Base(path), err)
		return
	}
	t.Log(fmt.Sprintf("last lines of %s:\n", filepath.Base(path)) + lastLines(string(b), n))
}
