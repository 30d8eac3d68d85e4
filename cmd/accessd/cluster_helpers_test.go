package main_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stadsnat/accessd/cmd/accessd/internal/demosim"
	"github.com/stadsnat/accessd/cmd/internal/admin"
	"github.com/stadsnat/accessd/internal/testkit"
	"github.com/stadsnat/accessd/store"
)

// clusterNode is one accessd of a test cluster: a hub (instance) or an
// edge with its simulated switch and a relay listener for dhcpload.
type clusterNode struct {
	*e2e
	name  string
	site  string
	relay string // edge: the DHCP relay listener (udp)
	sw    *demosim.Switch
	swOff context.CancelFunc
	auth  []string // the API user's basic credentials; nil: sp
}

// user is the basic credentials of n's API user, for get and req.
func (n *clusterNode) user() []string {
	if n.auth != nil {
		return n.auth
	}
	return sp
}

// clusterPorts are the ports of every site's switch (p1 … p8).
func clusterPorts() []string {
	var ps []string
	for i := 1; i <= 8; i++ {
		ps = append(ps, "p"+strconv.Itoa(i))
	}
	return ps
}

// siteSwitch is the switch address a site's inventory names (its own
// loopback address, so no site polls another's).
func siteSwitch(site string) string {
	if site == "pop-syd" {
		return "127.0.0.2"
	}
	return "127.0.0.1"
}

// clusterInventory is the inventory of both sites, imported at the hub:
// N1…N8 on pop-norr's switch, S1…S8 on pop-syd's.
func clusterInventory(t testing.TB, dir string) string {
	t.Helper()
	rows := []string{"accessId,streetName,streetNumber,postalCode,city,countryCode,premisesType,mduApartmentNumber,option82,activationDate,salesStartDate,portSpeed"}
	for _, s := range []struct{ prefix, site string }{{"N", "pop-norr"}, {"S", "pop-syd"}} {
		for i, p := range clusterPorts() {
			rows = append(rows, fmt.Sprintf("%s%d,Storgatan,%d,903 25,Umeå,SE,MDU_APARTMENT,%d,%s %s,YES,YES,1000",
				s.prefix, i+1, i+1, 1000+i, siteSwitch(s.site), p))
		}
	}
	path := filepath.Join(dir, "inventory.csv")
	if err := os.WriteFile(path, []byte(strings.Join(rows, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// startHub runs a hub instance. leaf is its leaf-node listener (""
// none), listen its NATS client port (""), url an external server
// instead of the embedded one; hook its activation hook.
func startHub(t testing.TB, dir, instance, leaf, listen, url, hook string) *clusterNode {
	t.Helper()
	nats := fmt.Sprintf("{leafnode_listen: %q, listen: %q}", leaf, listen)
	if url != "" {
		nats = fmt.Sprintf("{embedded: false, url: %q, store_dir: %q}", url, filepath.Join(dir, "state", "nats"))
	}
	y := fmt.Sprintf(`site: hub
activation: {hook: %q, timeout: 10s}
cluster:
  role: hub
  instance: %q
  sites: [pop-norr, pop-syd]
  nats: %s
  staleness: 3s
  status_interval: 250ms
  orders: {ack_wait: 5s}
`, hook, instance, nats)
	n := &clusterNode{name: "hub" + instance, site: "hub"}
	n.e2e = startNode(t, dir, y)
	return n
}

// startEdge runs an edge of site with its simulated switch.
func startEdge(t testing.TB, dir, site, hubLeaf string) *clusterNode {
	t.Helper()
	n := &clusterNode{name: site, site: site}
	n.startSwitch(t)
	n.relay = fmt.Sprintf("127.0.0.1:%d", testkit.FreeUDPPort(t))
	_, swPort, _ := net.SplitHostPort(n.sw.Addr())
	y := fmt.Sprintf(`site: %s
dhcp: {relay: {listen: %q, allowed_sources: [127.0.0.0/8]}, lazy_interval: 1s}
snmp:
  interval: 1s
  timeout: 500ms
  retries: 0
  port: %s
  groups: [{name: site, community: public, match: ["%s/32"]}]
cluster:
  role: edge
  nats: {hub: ["nats-leaf://%s"]}
  status_interval: 250ms
`, site, n.relay, swPort, siteSwitch(site), hubLeaf)
	n.e2e = startNode(t, dir, y)
	return n
}

// startNode writes the common configuration with role's part and runs
// the daemon until /readyz answers.
func startNode(t testing.TB, dir, role string) *e2e {
	t.Helper()
	bins := testkit.Binaries(t)
	e := &e2e{t: t, dir: dir, accessd: bins.Accessd, accessct: bins.Accessctl}
	addr := testkit.FreeTCPAddr(t)
	e.base, e.sock, e.cfg = "http://"+addr, filepath.Join(dir, "admin.sock"), filepath.Join(dir, "accessd.yaml")
	y := fmt.Sprintf(`state_dir: %s
ko_id: E2E
environment: prod
http: {listen: ["%s"]}
admin: {socket: %s, mode: "0600"}
users:
  - {name: sp, password: pw, apis: [pi-v1, pi-api, on-api]}
services:
  - {uid: BB100100, name: "Bredband 100/100", type: broadband, capacity_kbit: 100000}
`, filepath.Join(dir, "state"), addr, e.sock) + role
	if !strings.Contains(role, "snmp:") {
		y += "snmp: {enabled: false}\n"
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(e.cfg, []byte(y), 0o600); err != nil {
		t.Fatal(err)
	}
	e.run()
	return e
}

// startSwitch runs the site's simulated switch (a fixed port for the
// whole test: the edge's configuration names it).
func (n *clusterNode) startSwitch(t testing.TB) {
	t.Helper()
	sw, err := demosim.NewSwitch(demosim.SwitchOptions{Listen: siteSwitch(n.site) + ":0", Ports: clusterPorts(), FlapEvery: -1,
		Name: n.site + "-switch", Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan struct{})
	done := make(chan error, 1)
	go func() { done <- sw.Run(ctx, func() { close(ready) }) }()
	select {
	case <-ready:
	case err := <-done:
		t.Fatalf("switch of %s: %v", n.site, err)
	}
	n.sw, n.swOff = sw, cancel
	t.Cleanup(func() { cancel(); <-done })
}

// load sends count relayed DHCP packets of clients [base, base+clients)
// on the site's eight circuits, at rate per second.
func (n *clusterNode) load(t testing.TB, base, clients, count int, rate string) {
	t.Helper()
	out, err := runDhcpload(t, n, "-count", strconv.Itoa(count), "-rate", rate, "-clients", strconv.Itoa(clients),
		"-client-base", strconv.Itoa(base), "-mix", "0.5")
	if err != nil {
		t.Fatalf("dhcpload to %s: %v\n%s", n.site, err, out)
	}
}

// runDhcpload runs dhcpload against n's relay listener on the site's
// eight circuits with args.
func runDhcpload(t testing.TB, n *clusterNode, args ...string) ([]byte, error) {
	return dhcploadCmd(t, n, args...).CombinedOutput()
}

func dhcploadCmd(t testing.TB, n *clusterNode, args ...string) *exec.Cmd {
	args = append([]string{"-target", n.relay, "-switches", "1", "-ports", "8", "-remote-id", siteSwitch(n.site),
		"-circuit-id", "p%d", "-giaddr", siteSwitch(n.site)}, args...)
	return exec.Command(testkit.Binaries(t).Dhcpload, args...)
}

// cluster is accessctl -json cluster of n.
func (n *clusterNode) cluster(t testing.TB) admin.Cluster {
	t.Helper()
	code, out, errOut := n.ctl("-json", "cluster")
	var st admin.Cluster
	if code != 0 || json.Unmarshal([]byte(out), &st) != nil {
		t.Fatalf("accessctl cluster on %s: exit %d %s%s", n.name, code, out, errOut)
	}
	return st
}

// stream returns n's stream name from its status.
func stream(st admin.Cluster, name string) admin.ClusterStream {
	for _, s := range st.Streams {
		if s.Name == name {
			return s
		}
	}
	return admin.ClusterStream{}
}

// metric reads a sample of n's /metrics (0 when absent): name with its
// labels as written, e.g. `accessd_cluster_facts_applied_total{site="pop-norr"}`.
func (n *clusterNode) metric(t testing.TB, sample string) float64 {
	t.Helper()
	return n.metrics(t, sample)[0]
}

// metrics reads several samples of one /metrics response, uncompressed:
// the benchmarks read it every 100 ms, and gzip cost the hub a tenth of
// its CPU there.
func (n *clusterNode) metrics(t testing.TB, samples ...string) []float64 {
	t.Helper()
	r := n.get("/metrics", "basic", "sp:pw", "Accept-Encoding", "identity")
	out := make([]float64, len(samples))
	for _, line := range strings.Split(r.body, "\n") {
		for i, sample := range samples {
			if v, ok := strings.CutPrefix(line, sample+" "); ok {
				out[i], _ = strconv.ParseFloat(v, 64)
			}
		}
	}
	return out
}

// openStore opens a stopped node's store to compare it.
func openStore(t testing.TB, n *clusterNode) *store.DB {
	t.Helper()
	db, err := store.Open(filepath.Join(n.dir, "state", store.FileName), store.Options{LockTimeout: time.Second})
	if err != nil {
		t.Fatalf("store of %s: %v", n.name, err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// bindingsOf returns a store's bindings by MAC.
func bindingsOf(t testing.TB, db *store.DB) map[store.MAC]store.BindingRecord {
	t.Helper()
	out := map[store.MAC]store.BindingRecord{}
	if _, err := db.Bindings().Load(func(r *store.BindingRecord) error { out[r.MAC] = *r; return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}
