package daemon

import (
	"bytes"
	"os"
	"slices"
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

func TestRestartOnlyNamesDHCPSizes(t *testing.T) {
	old, cleanup, err := demoConfig()
	if cleanup != nil {
		defer cleanup()
	}
	if err != nil {
		t.Fatal(err)
	}
	cfg := *old
	cfg.DHCP.QueueSize = old.DHCP.QueueSize * 2
	cfg.DHCP.KeaLeaseFile = "/var/lib/kea/kea-leases4.csv"
	got := restartOnly(old, &cfg)
	if !slices.Contains(got, "dhcp.queue_size") || !slices.Contains(got, "dhcp.kea_lease_file") || len(got) != 2 {
		t.Errorf("restartOnly = %v", got)
	}
	if got := restartOnly(old, old); len(got) != 0 {
		t.Errorf("restartOnly of an unchanged config = %v", got)
	}
}
