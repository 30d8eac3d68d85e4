package main_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/stadsnat/accessd/cmd/accessd/internal/testpki"
	"github.com/stadsnat/accessd/internal/testkit"
)

// The README's hub cluster (docs/examples/hub-cluster), run as written:
// three nats-server processes from nats-1/2/3.conf (one JetStream domain
// "hub", mutual TLS on clients, routes and leaf nodes), two hub instances
// from hub-a.yaml and hub-b.yaml (real daemons, each its own store, both
// on the cluster by cluster.nats.url with replicas: 3) and the edges
// pop-norr and pop-syd from their files, joined to the cluster as leaf
// nodes. Only addresses, files and directories are the test's (see
// hubCluster.example), and it adds an admin socket to each daemon and,
// at the edges, snmp.port (the simulated switch's) and
// dhcp.lazy_interval 1s. The hub's streams and consumers are R3; the
// inventory imported at hub-a reaches hub-b and both edges; both hub
// instances answer for both edges' facts; an order runs once. Then the
// leader of the hub's FACTS stream is SIGKILLed while both edges take
// DHCP traffic and a second order is placed: hubs and edges carry on,
// each hub applies every fact of each edge exactly once (its store holds
// exactly the edges' bindings and port states), and each order ran once.
func TestClusterHubR3(t *testing.T) {
	testkit.SkipShort(t, "end-to-end test of the hub cluster example (3 nats-server processes, 2 hub instances, 2 edges)")
	root := t.TempDir()
	start := time.Now()
	phase := func(what string) { t.Logf("%5.1fs %s", time.Since(start).Seconds(), what) }
	hc := newHubCluster(t, root)
	hc.startNATS(t)
	phase("3 nats-server processes: JetStream places R3 streams")
	a := hc.startHub(t, "a")
	b := hc.startHub(t, "b")
	hc.streamsAreR3(t)
	phase("2 hub instances: streams and consumers R3")
	// The hub's servers asked for the edges' facts before the edges were
	// there: they wait 30 s for that first answer before they ask again
	// (README), so the edges' facts reach the hubs about half a minute
	// from now. (Edges first would have their inventory mirrors wait
	// for the hub's streams just as long.)
	norr := hc.startEdge(t, "pop-norr")
	syd := hc.startEdge(t, "pop-syd")
	edges := []*clusterNode{norr, syd}

	if code, out, errOut := a.ctl("import", clusterInventory(t, root)); code != 0 {
		t.Fatalf("import at hub-a: exit %d %s%s", code, out, errOut)
	}
	waitBody(t, b, "/ko/api/1/", "<Count>16</Count>", "<AccessId>N1</AccessId>", "<AccessId>S8</AccessId>")
	for _, e := range edges { // the example's edge user has no PI V1: ask accessctl
		testkit.WaitUntil(t, 60*time.Second, e.name+" to hold the inventory", func() bool {
			c1, _, _ := e.ctl("access", "N1")
			c2, _, _ := e.ctl("access", "S8")
			return c1 == 0 && c2 == 0
		})
	}
	norr.load(t, 0, 16, 400, "2000")
	syd.load(t, 1000, 16, 400, "2000")
	for _, h := range []*clusterNode{a, b} {
		hubAnswersForBothSites(t, h, "10.64.0.0", "10.64.3.232")
	}
	orders := []string{hc.order(t, b, "N1")}
	phase("inventory everywhere, both sites' facts at both hubs")

	leader := hc.killFactsLeader(t, edges, func() { orders = append(orders, hc.order(t, a, "S1")) })
	phase("killed " + leader + ", FACTS has a new leader")
	norr.load(t, 240, 8, 200, "2000") // client 240 asks for 10.64.0.240 on p1
	syd.load(t, 1240, 8, 200, "2000") // client 1240 asks for 10.64.4.216 on p1
	waitBody(t, norr, "/onapi/2.6/tech/access/N1/link/leaseinfo", `"lease":"10.64.0.240"`)
	waitBody(t, syd, "/onapi/2.6/tech/access/S1/link/leaseinfo", `"lease":"10.64.4.216"`)
	for _, h := range []*clusterNode{a, b} {
		hubAnswersForBothSites(t, h, "10.64.0.240", "10.64.4.216")
	}
	for _, loc := range orders {
		for _, h := range []*clusterNode{a, b} {
			waitBody(t, h, loc, `"state":"DONE_SUCCESS"`)
		}
	}
	hc.ordersRanOnce(t, orders)
	phase("both orders done once, both hubs answer after the kill")

	time.Sleep(2 * time.Second) // the last lazy writes (dhcp.lazy_interval 1s) become facts
	streamed := map[string]uint64{}
	for _, e := range edges {
		waitApplied(t, e, a, b)
		streamed[e.site] = stream(e.cluster(t), "FACTS").Facts
	}
	for _, h := range []*clusterNode{a, b} {
		// /metrics is public; a 500 (a series twice) would read as zeros.
		if r := h.get("/metrics"); r.status != 200 {
			t.Errorf("%s: GET /metrics: %d %.600s", h.name, r.status, r.body)
		}
		for _, e := range edges {
			// No hub restarted: each applied every fact of the edge's stream
			// once. The edge's figure is its status's, refreshed every
			// status_interval (5 s here): it may lag the hub's counter by
			// the last facts, so both are read until they agree (a fact
			// applied twice would keep the counter above for ever).
			sample := fmt.Sprintf(`accessd_cluster_facts_applied_total{site=%q}`, e.site)
			var got float64
			agree := func() bool {
				streamed[e.site] = stream(e.cluster(t), "FACTS").Facts
				got = h.metric(t, sample)
				return got == float64(streamed[e.site])
			}
			if !agree() {
				t.Logf("%s applied %.0f facts of %s, its stream holds %d as its status last said; reading again", h.name, got, e.site, streamed[e.site])
				testkit.WaitUntil(t, 30*time.Second, h.name+"'s count of "+e.site+"'s facts to agree with the edge's stream", agree)
			}
		}
		if n := stream(h.cluster(t), "ORDERS").Messages; n != 0 {
			t.Errorf("%s: the ORDERS work queue still holds %d orders", h.name, n)
		}
	}
	phase(fmt.Sprintf("both hubs applied every fact of the edges' streams (%v)", streamed))
	stopAll(t, norr, syd, a, b)
	phase("all stopped")
	compareStores(t, edges, a, b)
	phase("stores compared")
}

// stopAll stops the daemons at once (SIGTERM, each by its PID) and says
// how long each took.
func stopAll(t *testing.T, nodes ...*clusterNode) {
	t.Helper()
	took := make([]string, len(nodes))
	var fs []func()
	for i, n := range nodes {
		fs = append(fs, func() {
			start := time.Now()
			if err := n.proc.Stop(); err != nil {
				t.Errorf("stop %s: %v", n.name, err)
			}
			took[i] = fmt.Sprintf("%s %.1fs", n.name, time.Since(start).Seconds())
		})
	}
	<-background(fs...)
	t.Logf("stopped: %s", strings.Join(took, ", "))
}

// hubAnswersForBothSites: leaseinfo of N1 (pop-norr) and S1 (pop-syd),
// dhcplookup and link status of both sites at hub instance h.
func hubAnswersForBothSites(t *testing.T, h *clusterNode, leaseN1, leaseS1 string) {
	t.Helper()
	waitBody(t, h, "/onapi/2.6/tech/access/N1/link/leaseinfo", `"lease":"`+leaseN1+`"`)
	waitBody(t, h, "/onapi/2.6/tech/access/S1/link/leaseinfo", `"lease":"`+leaseS1+`"`)
	waitBody(t, h, "/onapi/2.6/dhcplookup/?ipv4circuitid=p2&ipv4remoteid=127.0.0.2", `{"accessId":"S2"}`)
	waitBody(t, h, "/onapi/2.6/dhcplookup/?ipv4circuitid=p3&ipv4remoteid=127.0.0.1", `{"accessId":"N3"}`)
	waitBody(t, h, "/onapi/2.6/tech/access/N1/link/status", `"link":true`)
	waitBody(t, h, "/onapi/2.6/tech/access/S1/link/status", `"link":true`)
}

// hubCluster is the example's deployment on loopback: the servers'
// ports, the certificates and secrets, the activation hook.
type hubCluster struct {
	root     string
	examples string
	pki      string // the directory of the CA and every certificate
	ca       string
	secrets  string
	hook     string
	hookLog  string
	nats     [3]natsNode
	js       jetstream.JetStream // the test's own client of the cluster
}

// natsNode is one server of the cluster: its ports and its process.
type natsNode struct {
	name                string // nats-1 …
	client, route, leaf string // 127.0.0.1:port
	proc                *testkit.Process
}

func newHubCluster(t *testing.T, root string) *hubCluster {
	t.Helper()
	ca := testpki.New(t)
	hc := &hubCluster{root: root, examples: filepath.Join("..", "..", "docs", "examples", "hub-cluster"),
		pki: filepath.Dir(ca.File), ca: ca.File, secrets: filepath.Join(root, "secrets"),
		hook: filepath.Join(root, "provision"), hookLog: filepath.Join(root, "hook.log")}
	for _, name := range []string{"nats-1", "nats-2", "nats-3", "hub-a", "hub-b", "pop-norr", "pop-syd", "test"} {
		ca.Issue(t, name)
	}
	for i := range hc.nats {
		hc.nats[i] = natsNode{name: fmt.Sprintf("nats-%d", i+1),
			client: testkit.FreeTCPAddr(t), route: testkit.FreeTCPAddr(t), leaf: testkit.FreeTCPAddr(t)}
	}
	files := map[string]string{"comhem.pw": "pw\n", "noc.pw": "pw\n", "import-keys": "prod: k-prod\n", "snmp-community": "public\n"}
	if err := os.MkdirAll(hc.secrets, 0o700); err != nil {
		t.Fatal(err)
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(hc.secrets, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	script := "#!/bin/sh\ncat >> " + hc.hookLog + "\necho >> " + hc.hookLog + "\necho provisioned\n"
	if err := os.WriteFile(hc.hook, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return hc
}

// example reads an example file and puts the test's addresses, files and
// directories where the example has the deployment's: the servers' host
// names and ports, /etc/nats/tls and /etc/accessd/nats (the test's CA
// and certificates), /etc/accessd/secrets, the hook, the state and store
// directories, and the listeners of this node (local, applied first).
// Every other byte is the example's; a deployment path or address left
// over fails the test, so an example the test cannot run as written
// does not pass.
func (hc *hubCluster) example(t *testing.T, file string, local ...string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(hc.examples, file))
	if err != nil {
		t.Fatal(err)
	}
	y := strings.NewReplacer(local...).Replace(string(b))
	var pairs []string
	for i, n := range hc.nats {
		host := fmt.Sprintf("nats-%d.hub.ko.example.se", i+1)
		pairs = append(pairs, "tls://"+host+":4222", "tls://"+n.client, "tls://"+host+":7422", "tls://"+n.leaf,
			"nats-route://"+host+":6222", "nats-route://"+n.route)
	}
	pairs = append(pairs, "/etc/nats/tls/", hc.pki+"/", "/etc/accessd/nats/", hc.pki+"/",
		"/etc/accessd/secrets/", hc.secrets+"/", "/usr/local/lib/accessd/provision", hc.hook)
	y = strings.NewReplacer(pairs...).Replace(y)
	for _, left := range []string{"example.se", "0.0.0.0", "/etc/", "/var/", "/usr/", "10.2"} {
		if strings.Contains(y, left) {
			t.Fatalf("%s: %q is left after the test's addresses and files went in:\n%s", file, left, y)
		}
	}
	return y
}

// startNATS runs nats-1/2/3.conf, each its own nats-server process, and
// waits until the cluster's JetStream answers.
func (hc *hubCluster) startNATS(t *testing.T) {
	t.Helper()
	bin := testkit.NATSServer(t)
	for i := range hc.nats {
		n := &hc.nats[i]
		conf := hc.example(t, n.name+".conf", "0.0.0.0:4222", n.client, "0.0.0.0:6222", n.route,
			"0.0.0.0:7422", n.leaf, "/var/lib/nats/jetstream", filepath.Join(hc.root, n.name, "jetstream"))
		path := filepath.Join(hc.root, n.name+".conf")
		if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
			t.Fatal(err)
		}
		n.proc = testkit.NewProcess(t, bin, "-c", path)
		n.proc.Name = n.name
		n.proc.Start()
	}
	for _, n := range hc.nats {
		n.proc.WaitReady(10*time.Second, func() error {
			c, err := net.DialTimeout("tcp", n.client, time.Second)
			if err == nil {
				c.Close()
			}
			return err
		})
	}
	var urls []string
	for _, n := range hc.nats {
		urls = append(urls, "tls://"+n.client)
	}
	nc, err := nats.Connect(strings.Join(urls, ","), nats.RootCAs(hc.ca),
		nats.ClientCert(filepath.Join(hc.pki, "test.pem"), filepath.Join(hc.pki, "test.key")), nats.MaxReconnects(-1))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	if hc.js, err = jetstream.New(nc); err != nil {
		t.Fatal(err)
	}
	// A meta leader answers before every server is a peer that can take
	// a replica: until then an R3 stream is refused ("no suitable peers
	// for placement"), which the hubs would wait out at their start. The
	// cluster is formed when a probe R3 stream can be made.
	testkit.WaitUntil(t, 30*time.Second, "the cluster's JetStream to place an R3 stream", func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if _, err := hc.js.CreateStream(ctx, jetstream.StreamConfig{Name: "PROBE_R3", Subjects: []string{"test.probe.r3"}, Replicas: 3}); err != nil {
			return false
		}
		return hc.js.DeleteStream(ctx, "PROBE_R3") == nil
	})
}

// startHub runs hub-<instance>.yaml.
func (hc *hubCluster) startHub(t *testing.T, instance string) *clusterNode {
	t.Helper()
	n := &clusterNode{name: "hub-" + instance, site: "hub", auth: []string{"basic", "comhem:pw"}}
	n.e2e = hc.startDaemon(t, n.name, n.name+".yaml")
	return n
}

// startEdge runs <site>.yaml with the site's simulated switch and relay
// listener; dhcp.lazy_interval 1s and snmp.port (the switch's) are the
// test's.
func (hc *hubCluster) startEdge(t *testing.T, site string) *clusterNode {
	t.Helper()
	n := &clusterNode{name: site, site: site, auth: []string{"basic", "noc:pw"}}
	n.startSwitch(t)
	n.relay = fmt.Sprintf("127.0.0.1:%d", testkit.FreeUDPPort(t))
	_, swPort, _ := net.SplitHostPort(n.sw.Addr())
	prefix := map[string]string{"pop-norr": "10.21.0.0/16", "pop-syd": "10.22.0.0/16"}[site]
	n.e2e = hc.startDaemon(t, site, site+".yaml", `"0.0.0.0:67"`, `"`+n.relay+`"`,
		`allowed_sources: ["`+prefix+`"]`, `allowed_sources: ["127.0.0.0/8"]`,
		`match: ["`+prefix+`"]`, `match: ["`+siteSwitch(site)+`/32"]`,
		"\ndhcp:\n", "\ndhcp:\n  lazy_interval: 1s\n", "\nsnmp:\n", "\nsnmp:\n  port: "+swPort+"\n")
	return n
}

// startDaemon runs accessd on the example file with the node's own
// state directory, HTTP listener and admin socket (the examples' are a
// deployment's) and local's replacements (see example).
func (hc *hubCluster) startDaemon(t *testing.T, name, file string, local ...string) *e2e {
	t.Helper()
	dir := filepath.Join(hc.root, name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	bins := testkit.Binaries(t)
	e := &e2e{t: t, dir: dir, accessd: bins.Accessd, accessct: bins.Accessctl,
		sock: filepath.Join(dir, "admin.sock"), cfg: filepath.Join(dir, "accessd.yaml")}
	addr := testkit.FreeTCPAddr(t)
	e.base = "http://" + addr
	local = append(local, "state_dir: /var/lib/accessd\n", "state_dir: "+filepath.Join(dir, "state")+"\n",
		`"0.0.0.0:8067"`, `"`+addr+`"`)
	y := hc.example(t, file, local...)
	y += fmt.Sprintf("admin: {socket: %s, mode: \"0600\"}\n", e.sock)
	if err := os.WriteFile(e.cfg, []byte(y), 0o600); err != nil {
		t.Fatal(err)
	}
	e.run()
	return e
}

// streamsAreR3: the hub's streams, and the consumers of both instances,
// have three replicas, each with a leader and two followers online.
func (hc *hubCluster) streamsAreR3(t *testing.T) {
	t.Helper()
	consumers := map[string][]string{"FACTS": {"apply-a", "apply-b"}, "ORDERS": {"runner"}, "INVENTORY": nil}
	for name, cons := range consumers {
		hc.r3(t, "stream "+name, func(ctx context.Context) (int, *jetstream.ClusterInfo, error) {
			info, err := hc.js.Stream(ctx, name)
			if err != nil {
				return 0, nil, err
			}
			si, err := info.Info(ctx)
			if err != nil {
				return 0, nil, err
			}
			return si.Config.Replicas, si.Cluster, nil
		})
		for _, c := range cons {
			hc.r3(t, "consumer "+name+"/"+c, func(ctx context.Context) (int, *jetstream.ClusterInfo, error) {
				ci, err := hc.js.Consumer(ctx, name, c)
				if err != nil {
					return 0, nil, err
				}
				info, err := ci.Info(ctx)
				if err != nil {
					return 0, nil, err
				}
				return info.Config.Replicas, info.Cluster, nil
			})
		}
	}
}

// r3 waits until what has three replicas: a leader and two followers
// online. Each look gets 2 s (only the leader answers, and a new R3
// consumer may be without one for a while).
func (hc *hubCluster) r3(t *testing.T, what string, look func(context.Context) (int, *jetstream.ClusterInfo, error)) {
	t.Helper()
	last := "no answer"
	defer func() {
		if t.Failed() {
			t.Logf("%s: last seen %s", what, last)
		}
	}()
	testkit.WaitUntil(t, 60*time.Second, what+" to have 3 replicas", func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		n, c, err := look(ctx)
		switch {
		case err != nil:
			last = err.Error()
			return false
		case c == nil:
			last = fmt.Sprintf("replicas %d, no cluster info", n)
			return false
		}
		last = fmt.Sprintf("replicas %d, leader %q, followers %+v", n, c.Leader, c.Replicas)
		return n == 3 && replicated(c)
	})
}

// replicated reports a leader and two followers online. (Whether a
// follower is current the server judges by recent traffic, which an
// idle consumer under load may lack for longer than the test waits.)
func replicated(c *jetstream.ClusterInfo) bool {
	if c == nil || c.Leader == "" || len(c.Replicas) != 2 {
		return false
	}
	for _, r := range c.Replicas {
		if r.Offline {
			return false
		}
	}
	return true
}

// order places an activation of access at hub instance h and returns
// its location.
func (hc *hubCluster) order(t *testing.T, h *clusterNode, access string) string {
	t.Helper()
	r := h.req("POST", "/api/2.3/orders/", `{"accessId": "`+access+`", "service": "BB100100", "operation": "ACTIVATE",
		"forcedTakeover": false}`, h.user()...)
	h.expect(r, 201, `"state":"RECEIVED"`)
	return r.header.Get("Location")
}

// ordersRanOnce: the activation hook ran once for every order.
func (hc *hubCluster) ordersRanOnce(t *testing.T, orders []string) {
	t.Helper()
	log, err := os.ReadFile(hc.hookLog)
	if err != nil {
		t.Fatal(err)
	}
	for _, loc := range orders {
		id := loc[strings.LastIndex(loc, "/")+1:]
		if n := strings.Count(string(log), `"order":"`+id+`"`); n != 1 {
			t.Errorf("order %s: the hook ran %d times, want once", id, n)
		}
	}
}

// killFactsLeader SIGKILLs the nats-server that leads the hub's FACTS
// stream while both edges take DHCP traffic (clients 16… of pop-norr
// and 1016… of pop-syd), calls during right after, and waits until the
// stream has a new leader. It returns the killed server's name.
func (hc *hubCluster) killFactsLeader(t *testing.T, edges []*clusterNode, during func()) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := hc.js.Stream(ctx, "FACTS")
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(ctx)
	if err != nil || info.Cluster == nil {
		t.Fatalf("FACTS stream info: %v", err)
	}
	leader := info.Cluster.Leader
	var victim *natsNode
	for i := range hc.nats {
		if hc.nats[i].name == leader {
			victim = &hc.nats[i]
		}
	}
	if victim == nil {
		t.Fatalf("the FACTS leader %q is none of the cluster's servers", leader)
	}
	norr, syd := edges[0], edges[1]
	done := background(func() { norr.load(t, 16, 200, 3000, "1000") }, func() { syd.load(t, 1016, 200, 3000, "1000") })
	time.Sleep(time.Second) // under traffic: the edges store and publish, the stream sources
	victim.proc.Kill()
	during()
	var last string
	defer func() { t.Logf("FACTS after the kill: %s", last) }()
	testkit.WaitUntil(t, 30*time.Second, "FACTS to have a new leader", func() bool {
		// Only the stream's leader answers: ask again, briefly, until one does.
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		info, err := s.Info(ctx)
		if err != nil || info.Cluster == nil {
			last = fmt.Sprint(err)
			return false
		}
		last = "leader " + info.Cluster.Leader
		return info.Cluster.Leader != "" && info.Cluster.Leader != leader
	})
	<-done
	return leader
}
