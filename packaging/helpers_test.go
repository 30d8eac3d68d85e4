package packaging

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// requireIntegration is set by CI: a missing prerequisite then fails the test
// instead of skipping it.
const requireIntegration = "ACCESSD_REQUIRE_INTEGRATION"

// need skips the test with why, or fails it when requireIntegration is set.
func need(t *testing.T, ok bool, why string) {
	t.Helper()
	if ok {
		return
	}
	if os.Getenv(requireIntegration) == "1" {
		t.Fatalf("%s (%s=1: a missing prerequisite is a failure; packaging/ci-deps.sh installs the tools)", why, requireIntegration)
	}
	t.Skipf("skipped: %s (packaging/ci-deps.sh installs the tools)", why)
}

// needTools skips or fails the test unless every tool is on PATH.
func needTools(t *testing.T, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		_, err := exec.LookPath(tool)
		need(t, err == nil, tool+" is not installed")
	}
}

// needRoot skips or fails the test unless it runs as root.
func needRoot(t *testing.T, what string) {
	t.Helper()
	need(t, os.Geteuid() == 0, what+" needs root")
}

// repoRoot is the repository's top directory (tests run in packaging/).
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatalf("repository root: %v", err)
	}
	return root
}

// command runs name with args in dir (with env added to the test's
// environment) and returns its standard output. A failure or a time-out
// fails the test with the command's standard error.
func command(t *testing.T, timeout time.Duration, dir string, env []string, name string, args ...string) string {
	t.Helper()
	out, errOut, err := tryCommand(timeout, dir, env, name, args...)
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, lastLines(errOut, 40))
	}
	return out
}

// tryCommand is command without the test: it returns standard output,
// standard error and the error.
func tryCommand(timeout time.Duration, dir string, env []string, name string, args ...string) (string, string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	// On a time-out: SIGTERM first (systemd-nspawn then powers its container
	// off), SIGKILL 10 s later.
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 10 * time.Second
	err := cmd.Run()
	return stdout.String(), stderr.String(), err
}

// lastLines returns the last n lines of s.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// trackInputs reads every file of the repository that a package build uses,
// so that go test's result cache notices a change to any of them (the build
// itself runs in subprocesses, whose reads the cache cannot see).
func trackInputs(t *testing.T, root string) {
	t.Helper()
	skip := map[string]bool{".git": true, "dist": true, ".cache": true}
	h := sha256.New()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && skip[d.Name()] {
			return filepath.SkipDir
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

// sha256File returns the hex SHA-256 of a file.
func sha256File(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// golden compares got with testdata/name; ACCESSD_UPDATE_GOLDEN=1 rewrites it.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if os.Getenv("ACCESSD_UPDATE_GOLDEN") == "1" {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (ACCESSD_UPDATE_GOLDEN=1 writes it)", err)
	}
	if diff := cmp.Diff(strings.Split(string(want), "\n"), strings.Split(got, "\n")); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", path, diff)
	}
}
