package daemon

import (
	"bytes"
	_ "embed"
	"fmt"
	"io"
	"os"

	"github.com/stadsnat/accessd/cmd/internal/config"
	"github.com/stadsnat/accessd/store"
	"github.com/stadsnat/accessd/store/inventory"
)

//go:embed demo/accessd.yaml
var demoYAML []byte

// demoCSV is a copy of testdata/demo/accesses.csv (a test keeps them equal:
// go:embed cannot reach outside this package's directory).
//
//go:embed demo/accesses.csv
var demoCSV []byte

// DemoConfigYAML returns the embedded demo configuration (for tests).
func DemoConfigYAML() []byte { return demoYAML }

// demoConfig makes a temporary state directory and the demo configuration
// pointing into it; cleanup removes the directory.
func demoConfig() (*config.Config, func(), error) {
	dir, err := os.MkdirTemp("", "accessd-demo-")
	if err != nil {
		return nil, nil, fmt.Errorf("demo state directory: %w", err)
	}
	cleanup := func() { os.RemoveAll(dir) }
	y := bytes.ReplaceAll(demoYAML, []byte("STATE_DIR"), []byte(dir))
	cfg, err := config.Parse("(demo configuration)", y)
	if err != nil {
		return nil, cleanup, err
	}
	return cfg, cleanup, nil
}

func (d *Daemon) loadDemoInventory() error {
	in, err := store.ReadIncoming(inventory.CSV, bytes.NewReader(demoCSV))
	if err != nil {
		return fmt.Errorf("demo inventory: %w", err)
	}
	sum, err := d.db.Import(in, store.ImportOptions{})
	if err != nil {
		return fmt.Errorf("demo inventory: %w", err)
	}
	d.log.Info("demo inventory loaded", "created", sum.Created)
	return nil
}

func printDemo(w io.Writer, cfg *config.Config) {
	addr := cfg.HTTP.Listen[0]
	fmt.Fprintf(w, `accessd demo
  state directory  %s (removed on exit)
  HTTP APIs        http://%s/  (users demo/demo and comhem/s3cret)
  admin socket     %s
  DHCP relay copy  udp %s
  SNMP switches    the demo inventory's 127.0.0.1 on udp port %d (snmpd of ../shared/lab/snmp-lab.sh)
try:
  curl -u demo:demo http://%[2]s/ko/api/1/
  curl -u demo:demo http://%[2]s/api/2.3/accesses/
  curl -u demo:demo http://%[2]s/onapi/2.6/
  go run ./cmd/accessctl -socket %[3]s status
stop with Ctrl-C
`, cfg.StateDir, addr, cfg.Admin.Socket, cfg.DHCP.Relay.Listen, cfg.SNMP.Port)

}
