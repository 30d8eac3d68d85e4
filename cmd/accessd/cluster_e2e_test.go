package main_test

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/stadsnat/accessd/internal/testkit"
	"github.com/stadsnat/accessd/store"
)

var sp = []string{"basic", "sp:pw"}

// waitBody polls GET path on n until its body holds every want (60 s).
func waitBody(t *testing.T, n *clusterNode, path string, want ...string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		r := n.get(path, n.user()...)
		missing := ""
		for _, w := range want {
			if !strings.Contains(r.body, w) {
				missing = w
			}
		}
		if missing == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: GET %s still lacks %s after 60s: %d %.400s", n.name, path, missing, r.status, r.body)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// A hub and two edges, each its own process with its own state directory
// and embedded NATS. The inventory is imported at the hub and reaches both
// edges; each edge learns bindings (dhcpload at its relay listener) and
// link changes (its simulated switch) and the hub answers them all; the
// hub is stopped under traffic and the edges answer on; an edge is
// SIGKILLed mid-stream. At the end the hub's store holds exactly what the
// edges' stores hold, and every fact was applied once.
func TestClusterHubAndTwoEdges(t *testing.T) {
	testkit.SkipShort(t, "end-to-end test of a hub and two edges (real daemons, embedded NATS)")
	root := t.TempDir()
	leaf := testkit.FreeTCPAddr(t)
	client := testkit.FreeTCPAddr(t)
	hub := startHub(t, filepath.Join(root, "hub"), "", leaf, client, "", "")
	norr := startEdge(t, filepath.Join(root, "pop-norr"), "pop-norr", leaf)
	syd := startEdge(t, filepath.Join(root, "pop-syd"), "pop-syd", leaf)
	edges := []*clusterNode{norr, syd}

	inventoryReachesTheEdges(t, hub, edges, clusterInventory(t, root))
	norr.load(t, 0, 16, 400, "2000")
	syd.load(t, 1000, 16, 400, "2000")
	if err := norr.sw.SetLink("p3", false); err != nil {
		t.Fatal(err)
	}
	hubAnswersForEverySite(t, hub)
	badMessagesAreCounted(t, client, hub)
	clusterMetricsExist(t, hub, norr)
	before := hubUnderTraffic(t, hub, edges)
	edgeKilledMidStream(t, hub, norr)
	after, streamed := settleCluster(t, hub, edges)
	compareStores(t, edges, hub)
	// Every fact in the edges' streams is one fact (the edges publish
	// each once, in order); the hub applied none of them twice.
	if applied := before + after; applied > float64(streamed) || after == 0 {
		t.Errorf("the hub applied %.0f facts (%.0f before its stop, %.0f after), the edges' streams hold %d", applied, before, after, streamed)
	}
	t.Logf("the edges' streams hold %d facts; the hub applied %.0f before its stop (at least) and %.0f after", streamed, before, after)
}

func inventoryReachesTheEdges(t *testing.T, hub *clusterNode, edges []*clusterNode, inv string) {
	t.Helper()
	if code, out, errOut := hub.ctl("import", inv); code != 0 {
		t.Fatalf("accessctl import at the hub: exit %d %s%s", code, out, errOut)
	}
	for _, e := range edges {
		waitBody(t, e, "/ko/api/1/", "<Count>16</Count>", "<AccessId>N1</AccessId>", "<AccessId>S8</AccessId>")
		code, _, errOut := e.ctl("import", inv)
		if code == 0 || !strings.Contains(errOut, `this accessd is an edge of the hub "hub"`) {
			t.Errorf("accessctl import at edge %s: exit %d, %s", e.name, code, errOut)
		}
		code, _, errOut = e.ctl("remove", "N1")
		if code == 0 || !strings.Contains(errOut, "edge of the hub") {
			t.Errorf("accessctl remove at edge %s: exit %d, %s", e.name, code, errOut)
		}
	}
}

// hubAnswersForEverySite: leaseinfo, dhcplookup and link status of both
// sites' accesses at the hub.
func hubAnswersForEverySite(t *testing.T, hub *clusterNode) {
	t.Helper()
	// Client i is on port i mod 8 + 1 and asks for 10.64.0.0 + i.
	waitBody(t, hub, "/onapi/2.6/tech/access/N1/link/leaseinfo", `"lease":"10.64.0.0"`, `"mac":"02:00:00:00:00:00"`)
	waitBody(t, hub, "/onapi/2.6/tech/access/S1/link/leaseinfo", `"lease":"10.64.3.232"`, `"mac":"02:00:00:00:03:E8"`)
	waitBody(t, hub, "/onapi/2.6/dhcplookup/?ipv4circuitid=p2&ipv4remoteid=127.0.0.2", `{"accessId":"S2"}`)
	waitBody(t, hub, "/onapi/2.6/tech/access/N1/link/status", `"link":true`, `"linkSpeed":`)
	waitBody(t, hub, "/onapi/2.6/tech/access/S1/link/status", `"link":true`)
	waitBody(t, hub, "/onapi/2.6/tech/access/N3/link/status", `"link":false`)
	waitBody(t, hub, "/api/2.3/accesses/S1/link", `"link":"UP"`)
}

// hubUnderTraffic stops the hub while dhcpload sends to both edges,
// checks that the edges answer locally meanwhile, restarts it and waits
// until it caught up. It returns the facts the hub applied before it
// stopped (a lower bound: it may apply a few more after the reading).
func hubUnderTraffic(t *testing.T, hub *clusterNode, edges []*clusterNode) float64 {
	t.Helper()
	norr, syd := edges[0], edges[1]
	done := background(func() { norr.load(t, 16, 16, 6000, "1000") }, func() { syd.load(t, 1016, 16, 6000, "1000") })
	time.Sleep(2 * time.Second)
	applied := hubApplied(t, hub)
	if err := hub.proc.Stop(); err != nil {
		t.Fatalf("stop the hub: %v", err)
	}
	if err := syd.sw.SetLink("p5", false); err != nil {
		t.Fatal(err)
	}
	waitBody(t, norr, "/onapi/2.6/tech/access/N1/link/leaseinfo", `"lease":"10.64.0.16"`)
	waitBody(t, syd, "/onapi/2.6/tech/access/S5/link/status", `"link":false`)
	waitBody(t, syd, "/onapi/2.6/dhcplookup/?ipv4circuitid=p2&ipv4remoteid=127.0.0.2", `{"accessId":"S2"}`)
	testkit.WaitUntil(t, 30*time.Second, "the edges to see the hub gone", func() bool {
		st := norr.cluster(t)
		return st.HubLink != nil && !st.HubLink.Up && st.UnforwardedFacts > 0
	})
	<-done
	hub.run()
	waitBody(t, hub, "/onapi/2.6/tech/access/N1/link/leaseinfo", `"lease":"10.64.0.16"`)
	waitBody(t, hub, "/onapi/2.6/tech/access/S5/link/status", `"link":false`)
	return applied
}

// background runs fs at once and closes the channel when all returned.
func background(fs ...func()) <-chan struct{} {
	done := make(chan struct{})
	left := make(chan struct{}, len(fs))
	for _, f := range fs {
		go func() { f(); left <- struct{}{} }()
	}
	go func() {
		for range fs {
			<-left
		}
		close(done)
	}()
	return done
}

// edgeKilledMidStream SIGKILLs pop-norr while dhcpload sends to it and
// its facts flow to the hub, and restarts it.
func edgeKilledMidStream(t *testing.T, hub, norr *clusterNode) {
	t.Helper()
	done := background(func() { norr.load(t, 32, 200, 20000, "4000") }) // 5 s of traffic
	time.Sleep(2 * time.Second)                                         // mid-stream: storing and publishing
	norr.proc.Kill()
	<-done
	norrIsStaleAtTheHub(t, hub)
	norr.run()
	norr.load(t, 240, 8, 200, "2000") // client 240 asks for 10.64.0.240 on p1
	waitBody(t, hub, "/onapi/2.6/tech/access/N1/link/leaseinfo", `"lease":"10.64.0.240"`)
	testkit.WaitUntil(t, 30*time.Second, "the hub to hear from pop-norr again", func() bool {
		r := hub.get("/readyz")
		return r.status == 200 && !strings.Contains(r.body, "pop-norr")
	})
	waitBody(t, hub, "/api/2.3/accesses/N1/link", `"link":"UP"`)
}

// norrIsStaleAtTheHub: with pop-norr down for longer than the hub's
// cluster.staleness (3 s), the hub stays ready and names it in /readyz,
// answers its links as unknown since its last contact (never a stale UP)
// and pop-syd's as before.
func norrIsStaleAtTheHub(t *testing.T, hub *clusterNode) {
	t.Helper()
	waitBody(t, hub, "/readyz", "site pop-norr stale: no contact since ")
	if r := hub.get("/readyz"); r.status != 200 || strings.Contains(r.body, "pop-syd") {
		t.Errorf("/readyz with pop-norr stale: %d %q, want 200 naming pop-norr only", r.status, r.body)
	}
	waitBody(t, hub, "/api/2.3/accesses/N1/link", "Link status of accessId 'N1' is unknown: the access switch last confirmed it at ")
	if r := hub.get("/api/2.3/accesses/N1/link", sp...); r.status != 503 {
		t.Errorf("PI-API link of N1 at a stale site: %d %s, want 503", r.status, r.body)
	}
	if r := hub.get("/api/2.3/accesses/S1/link", sp...); r.status != 200 || !strings.Contains(r.body, `"link":"UP"`) {
		t.Errorf("PI-API link of S1 (pop-syd, not stale): %d %s", r.status, r.body)
	}
}

// settleCluster waits until every fact of the edges is applied at the hub (the
// edges' newest published fact is the hub's mark of them, and stays so),
// then stops everything. It returns the facts the hub applied in its
// second run and the facts in the edges' streams.
func settleCluster(t *testing.T, hub *clusterNode, edges []*clusterNode) (applied float64, streamed uint64) {
	t.Helper()
	time.Sleep(2 * time.Second) // the last lazy writes (dhcp.lazy_interval 1s) become facts
	for _, e := range edges {
		waitApplied(t, e, hub)
		streamed += stream(e.cluster(t), "FACTS").Facts
	}
	applied = hubApplied(t, hub) // nothing arrives any more: exact
	for _, n := range append(edges, hub) {
		if err := n.proc.Stop(); err != nil {
			t.Errorf("stop %s: %v", n.name, err)
		}
	}
	return applied, streamed
}

// waitApplied waits until every fact of edge e is applied at each hub:
// the edge's newest published fact is the hub's mark of it, and stays so.
func waitApplied(t *testing.T, e *clusterNode, hubs ...*clusterNode) {
	t.Helper()
	var prev uint64
	stable := 0
	testkit.WaitUntil(t, 90*time.Second, e.name+"'s facts all applied at the hub", func() bool {
		st := e.cluster(t)
		pub := st.Facts.Published
		if pub != prev {
			prev, stable = pub, 0
			return false
		}
		at := 0
		for _, hub := range hubs {
			for _, s := range hub.cluster(t).Sites {
				if s.Site == e.site && s.LastSeq == pub && st.UnforwardedFacts == 0 {
					at++
				}
			}
		}
		if at == len(hubs) {
			stable++
		}
		time.Sleep(250 * time.Millisecond)
		return stable >= 4
	})
}

func hubApplied(t testing.TB, hub *clusterNode) float64 {
	t.Helper()
	// One read of /metrics for both sites: the benchmarks sample this
	// every 100 ms, and each read costs the hub CPU.
	ms := hub.metrics(t, `accessd_cluster_facts_applied_total{site="pop-norr"}`, `accessd_cluster_facts_applied_total{site="pop-syd"}`)
	return ms[0] + ms[1]
}

// compareStores opens the stopped nodes' stores: each hub holds every
// binding and port state of each edge, exactly, and no other binding.
func compareStores(t *testing.T, edges []*clusterNode, hubs ...*clusterNode) {
	t.Helper()
	edbs := map[*clusterNode]*store.DB{}
	for _, e := range edges {
		edbs[e] = openStore(t, e)
	}
	for _, hub := range hubs {
		compareStore(t, hub, edges, edbs)
	}
}

// compareStore compares one hub's store with the edges'.
func compareStore(t *testing.T, hub *clusterNode, edges []*clusterNode, edbs map[*clusterNode]*store.DB) {
	t.Helper()
	hdb := openStore(t, hub)
	hubB := bindingsOf(t, hdb)
	links := map[string]store.RemoteLink{}
	if err := hdb.Cluster().EachRemoteLink(func(l *store.RemoteLink) error {
		links[l.Site+" "+l.Switch+" "+l.Port] = *l
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, e := range edges {
		edb := edbs[e]
		eb := bindingsOf(t, edb)
		total += len(eb)
		for mac, want := range eb {
			if diff := cmp.Diff(want, hubB[mac], cmpopts.EquateComparable(netip.Addr{})); diff != "" {
				t.Errorf("binding %s of %s at %s (-edge +hub):\n%s", mac, e.site, hub.name, diff)
			}
		}
		err := edb.Ports().Each(func(p *store.PortRecord) error {
			got := links[e.site+" "+p.Switch+" "+p.Port].State
			want := p.PortState
			want.Group, want.IfIndex, want.MatchedBy = "", 0, "" // the site's own: not facts
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("port %s of %s at %s (-edge +hub):\n%s", p.PortKey, e.site, hub.name, diff)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(hubB) != total || total == 0 || len(links) == 0 {
		t.Errorf("%s holds %d bindings and %d port states, the edges %d bindings", hub.name, len(hubB), len(links), total)
	}
	t.Logf("%s: compared %d bindings and %d port states", hub.name, total, len(links))
	marks, err := hdb.Cluster().Marks()
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range edges {
		if marks[e.site].Seq == 0 {
			t.Errorf("no mark of %s at %s", e.site, hub.name)
		}
	}
}

// clusterMetricsExist: every accessd_cluster_ metric that
// packaging/monitoring/metrics.txt marks exists is on the /metrics of a
// hub or an edge (the demo, standalone, has none of them). Some appear
// only once the status loop has seen what they count (a site's last
// fact, a refused message): it waits for them.
func clusterMetricsExist(t *testing.T, nodes ...*clusterNode) {
	t.Helper()
	list, err := os.ReadFile(filepath.Join("..", "..", "packaging", "monitoring", "metrics.txt"))
	if err != nil {
		t.Fatal(err)
	}
	var want []string // "metrics.txt:<line>: <name>"
	var res []*regexp.Regexp
	for i, line := range strings.Split(string(list), "\n") {
		f := strings.Fields(line)
		if len(f) != 5 || f[2] != "exists" || !strings.HasPrefix(f[0], "accessd_cluster_") {
			continue
		}
		want = append(want, fmt.Sprintf("metrics.txt:%d: %s", i+1, f[0]))
		res = append(res, regexp.MustCompile(`(?m)^`+f[0]+`[{ ]`))
	}
	if len(want) < 5 {
		t.Fatalf("only %d cluster metrics to check: metrics.txt was not read right", len(want))
	}
	last := ""
	testkit.WaitUntil(t, time.Minute, "every cluster metric metrics.txt marks exists on the hub's or the edge's /metrics", func() bool {
		exposed := ""
		for _, n := range nodes {
			exposed += n.get("/metrics").body
		}
		var missing []string
		for i, re := range res {
			if !re.MatchString(exposed) {
				missing = append(missing, want[i])
			}
		}
		if m := strings.Join(missing, "; "); m != last && m != "" {
			t.Logf("not on /metrics yet: %s", m)
			last = m
		}
		return len(missing) == 0
	})
}
