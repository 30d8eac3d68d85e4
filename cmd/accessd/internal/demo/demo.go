// Package demo is `accessd -demo`: the embedded demo configuration and
// inventory (and a plant for Cubit), a temporary state directory, the
// demo's activation hook, and the peers it runs beside the daemon on
// loopback (its own sockets, handed over as systemd would, a simulated
// access switch and a simulated DHCP relay, and as simulated upstream
// systems the project's enforcing test servers of the Atlas order portal,
// Cubit and a provider's PI-API 2.3 customer look-up), all in the daemon's
// process, so every README example answers with nothing outside the
// repository.
package demo

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/stadsnat/accessd/cmd/accessd/internal/invsys"
	"github.com/stadsnat/accessd/cmd/internal/config"
	"github.com/stadsnat/accessd/store"
)

//go:embed files/accessd.yaml
var demoYAML []byte

// demoCSV is a copy of testdata/demo/accesses.csv (a test keeps them equal:
// go:embed cannot reach outside this package's directory).
//
//go:embed files/accesses.csv
var demoCSV []byte

// demoHook is the demo's activation hook: it records the order it gets and
// reports success, as a KO's provisioning script would once the port is
// configured. It needs nothing but /bin/sh.
const demoHook = `#!/bin/sh
# accessd -demo's activation hook: records the order (JSON on stdin) in
# hook-orders.jsonl beside it and reports success.
cat >> "$(dirname "$0")/hook-orders.jsonl" && echo >> "$(dirname "$0")/hook-orders.jsonl" && echo "provisioned by the demo hook"
`

// DefaultListen is the demo's HTTP address (-demo-listen).
const DefaultListen = "127.0.0.1:8067"

// ConfigYAML returns the embedded demo configuration (for tests).
func ConfigYAML() []byte { return demoYAML }

// Demo is `accessd -demo` before its daemon runs: the configuration, the
// temporary state directory it points into, and the simulated upstream
// systems it names (they run before the configuration is read: its URLs
// are theirs and its secret files must exist to be checked).
type Demo struct {
	Config *config.Config
	up     *upstreams
	dir    string
}

// Prepare makes a temporary state directory with the demo's hook and the
// secrets of the simulated upstream systems, the directory of the demo's
// admin socket (config.DemoAdminSocket, where accessctl looks), starts the
// simulated upstream systems and reads the demo configuration pointing to
// them all. Close undoes it; on an error Prepare has undone it itself.
func Prepare() (_ *Demo, err error) {
	sock := config.DemoAdminSocket()
	if err := privateDir(filepath.Dir(sock)); err != nil {
		return nil, fmt.Errorf("demo admin socket: %w", err)
	}
	d := &Demo{}
	if d.dir, err = os.MkdirTemp("", "accessd-demo-"); err != nil {
		return nil, fmt.Errorf("demo state directory: %w", err)
	}
	defer func() {
		if err != nil {
			d.Close()
		}
	}()
	if err := os.WriteFile(filepath.Join(d.dir, "demo-hook"), []byte(demoHook), 0o700); err != nil {
		return nil, fmt.Errorf("demo hook: %w", err)
	}
	loc, err := time.LoadLocation("Europe/Stockholm")
	if err != nil {
		return nil, fmt.Errorf("demo: load time zone: %w", err)
	}
	d.up, err = startUpstreams(d.dir, loc)
	if err != nil {
		return nil, err
	}
	fill := append([]string{"STATE_DIR", d.dir, "ADMIN_SOCKET", sock}, d.up.fill...)
	y := strings.NewReplacer(fill...).Replace(string(demoYAML))
	if d.Config, err = config.Parse("(demo configuration)", []byte(y)); err != nil {
		return nil, err
	}
	return d, nil
}

// Close stops the simulated upstream systems and removes the state
// directory.
func (d *Demo) Close() {
	if d.up != nil {
		d.up.close()
	}
	os.RemoveAll(d.dir)
}

// privateDir makes dir (mode 0700) or checks that the one there is a
// directory of this user that nobody else may write: its path is
// predictable (/tmp/accessd-demo-UID without XDG_RUNTIME_DIR).
func privateDir(dir string) error {
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	fi, err := os.Lstat(dir)
	if err != nil {
		return err
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	switch {
	case !fi.IsDir():
		return fmt.Errorf("%s is not a directory", dir)
	case !ok || int(st.Uid) != os.Getuid():
		return fmt.Errorf("%s belongs to another user", dir)
	case fi.Mode().Perm()&0o022 != 0:
		return fmt.Errorf("%s may be written by others (mode %v)", dir, fi.Mode().Perm())
	}
	return nil
}

// LoadInventory imports the demo inventory into db.
func LoadInventory(db *store.DB, log *slog.Logger) error {
	n, err := invsys.ImportCSV(db, bytes.NewReader(demoCSV))
	if err != nil {
		return fmt.Errorf("demo inventory: %w", err)
	}
	log.Info("demo inventory loaded", "created", n)
	return nil
}

// Print prints what the demo runs and how to try it.
func (p *Peers) Print(w io.Writer, cfg *config.Config) {
	http := "http://" + p.httpAddr
	lines := []string{
		fmt.Sprintf("accessd demo (pid %d: it stops when the process that started it, e.g. go run, ends)", os.Getpid()),
		fmt.Sprintf("  state directory  %s (removed on exit)", cfg.StateDir),
		fmt.Sprintf("  HTTP APIs        %s/  users demo/demo (every API) and comhem/s3cret (PI V1)", http),
		fmt.Sprintf("  NOC pages        %s/noc/  (demo/demo; they work without JavaScript)", http),
		fmt.Sprintf("  admin socket     %s", cfg.Admin.Socket),
		fmt.Sprintf("                   accessctl finds it without flags (or: export %s=%s)", config.SocketEnv, cfg.Admin.Socket),
		fmt.Sprintf("  DHCP relay copy  udp %s, fed by a simulated relay: %d clients on %d circuits in 10.67.0.0/16", p.relayAddr, p.clients, p.circuits),
		fmt.Sprintf("                   (client c of the access at index a is 10.67.a.(10+c)), one more on the unknown circuit %q", p.unknown),
		fmt.Sprintf("  SNMP             a simulated switch, the inventory's 127.0.0.1, on udp %s: %d ports,", p.switchAddr, p.ports),
		fmt.Sprintf("                   %s flaps every minute, %s is down; linkUp/linkDown traps to udp %s", p.flapPort, p.downPort, p.trapAddr),
		fmt.Sprintf("  activation hook  %s (records each order in hook-orders.jsonl beside it, reports success)", cfg.Activation.Hook),
	}
	lines = append(lines, p.up.banner(cfg.StateDir)...)
	lines = append(lines,
		"try:",
		fmt.Sprintf("  curl -u demo:demo %s/api/2.3/accesses/ALS10001/link", http),
		fmt.Sprintf("  curl -u demo:demo %s/onapi/2.6/tech/access/ALS10001/link/leaseinfo", http),
		fmt.Sprintf("  curl -u demo:demo '%s/onapi/2.6/dhcplookup/?ipv4circuitid=acc0&ipv4remoteid=127.0.0.1'", http),
		"  go run ./cmd/accessctl bindings ALS10001",
		"  go run ./cmd/accessctl upstream",
		"  go run ./cmd/accessctl upstream verify cubit "+demoMeteringPoint,
		fmt.Sprintf("  a browser on %s/noc/", http),
		"stop with Ctrl-C",
	)
	fmt.Fprintln(w, strings.Join(lines, "\n"))
}
