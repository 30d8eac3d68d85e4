package demo

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/stadsnat/accessd/api/activation"
	"github.com/stadsnat/accessd/cmd/accessd/internal/upstream/cubit"
	"github.com/stadsnat/accessd/cmd/internal/config"
	"github.com/stadsnat/accessd/store"
	"github.com/stadsnat/accessd/store/inventory"
)

// The embedded demo inventory is a copy (go:embed cannot reach
// testdata/); keep the two equal.
func TestDemoInventoryIsTestdataCopy(t *testing.T) {
	want, err := os.ReadFile("../../../../testdata/demo/accesses.csv")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(want, demoCSV) {
		t.Fatal("cmd/accessd/internal/demo/files/accesses.csv differs from testdata/demo/accesses.csv: cp testdata/demo/accesses.csv cmd/accessd/internal/demo/files/")
	}
}

func TestDemoConfigParses(t *testing.T) {
	t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
	t.Setenv("TMPDIR", t.TempDir())
	d, err := Prepare()
	if err != nil {
		t.Fatalf("demo configuration: %v", err)
	}
	defer d.Close()
	cfg := d.Config
	if cfg.Environment != "test" || len(cfg.Users) == 0 {
		t.Errorf("demo configuration: %+v", cfg)
	}
	if cfg.Admin.Socket != config.DemoAdminSocket() {
		t.Errorf("demo admin socket %s, want %s (where accessctl looks)", cfg.Admin.Socket, config.DemoAdminSocket())
	}
	if err := activation.CheckHook(activation.ExecHook{Path: cfg.Activation.Hook}); err != nil {
		t.Errorf("demo hook: %v", err)
	}
	noc := false
	for _, u := range cfg.Users {
		noc = noc || slices.Contains(u.APIs, config.APINOC)
	}
	if !noc || len(cfg.HTTP.TrustedProxies) == 0 {
		t.Errorf("the demo has no NOC user or no trusted proxy: %+v", cfg)
	}
	checkDemoUpstream(t, d)
}

// checkDemoUpstream: the demo configures the portal, Cubit and the demo
// user's customer look-up at its simulated systems, with secrets only in
// files of the state directory that nobody else may read, and the
// simulated systems answer there (refusing a request without the secret,
// as the documents they enforce say).
func checkDemoUpstream(t *testing.T, d *Demo) {
	t.Helper()
	cfg := d.Config
	up := cfg.Upstream
	var ca config.CustomerAPI
	for _, u := range cfg.Users {
		if u.Name == "demo" {
			ca = u.CustomerAPI
		}
	}
	if !up.AtlasPortal.On() || !up.Cubit.On() || !ca.On() {
		t.Fatalf("the demo configures no portal, Cubit or customer look-up: %+v, user demo's %+v", up, ca)
	}
	if up.AtlasPortal.APIUser != demoPortalUser || ca.Username != demoSPUser || up.Cubit.Environment != cfg.Environment {
		t.Errorf("the demo configuration's upstream users differ from the simulated systems': %+v %+v", up, ca)
	}
	for _, f := range []string{up.AtlasPortal.APIKeyFile, up.Cubit.APIKeyFile, ca.PasswordFile} {
		fi, err := os.Stat(f)
		if err != nil || filepath.Dir(f) != cfg.StateDir || fi.Mode().Perm() != 0o600 {
			t.Errorf("secret file %s: %v, mode %v; want one of mode 0600 in the state directory", f, err, fi)
		}
	}
	for _, u := range []string{up.AtlasPortal.URL + "?method=orders&date=2026-01-01", up.Cubit.URL + "/api/import/test/plant", ca.URL + "access/ALS10001"} {
		resp, err := http.Get(u)
		if err != nil {
			t.Errorf("simulated upstream %s: %v", u, err)
			continue
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		// The portal answers its failures 200 with <status>failed</status> (A2).
		if resp.StatusCode < 400 && !bytes.Contains(body, []byte("<status>failed</status>")) {
			t.Errorf("simulated upstream %s answered %d to a request without credentials: %s", u, resp.StatusCode, body)
		}
	}
}

// The demo's plant is a JSON import of ALS10010 as the demo CSV has it,
// with a plant that passes the inventory's checks and the Cubit client's
// without a check-digit warning.
func TestDemoPlant(t *testing.T) {
	in, err := store.ReadIncoming(inventory.JSON, bytes.NewReader(demoPlantJSON))
	if err != nil || len(in) != 1 {
		t.Fatalf("files/plant.json: %d accesses, %v; want one", len(in), err)
	}
	got := in[0].Access
	if got.AccessID != demoPlantAccess || got.Plant == nil || got.Plant.MeteringPointID != demoMeteringPoint {
		t.Fatalf("files/plant.json: %s with plant %+v; want %s with metering point %s", got.AccessID, got.Plant, demoPlantAccess, demoMeteringPoint)
	}
	as, err := demoAccesses()
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(as, func(a inventory.Access) bool { return a.AccessID == demoPlantAccess })
	if i < 0 {
		t.Fatalf("the demo CSV has no %s", demoPlantAccess)
	}
	plain := got
	plain.Plant = nil
	if diff := cmp.Diff(as[i], plain); diff != "" {
		t.Errorf("files/plant.json's access differs from the demo CSV's (-want +got):\n%s", diff)
	}
	b, err := json.Marshal(got.Plant)
	if err != nil {
		t.Fatal(err)
	}
	p, err := cubit.DecodePlant(b)
	if err != nil {
		t.Fatalf("the demo plant as Cubit's client reads it: %v", err)
	}
	ws, err := cubit.Rules{}.CheckPlant(p)
	if err != nil || len(ws) != 0 {
		t.Errorf("the demo plant fails the Cubit client's checks: %v, warnings %v", err, ws)
	}
}

// The demo's socket directory has a predictable path: one that another
// user made, or that others may write, is refused.
func TestPrivateDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "d")
	if err := privateDir(dir); err != nil {
		t.Fatalf("a new directory: %v", err)
	}
	if err := privateDir(dir); err != nil {
		t.Fatalf("the directory again: %v", err)
	}
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := privateDir(dir); err == nil {
		t.Error("a world-writable directory was accepted")
	}
	link := filepath.Join(t.TempDir(), "l")
	if err := os.Symlink(t.TempDir(), link); err != nil {
		t.Fatal(err)
	}
	if err := privateDir(link); err == nil {
		t.Error("a symbolic link was accepted")
	}
}

func TestRestartOnlyNamesDHCPSizes(t *testing.T) {
	t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
	t.Setenv("TMPDIR", t.TempDir())
	d, err := Prepare()
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	old := d.Config
	cfg := *old
	cfg.DHCP.QueueSize = old.DHCP.QueueSize * 2
	cfg.DHCP.KeaLeaseFile = "/var/lib/kea/kea-leases4.csv"
	got := config.Restart(old, &cfg)
	if !slices.Contains(got, "dhcp.queue_size") || !slices.Contains(got, "dhcp.kea_lease_file") || len(got) != 2 {
		t.Errorf("restartOnly = %v", got)
	}
	if got := config.Restart(old, old); len(got) != 0 {
		t.Errorf("restartOnly of an unchanged config = %v", got)
	}
}

// accessctl restore finds the store through the configuration: its file
// name is the store's.
func TestStoreFileName(t *testing.T) {
	if config.StoreFile != store.FileName {
		t.Errorf("config.StoreFile %q, store.FileName %q", config.StoreFile, store.FileName)
	}
}

// The demo's configuration trusts its simulated relay (issue 12:
// dhcp.relay.allowed_sources is required with a relay listener), also
// when -demo-listen names another loopback address than 127.0.0.1, or
// none (the relay then sends from 127.0.0.1).
func TestDemoTrustsItsRelay(t *testing.T) {
	t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
	t.Setenv("TMPDIR", t.TempDir())
	d, err := Prepare()
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	cfg := d.Config
	trusted := func(ip string) bool {
		return slices.ContainsFunc(cfg.DHCP.Relay.AllowedSources, func(p netip.Prefix) bool { return p.Contains(netip.MustParseAddr(ip)) })
	}
	if !trusted("127.0.0.1") {
		t.Fatalf("the demo configuration does not trust 127.0.0.1: %v", cfg.DHCP.Relay.AllowedSources)
	}
	for host, want := range map[string]string{"127.0.0.1": "127.0.0.1:0", "0.0.0.0": "127.0.0.1:0", "127.0.0.2": "127.0.0.2:0"} {
		src, err := trustRelay(cfg, host)
		if err != nil || src != want {
			t.Errorf("trustRelay(%s) = %q, %v; want %s", host, src, err, want)
		}
	}
	if !trusted("127.0.0.2") || trusted("127.0.0.3") || len(cfg.DHCP.Relay.AllowedSources) != 2 {
		t.Errorf("allowed sources after -demo-listen 127.0.0.2: %v", cfg.DHCP.Relay.AllowedSources)
	}
}
