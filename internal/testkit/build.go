package testkit

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// Version is what the test builds of the commands report (-X main.version).
const Version = "e2e"

// Bins are the commands built from this tree.
type Bins struct {
	Dir       string // the directory holding them
	Accessd   string
	Accessctl string
	Dhcpload  string
	Barehttp  string // cmd/internal/barehttp: the HTTP figures' bare handler
}

// EnvBins names a directory of commands built already (accessd,
// accessctl, dhcpload, barehttp): Binaries uses them instead of building
// its own, so that a run of several test binaries (the bench command)
// builds once.
const EnvBins = "ACCESSD_TEST_BINS"

// kit is the state of one test binary: the built commands, shared by its
// tests. It is the only process-wide state of testkit, and it lives as long
// as the test binary does (Main removes the directory).
var kit struct {
	mu      sync.Mutex
	main    bool // Main runs the tests
	dir     string
	bins    *Bins
	err     error
	tracked bool
	// natsServer is the nats-server command NATSServer built (or found).
	natsServer string
	natsErr    error
}

// Main runs the package's tests and then removes what Binaries built. A
// package whose tests build the commands calls it from TestMain:
//
//	func TestMain(m *testing.M) { testkit.Main(m) }
func Main(m *testing.M) {
	kit.mu.Lock()
	kit.main = true
	kit.mu.Unlock()
	code := m.Run()
	kit.mu.Lock()
	if kit.dir != "" {
		os.RemoveAll(kit.dir)
	}
	kit.mu.Unlock()
	os.Exit(code)
}

// Binaries builds accessd, accessctl, dhcpload and barehttp from this tree (with
// -ldflags -X main.version=e2e, and -race when the test binary has the race
// detector) the first time a test of this test binary asks, and returns
// them. A failed build fails every test that asks. The test's package must
// call Main from TestMain. With ACCESSD_TEST_BINS=DIR (EnvBins) it takes
// the commands in DIR instead and builds nothing.
//
// The build runs in a subprocess, whose reads go test's result cache cannot
// see; Binaries therefore reads the sources itself (TrackInputs), so a
// change to the daemon reruns the tests that run it.
func Binaries(t testing.TB) Bins {
	t.Helper()
	kit.mu.Lock()
	defer kit.mu.Unlock()
	if !kit.main {
		t.Fatal("testkit.Binaries: the package's TestMain must call testkit.Main (it removes the binaries)")
	}
	root := kitRoot(t)
	if dir := os.Getenv(EnvBins); dir != "" && kit.bins == nil {
		kit.bins, kit.err = prebuilt(dir)
	}
	if kit.bins == nil && kit.err == nil {
		kit.bins, kit.err = build(root)
	}
	if kit.err != nil {
		t.Fatal(kit.err)
	}
	return *kit.bins
}

// kitRoot is the module root; the first call reads the build's inputs
// (TrackInputs). kit.mu is held.
func kitRoot(t testing.TB) string {
	t.Helper()
	root, err := ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	if !kit.tracked {
		TrackInputs(t, root, func(rel string, d fs.DirEntry) bool {
			return d.IsDir() && d.Name() == "testdata" || strings.HasSuffix(rel, "_test.go")
		})
		kit.tracked = true
	}
	return root
}

// buildDir is the temporary directory the commands are built into
// (kit.dir, made at the first call; Main removes it). kit.mu is held.
func buildDir() (string, error) {
	if _, err := exec.LookPath("go"); err != nil {
		return "", fmt.Errorf("building the commands: the go tool is not in PATH: %w", err)
	}
	if kit.dir == "" {
		dir, err := os.MkdirTemp("", "accessd-testkit-bin-")
		if err != nil {
			return "", fmt.Errorf("building the commands: %w", err)
		}
		kit.dir = dir
	}
	return kit.dir, nil
}

// build builds the commands into the build directory.
func build(root string) (*Bins, error) {
	dir, err := buildDir()
	if err != nil {
		return nil, err
	}
	bins := binsIn(dir)
	args := []string{"build", "-o", dir + string(filepath.Separator), "-ldflags", "-X main.version=" + Version}
	if RaceEnabled {
		args = append(args, "-race")
	}
	args = append(args, "./cmd/accessd", "./cmd/accessctl", "./cmd/dhcpload", "./cmd/internal/barehttp")
	if err := goTool(root, args...); err != nil {
		return nil, err
	}
	return bins, nil
}

// goTool runs the go tool with args in root; its error carries the
// tool's output.
func goTool(root string, args ...string) error {
	cmd := exec.Command("go", args...)
	cmd.Dir = root
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, out.String())
	}
	return nil
}

// binsIn names the commands in dir.
func binsIn(dir string) *Bins {
	return &Bins{Dir: dir, Accessd: filepath.Join(dir, "accessd"), Accessctl: filepath.Join(dir, "accessctl"),
		Dhcpload: filepath.Join(dir, "dhcpload"), Barehttp: filepath.Join(dir, "barehttp")}
}

// prebuilt checks that dir (ACCESSD_TEST_BINS) holds every command.
func prebuilt(dir string) (*Bins, error) {
	b := binsIn(dir)
	for _, p := range []string{b.Accessd, b.Accessctl, b.Dhcpload, b.Barehttp} {
		if _, err := os.Stat(p); err != nil {
			return nil, fmt.Errorf("%s=%s: %w", EnvBins, dir, err)
		}
	}
	return b, nil
}

// ModuleRoot is the directory of accessd's go.mod: the first one above the
// working directory (a test runs in its package's directory) that declares
// the module github.com/stadsnat/accessd.
func ModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("module root: %w", err)
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && bytes.HasPrefix(b, []byte("module github.com/stadsnat/accessd\n")) {
			return dir, nil
		}
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("module root: %w", err)
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("module root: no go.mod of github.com/stadsnat/accessd above the working directory")
		}
		dir = parent
	}
}

// TrackInputs reads every regular file under root (but not .git, dist,
// .cache, root's bin, nor what skip says to leave out, given the path relative to root)
// so that go test's result cache notices a change to any of them: a test
// that builds or runs something in a subprocess depends on files the cache
// cannot otherwise see.
func TrackInputs(t testing.TB, root string, skip func(rel string, d fs.DirEntry) bool) {
	t.Helper()
	h := sha256.New()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "dist" || d.Name() == ".cache" || rel == "bin") || skip != nil && skip(rel, d) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		_, err = io.Copy(h, f)
		return err
	})
	if err != nil {
		t.Fatalf("reading the build's inputs: %v", err)
	}
}
