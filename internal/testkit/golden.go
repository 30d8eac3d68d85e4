package testkit

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// EnvUpdateGolden is the one switch that rewrites golden files, in every
// package: ACCESSD_UPDATE_GOLDEN=1 go test ./... (an environment variable,
// not a flag, because go test ./... -flag fails in every package that does
// not define the flag; go test's cache notices the variable).
const EnvUpdateGolden = "ACCESSD_UPDATE_GOLDEN"

// UpdateGolden reports whether ACCESSD_UPDATE_GOLDEN=1.
func UpdateGolden() bool { return os.Getenv(EnvUpdateGolden) == "1" }

// Golden compares got with the golden file at path (relative to the test's
// package directory, usually testdata/NAME.golden). With
// ACCESSD_UPDATE_GOLDEN=1 it first writes got there (making the directory).
// A difference is reported (-want +got) and the test goes on.
func Golden(t testing.TB, path, got string) {
	t.Helper()
	if UpdateGolden() {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatalf("golden file %s: %v", path, err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatalf("golden file %s: %v", path, err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("golden file: %v (%s=1 go test ./%s writes it)", err, EnvUpdateGolden, packageDir())
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s is out of date (%s=1 go test ./%s rewrites it) (-want +got):\n%s", path, EnvUpdateGolden, packageDir(), diff)
	}
}

// packageDir is the test's package directory relative to the module root
// ("." when it cannot be found), for messages.
func packageDir() string {
	root, err := ModuleRoot()
	if err != nil {
		return "..."
	}
	wd, err := os.Getwd()
	if err != nil {
		return "..."
	}
	rel, err := filepath.Rel(root, wd)
	if err != nil {
		return "..."
	}
	return filepath.ToSlash(rel)
}
