package daemon

import (
	"bytes"
	"os"
	"testing"
)

// The embedded demo inventory is a copy (go:embed cannot reach
// testdata/); keep the two equal.
func TestDemoInventoryIsTestdataCopy(t *testing.T) {
	want, err := os.ReadFile("../../../../testdata/demo/accesses.csv")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(want, demoCSV) {
		t.Fatal("cmd/accessd/internal/daemon/demo/accesses.csv differs from testdata/demo/accesses.csv: cp testdata/demo/accesses.csv cmd/accessd/internal/daemon/demo/")
	}
}

func TestDemoConfigParses(t *testing.T) {
	cfg, cleanup, err := demoConfig()
	if cleanup != nil {
		defer cleanup()
	}
	if err != nil {
		t.Fatalf("demo configuration: %v", err)
	}
	if cfg.Environment != "test" || len(cfg.Users) == 0 {
		t.Errorf("demo configuration: %+v", cfg)
	}
}
