package packaging

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stadsnat/accessd/internal/testkit"
)

// maxExposure is the highest `systemd-analyze security` exposure accepted
// for accessd.service (issue 6).
const maxExposure = 2.0

// builtDeb is one package that build.sh made.
type builtDeb struct {
	path, version, arch string
}

// buildDebs runs build.sh for arches with extra environment env and returns
// the packages it made, by architecture.
func buildDebs(t *testing.T, root, out string, env []string, arches ...string) map[string]builtDeb {
	t.Helper()
	env = append([]string{"OUT=" + out, "ARCHES=" + strings.Join(arches, " ")}, env...)
	stdout := command(t, 15*time.Minute, root, env, "bash", filepath.Join(root, "packaging", "build.sh"))
	name := regexp.MustCompile(`^accessd_(.+)_([a-z0-9]+)\.deb$`)
	debs := make(map[string]builtDeb)
	for _, line := range strings.Fields(stdout) {
		m := name.FindStringSubmatch(filepath.Base(line))
		if m == nil {
			t.Fatalf("build.sh printed %q, want a path accessd_VERSION_ARCH.deb", line)
		}
		debs[m[2]] = builtDeb{path: line, version: m[1], arch: m[2]}
	}
	for _, arch := range arches {
		if _, ok := debs[arch]; !ok {
			t.Fatalf("build.sh made no package for %s (output %q)", arch, stdout)
		}
	}
	return debs
}

// nextRevision returns version with its Debian revision increased by one:
// a newer build of the same source.
func nextRevision(t *testing.T, version string) string {
	t.Helper()
	i := strings.LastIndexByte(version, '-')
	n, err := strconv.Atoi(version[i+1:])
	if i < 0 || err != nil {
		t.Fatalf("version %q: want UPSTREAM-N", version)
	}
	return fmt.Sprintf("%s-%d", version[:i], n+1)
}

// TestDeb builds the package for amd64 and arm64 once and checks it.
func TestDeb(t *testing.T) {
	testkit.SkipShort(t, "builds the package for two architectures, twice, and boots it in Debian 12 (minutes)")
	testkit.RequireCommands(t, "git", "dpkg-deb", "xz")
	root := repoRoot(t)
	testkit.TrackInputs(t, root, nil)
	started := time.Now()
	debs := buildDebs(t, root, t.TempDir(), nil, "amd64", "arm64")
	t.Logf("built %s and %s in %v", filepath.Base(debs["amd64"].path), filepath.Base(debs["arm64"].path), time.Since(started).Round(time.Second))
	for _, arch := range []string{"amd64", "arm64"} {
		t.Logf("figure deb_size_%s %d bytes", arch, fileSize(t, debs[arch].path))
	}

	t.Run("contents", func(t *testing.T) { testContents(t, debs) })
	t.Run("lintian", func(t *testing.T) { testLintian(t, debs) })
	t.Run("units", func(t *testing.T) { testUnits(t, debs["amd64"]) })
	t.Run("reproducible", func(t *testing.T) { testReproducible(t, root, debs["amd64"]) })
	t.Run("booted", func(t *testing.T) {
		v2 := buildDebs(t, root, t.TempDir(), []string{"VERSION=" + nextRevision(t, debs["amd64"].version)}, "amd64")
		testBooted(t, debs["amd64"], v2["amd64"])
	})
}

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

// testContents compares the file list, modes, owners and conffiles of both
// packages with the golden files, and checks every mtime is the commit's.
func testContents(t *testing.T, debs map[string]builtDeb) {
	sde := strings.TrimSpace(command(t, time.Minute, repoRoot(t), nil, "git", "log", "-1", "--format=%ct"))
	epoch, err := strconv.ParseInt(sde, 10, 64)
	if err != nil {
		t.Fatalf("git log: %q is no time", sde)
	}
	wantTime := time.Unix(epoch, 0).UTC().Format("2006-01-02 15:04")
	for _, arch := range []string{"amd64", "arm64"} {
		deb := debs[arch]
		out := command(t, time.Minute, "", []string{"TZ=UTC"}, "dpkg-deb", "--contents", deb.path)
		var list []string
		for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
			// -rwxr-xr-x root/root   5836962 2026-11-18 11:06 ./usr/sbin/accessd
			f := strings.Fields(line)
			if len(f) < 6 {
				t.Fatalf("dpkg-deb --contents line %q: want 6 fields", line)
			}
			if got := f[3] + " " + f[4]; got != wantTime {
				t.Errorf("%s %s: mtime %s, want the last commit's %s", arch, f[5], got, wantTime)
			}
			list = append(list, f[0]+" "+f[1]+" "+strings.Join(f[5:], " "))
		}
		golden(t, "contents.golden", strings.Join(list, "\n")+"\n")

		dir := t.TempDir()
		command(t, time.Minute, "", nil, "dpkg-deb", "--control", deb.path, dir)
		conffiles, err := os.ReadFile(filepath.Join(dir, "conffiles"))
		if err != nil {
			t.Fatalf("%s: %v", arch, err)
		}
		golden(t, "conffiles.golden", string(conffiles))
		if got := command(t, time.Minute, "", nil, "dpkg-deb", "--field", deb.path, "Architecture"); strings.TrimSpace(got) != arch {
			t.Errorf("%s package: Architecture %q", arch, strings.TrimSpace(got))
		}
	}
}

// testLintian runs lintian on both packages: no tag of any level may show.
// The shipped overrides (packaging/lintian-overrides) are for the static
// binaries and the missing init.d script, each with its reason. One tag is
// suppressed here rather than overridden: spelling-error-in-binary reads
// every printable run of bytes of a stripped Go binary as words, so random
// table bytes ("mor" in one amd64 build) come and go from build to build and
// from one architecture to the other, and an override for them would itself
// be reported as unused where they do not occur.
func testLintian(t *testing.T, debs map[string]builtDeb) {
	testkit.RequireCommands(t, "lintian")
	for _, arch := range []string{"amd64", "arm64"} {
		out, errOut, err := tryCommand(5*time.Minute, "", nil, "lintian", "--allow-root", "--no-cfg",
			"--display-level", ">=pedantic", "--display-experimental", "--fail-on", "error,warning,info,pedantic",
			"--suppress-tags", "spelling-error-in-binary", debs[arch].path)
		if err != nil || strings.TrimSpace(out) != "" {
			t.Errorf("lintian %s: %v\n%s%s", arch, err, out, errOut)
		}
	}
}

// unitRoot unpacks deb into a directory that systemd-analyze can use as
// --root: the package's files, the host's units (for the targets the
// package's units name) and /bin/kill (ExecReload).
func unitRoot(t *testing.T, deb builtDeb) string {
	t.Helper()
	dir := t.TempDir()
	command(t, time.Minute, "", nil, "dpkg-deb", "-x", deb.path, dir)
	command(t, time.Minute, "", nil, "mkdir", "-p", dir+"/usr/lib/systemd", dir+"/bin")
	command(t, time.Minute, "", nil, "cp", "-a", "/usr/lib/systemd/system", dir+"/usr/lib/systemd/")
	kill, err := exec.LookPath("kill")
	testkit.Require(t, err == nil && filepath.IsAbs(kill), "/bin/kill (procps) is not installed")
	command(t, time.Minute, "", nil, "cp", kill, dir+"/bin/kill")
	return dir
}

// testUnits checks the units with systemd-analyze: verify must print nothing
// at all (it warns yet exits 0), and the service's exposure must stay low.
func testUnits(t *testing.T, deb builtDeb) {
	testkit.RequireCommands(t, "systemd-analyze")
	dir := unitRoot(t, deb)
	units := []string{"accessd.service", "accessd.socket", "accessd-dhcp4.socket"}
	args := []string{"verify", "--man=no", "--root=" + dir}
	for _, u := range units {
		args = append(args, filepath.Join(dir, "lib/systemd/system", u))
	}
	out, errOut, err := tryCommand(time.Minute, dir, nil, "systemd-analyze", args...)
	if err != nil || out != "" || errOut != "" {
		t.Errorf("systemd-analyze verify: %v, want no output at all:\n%s%s", err, out, errOut)
	}

	out = command(t, time.Minute, "", nil, "systemd-analyze", "security", "--offline=true", "--no-pager",
		"--root="+dir, "accessd.service")
	m := regexp.MustCompile(`Overall exposure level for accessd\.service: ([0-9.]+)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("systemd-analyze security printed no exposure:\n%s", out)
	}
	exposure, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		t.Fatalf("exposure %q: %v", m[1], err)
	}
	t.Logf("figure exposure %.1f", exposure)
	if exposure > maxExposure {
		t.Errorf("exposure of accessd.service is %.1f, want at most %.1f:\n%s", exposure, maxExposure, out)
	}
}

// testReproducible builds the amd64 package a second time, from a copy of
// the source at another path with other file modes and mtimes, and wants the
// same bytes. ACCESSD_REPRO_COLD=1 also uses an empty Go build cache (slow).
func testReproducible(t *testing.T, root string, first builtDeb) {
	testkit.RequireCommands(t, "cp", "find", "chmod", "touch")
	src := filepath.Join(t.TempDir(), "elsewhere", "accessd")
	command(t, time.Minute, "", nil, "mkdir", "-p", src)
	entries, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		switch e.Name() {
		case ".git", "dist", ".cache":
			continue
		}
		command(t, time.Minute, "", nil, "cp", "-a", filepath.Join(root, e.Name()), src)
	}
	command(t, time.Minute, src, nil, "find", ".", "-type", "f", "-exec", "chmod", "go-rwx", "{}", "+")
	command(t, time.Minute, src, nil, "find", ".", "-exec", "touch", "-d", "2001-02-03 04:05:06", "{}", "+")

	sde := strings.TrimSpace(command(t, time.Minute, root, nil, "git", "log", "-1", "--format=%ct"))
	env := []string{"VERSION=" + first.version, "SOURCE_DATE_EPOCH=" + sde, "TZ=Pacific/Auckland"}
	if os.Getenv("ACCESSD_REPRO_COLD") == "1" {
		env = append(env, "GOCACHE="+t.TempDir())
	}
	second := buildDebs(t, src, t.TempDir(), env, "amd64")["amd64"]
	a, b := sha256File(t, first.path), sha256File(t, second.path)
	t.Logf("sha256 %s %s", a, filepath.Base(first.path))
	if a != b {
		t.Errorf("two builds of %s differ: sha256 %s and %s (diffoscope shows where)", first.version, a, b)
	}
}
