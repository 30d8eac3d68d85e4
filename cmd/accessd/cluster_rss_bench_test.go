package main_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stadsnat/accessd/cmd/accessd/internal/cluster"
	"github.com/stadsnat/accessd/cmd/accessd/internal/cluster/wire"
	"github.com/stadsnat/accessd/internal/testkit"
	"github.com/stadsnat/accessd/store"
)

// The hub's memory with the whole network in it: the real hub daemon
// (embedded NATS) lists 50 sites; 50 edges (the cluster package's edge
// node, each with its own embedded NATS server and JetStream domain, in
// this process) publish a binding and a link state for each of their
// 2,000 accesses; once the hub applied all 200,000 facts the edges stop
// and the hub imports the 100,000 accesses. Its resident set size is
// read from /proc (VmRSS; VmHWM is the peak), then again after a restart
// with the same store and streams.
//
// The edges stop before the import because each edge mirrors the whole
// inventory stream: 50 edges mirroring 100,000 accesses at once is a
// transient of its own (the hub's server sends 5 million messages), not
// the hub's memory with the network in it.
//
//	go test ./cmd/accessd -run '^$' -bench ClusterHubRSS -benchtime 1x -timeout 30m
const (
	rssSites     = 50
	rssPerSite   = 2000
	rssPortsEach = 48 // ports per switch; a site has rssPerSite/rssPortsEach+1 switches
)

func BenchmarkClusterHubRSS(b *testing.B) {
	testkit.SkipShort(b, "cluster benchmark through real daemons")
	for range b.N {
		root := b.TempDir()
		sites := make([]string, rssSites)
		for i := range sites {
			sites[i] = fmt.Sprintf("pop-%02d", i)
		}
		leaf := testkit.FreeTCPAddr(b)
		hub := &clusterNode{name: "hub", site: "hub"}
		hub.e2e = startNode(b, filepath.Join(root, "hub"), fmt.Sprintf(`site: hub
cluster:
  role: hub
  sites: [%s]
  nats: {leafnode_listen: %q}
  status_interval: 1s
`, strings.Join(sites, ", "), leaf))
		b.ReportMetric(procMB(b, hub, "VmRSS"), "rss_empty_MB")
		ctx, stopEdges := context.WithCancel(context.Background())
		var running sync.WaitGroup
		edges := make([]*cluster.Node, len(sites))
		for i, s := range sites {
			edges[i] = runBenchEdge(b, ctx, &running, filepath.Join(root, s), s, leaf)
		}
		start := time.Now()
		var wg sync.WaitGroup
		for i, e := range edges {
			wg.Go(func() { publishSiteFacts(b, e, sites[i], i) })
		}
		wg.Wait()
		want := float64(2 * rssSites * rssPerSite)
		testkit.WaitUntil(b, 10*time.Minute, "the hub to apply every site's facts", func() bool {
			time.Sleep(500 * time.Millisecond)
			return hubAppliedAll(b, hub) >= want
		})
		b.ReportMetric(time.Since(start).Seconds(), "facts_s")
		b.ReportMetric(procMB(b, hub, "VmRSS"), "rss_facts_MB")
		stopEdges()
		running.Wait()
		start = time.Now()
		if code, out, errOut := hub.ctl("import", rssInventory(b, root, sites)); code != 0 {
			b.Fatalf("import at the hub: %d\n%s\n%s", code, out, errOut)
		}
		b.ReportMetric(time.Since(start).Seconds(), "import_s")
		// The hub publishes the import to its INVENTORY stream as one
		// batch; measured once it has (the batch is held in memory while
		// it is published).
		testkit.WaitUntil(b, 5*time.Minute, "the hub to publish the imported inventory", func() bool {
			time.Sleep(500 * time.Millisecond)
			return hub.cluster(b).Inventory.PublishedBatches > 0
		})
		b.ReportMetric(time.Since(start).Seconds(), "import_published_s")
		b.ReportMetric(procMB(b, hub, "VmRSS"), "rss_MB")
		b.ReportMetric(procMB(b, hub, "VmHWM"), "rss_peak_MB")
		// Of it: the heap and stacks, and the store's and JetStream's
		// file pages the process touched (mapped, given back under
		// memory pressure).
		b.ReportMetric(procMB(b, hub, "RssAnon"), "rss_anon_MB")
		b.ReportMetric(procMB(b, hub, "RssFile"), "rss_file_MB")
		b.ReportMetric(hub.metric(b, "accessd_go_memstats_heap_inuse_bytes")/(1<<20), "heap_inuse_MB")
		// What a restarted hub holds with the same store and streams.
		if err := hub.proc.Stop(); err != nil {
			b.Fatal(err)
		}
		hub.run()
		testkit.WaitUntil(b, time.Minute, "the restarted hub's status", func() bool {
			time.Sleep(time.Second)
			return len(hub.cluster(b).Sites) == rssSites
		})
		b.ReportMetric(procMB(b, hub, "VmRSS"), "rss_restarted_MB")
		b.ReportMetric(procMB(b, hub, "RssAnon"), "rss_restarted_anon_MB")
		b.ReportMetric(hub.metric(b, "accessd_go_memstats_heap_inuse_bytes")/(1<<20), "heap_inuse_restarted_MB")
		if fi, err := os.Stat(filepath.Join(hub.dir, "state", store.FileName)); err == nil {
			b.ReportMetric(float64(fi.Size())/(1<<20), "store_MB")
		}
	}
}

// rssInventory writes the 100,000 accesses: site i's switches are
// 10.i.w.1 with rssPortsEach ports each.
func rssInventory(b *testing.B, dir string, sites []string) string {
	b.Helper()
	var sb strings.Builder
	sb.WriteString("accessId,streetName,streetNumber,postalCode,city,countryCode,premisesType,mduApartmentNumber,option82,activationDate,salesStartDate,portSpeed\n")
	for i := range sites {
		for a := range rssPerSite {
			fmt.Fprintf(&sb, "%s,Storgatan,%d,903 25,Umeå,SE,MDU_APARTMENT,%d,%s %s,YES,YES,1000\n",
				rssAccess(i, a), a/10+1, 1000+a%10, rssSwitch(i, a), rssPort(a))
		}
	}
	path := filepath.Join(dir, "inventory-100k.csv")
	if err := os.WriteFile(path, []byte(sb.String()), 0o600); err != nil {
		b.Fatal(err)
	}
	return path
}

func rssAccess(site, a int) string   { return fmt.Sprintf("A%02d%05d", site, a) }
func rssSwitch(site, a int) string   { return fmt.Sprintf("10.%d.%d.1", site, a/rssPortsEach) }
func rssPort(a int) string           { return fmt.Sprintf("p%d", a%rssPortsEach+1) }
func rssMAC(site, a int) string      { return fmt.Sprintf("02:00:00:%02x:%02x:%02x", site, a>>8, a&0xff) }
func rssIP(site, a int) string       { return fmt.Sprintf("100.%d.%d.%d", 64+site, a>>8, a&0xff) }
func rssOption82(site, a int) string { return fmt.Sprintf("0104%08X0204%08X", site, a) }

// runBenchEdge runs an edge node of site in this process until ctx ends
// (running counts it). Its inventory applier only keeps the mark: the
// hub's memory is measured, not the edge's store.
func runBenchEdge(b *testing.B, ctx context.Context, running *sync.WaitGroup, dir, site, hubLeaf string) *cluster.Node {
	b.Helper()
	opts := cluster.Options{Site: site, Role: cluster.Edge, NATS: cluster.NATSOptions{Hub: []string{"nats-leaf://" + hubLeaf}}}
	opts.SetDefaults(dir)
	n, err := cluster.New(opts, cluster.Deps{Log: slog.New(slog.DiscardHandler), Inventory: &markOnly{}})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(ctx)
	ready := make(chan struct{})
	done := make(chan error, 1)
	running.Go(func() { done <- n.Run(ctx, func() { close(ready) }) })
	b.Cleanup(cancel)
	select {
	case <-ready:
	case err := <-done:
		b.Fatalf("edge %s: %v", site, err)
	case <-time.After(time.Minute):
		b.Fatalf("edge %s not ready after a minute", site)
	}
	return n
}

// publishSiteFacts publishes a bound binding and an UP link state for
// each of site i's accesses, as the edge's fact sink does: calls of 1,000
// facts with increasing seq.
func publishSiteFacts(b *testing.B, n *cluster.Node, site string, i int) {
	t0 := time.Now().UTC().Truncate(time.Second)
	facts := make([]*wire.Message, 0, 2*rssPerSite)
	for a := range rssPerSite {
		facts = append(facts,
			&wire.Message{Seq: uint64(2*a + 1), At: t0, Payload: &wire.Binding{MAC: rssMAC(i, a), IP: rssIP(i, a), State: "bound",
				Source: "relay", Access: rssAccess(i, a), Circuit: rssSwitch(i, a) + " " + rssPort(a), Option82: rssOption82(i, a),
				GIAddr: rssSwitch(i, a), FirstSeen: t0, LastSeen: t0, Since: t0, Expires: t0.Add(time.Hour), LeaseSeconds: 3600,
				Confirmed: true}},
			&wire.Message{Seq: uint64(2*a + 2), At: t0, Payload: &wire.Link{Switch: rssSwitch(i, a) + ":161", Port: rssPort(a),
				Access: rssAccess(i, a), Link: "UP", Admin: "up", Oper: "up", SpeedMbps: 1000, Since: t0, PolledAt: t0,
				Reachable: true, Source: "poll"}})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	for len(facts) > 0 {
		k, err := n.PublishFacts(ctx, facts[:min(1000, len(facts))])
		facts = facts[k:]
		if err != nil {
			if ctx.Err() != nil {
				b.Errorf("edge %s: %v", site, err)
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}

// markOnly is an edge's inventory applier that keeps only the mark.
type markOnly struct {
	mu   sync.Mutex
	mark uint64
}

func (m *markOnly) ApplyInventory(_ context.Context, _ []*wire.AccessChange, mark uint64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.mark = mark
	return nil
}

func (m *markOnly) InventoryMark(context.Context) (uint64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.mark, nil
}

// hubAppliedAll is the sum of the hub's applied facts over every site.
func hubAppliedAll(b *testing.B, hub *clusterNode) float64 {
	b.Helper()
	var sum float64
	for _, line := range strings.Split(hub.get("/metrics", "basic", "sp:pw").body, "\n") {
		if strings.HasPrefix(line, "accessd_cluster_facts_applied_total{") {
			var v float64
			fmt.Sscan(line[strings.LastIndexByte(line, ' ')+1:], &v)
			sum += v
		}
	}
	return sum
}

// procMB is a memory figure of n's daemon from /proc/<pid>/status in MiB.
func procMB(b *testing.B, n *clusterNode, field string) float64 {
	b.Helper()
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", n.proc.Pid()))
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			var kb float64
			fmt.Sscan(strings.TrimSpace(rest), &kb)
			return kb / 1024
		}
	}
	b.Fatalf("no %s in /proc/%d/status", field, n.proc.Pid())
	return 0
}
