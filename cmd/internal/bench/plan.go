package main

import (
	"fmt"
	"strconv"

	"github.com/stadsnat/accessd/internal/benchfig"
)

// part is one test binary's part of the figures: a load test (run with
// -test.run; it writes its figures as benchfig lines) or benchmarks (run
// with -test.bench; metrics turns their results into figures).
type part struct {
	name string // what it measures, for progress and notes
	pkg  string // the package, relative to the module root
	test string // the load test's name (-test.run ^test$); "" for benchmarks
	// bench selects benchmarks (-test.bench) and benchtime how many
	// iterations; metrics names the figures of their results.
	bench     string
	benchtime func(short bool) string
	metrics   []metric
	env       func(short bool) []string // beside ACCESSD_LOAD=1 and the binaries
	needs     []string                  // commands that must be in PATH
	root      string                    // why it needs root ("": it does not)
	fullOnly  string                    // why the short run leaves it out ("": it does not)
	optional  bool                      // the test may not be on this tree yet
	// figures reads figures from the FIGURE lines of a test that writes no
	// benchfig lines (one of another branch).
	figures func(log []string, short bool) []benchfig.Figure
	about   string // how long it takes, for the progress line
}

// metric is a figure from a benchmark's result: the metric unit of the
// benchmark named bench (exact, with the -N of GOMAXPROCS cut off).
type metric struct {
	bench, unit string
	fig         benchfig.Figure // Name, Unit, Goal, Higher, Source; Value is the metric's
	scale       float64         // Value = metric × scale (0: 1)
	peerBench   string          // the peer's benchmark (same unit), when there is one
}

// plan lists the runs of `make bench`, in order: the table first
// (HTTP look-ups, DHCP, memory), then the earlier issues' figures.
func plan() []part {
	shortOr := func(short bool, s, full string) string {
		if short {
			return s
		}
		return full
	}
	return []part{
		{name: "HTTP: import, PI V1 export beside nginx, look-ups beside a bare net/http handler and nginx (wrk)",
			pkg: "cmd/accessd", test: "TestLoadFigures", needs: []string{"wrk", "nginx"}, about: "3.5 min short, 11 min full"},
		{name: "DHCP: 100,000 packets/s at the daemon, flat out beside a do-nothing UDP listener",
			pkg: "cmd/accessd", test: "TestDHCPLoadFigures", about: "30 s short, 1 min full",
			env: func(short bool) []string {
				return []string{"ACCESSD_LOAD_DURATION=" + shortOr(short, "2s", "10s")}
			}},
		{name: "DHCP: distinct clients only, 50,000 new bindings a second",
			pkg: "cmd/accessd", test: "TestDHCPLoadFigures", about: "5 s short, 15 s full",
			env: func(short bool) []string {
				// Half the packets are REQUESTs that make a binding, every
				// client is new: 200,000 in 2 s, or 1,000,000 in 10 s.
				return []string{"ACCESSD_LOAD_DURATION=" + shortOr(short, "2s", "10s"), "ACCESSD_LOAD_FLATOUT=0",
					"ACCESSD_LOAD_CLIENTS=" + shortOr(short, "200000", "1000000")}
			}},
		{name: "memory: RSS with 100,000 accesses and their 2,084 switches polled",
			pkg: "cmd/accessd", test: "TestMemoryFigures", optional: true, figures: memoryFigures, about: "25 s short, 2.5 min full",
			env: func(short bool) []string {
				return []string{"ACCESSD_MEM_ACCESSES=" + shortOr(short, "10000", "100000"), "ACCESSD_MEM_WATCH=" + shortOr(short, "15s", "2m10s")}
			}},
		{name: "memory: the demo's RSS when idle", pkg: "cmd/accessd", test: "TestDemoIdleFigure", about: "15 s"},
		{name: "SNMP: a poll cycle beside net-snmp's snmpbulkwalk over snmpsim agents",
			pkg: "snmp/integration", test: "TestScale", needs: []string{"snmpbulkwalk", "snmpsimd"},
			root: "snmpsimd drops root for nobody", about: "5 s short, 15 s full",
			env: func(short bool) []string {
				return []string{"ACCESSD_SCALE=1", "ACCESSD_SCALE_AGENTS=" + shortOr(short, "10", "50")}
			}},
		{name: "DHCP: decoding a relayed packet", pkg: "dhcp/dhcp4", bench: "^BenchmarkDecode$", about: "10 s",
			benchtime: func(short bool) string { return shortOr(short, "200000x", "2000000x") },
			metrics: []metric{
				{bench: "BenchmarkDecode/fresh", unit: "ns/op", peerBench: "BenchmarkDecode/insomniacslk",
					fig: benchfig.Figure{Name: "decode a relayed DHCP packet", Unit: "ns", Source: "#3 (no goal beside it)"}},
				{bench: "BenchmarkDecode/fresh", unit: "ns/op", fig: benchfig.Figure{Name: "decode a relayed DHCP packet", Unit: "ns", Goal: 1000, Source: "#3"}},
				{bench: "BenchmarkDecode/fresh", unit: "allocs/op", fig: benchfig.Figure{Name: "decode a relayed DHCP packet: allocations", Unit: "allocs", Goal: 5, Source: "#3"}},
			}},
		{name: "orders: durable orders a second", pkg: "api/activation", bench: "^BenchmarkPlaceDurable$", about: "10 s",
			benchtime: func(short bool) string { return shortOr(short, "1000x", "5000x") },
			metrics: []metric{{bench: "BenchmarkPlaceDurable", unit: "orders/s",
				fig: benchfig.Figure{Name: "durable orders (fsync, group commit)", Unit: "orders/s", Higher: true, Goal: 500, Source: "#5"}}}},
		{name: "upstream: outbox append and durable delivery", pkg: "cmd/accessd/internal/upstream", bench: "^BenchmarkStoreOutboxAppendAndDeliver$", about: "10 s",
			benchtime: func(short bool) string { return shortOr(short, "5000x", "50000x") },
			metrics: []metric{{bench: "BenchmarkStoreOutboxAppendAndDeliver", unit: "entries/s",
				fig: benchfig.Figure{Name: "outbox append and durable delivery", Unit: "entries/s", Higher: true, Goal: 5000, Source: "#10"}}}},
		{name: "cluster: facts from an edge to the hub", pkg: "cmd/accessd/internal/cluster", bench: "^BenchmarkFactsEdgeToHub$", about: "20 s",
			benchtime: func(short bool) string { return shortOr(short, "20000x", "200000x") },
			metrics: []metric{
				{bench: "BenchmarkFactsEdgeToHub/plain", unit: "facts/s", fig: benchfig.Figure{Name: "facts edge → hub, plain", Unit: "facts/s", Higher: true, Goal: 20000, Source: "#13"}},
				{bench: "BenchmarkFactsEdgeToHub/tls", unit: "facts/s", fig: benchfig.Figure{Name: "facts edge → hub, mutual TLS", Unit: "facts/s", Higher: true, Goal: 20000, Source: "#13"}},
			}},
		{name: "cluster: catching up 100,000 facts after a cut", pkg: "cmd/accessd/internal/cluster", bench: "^BenchmarkCatchUp100k$",
			fullOnly: "100,000 facts", about: "1 min", benchtime: func(bool) string { return "1x" },
			metrics: []metric{
				{bench: "BenchmarkCatchUp100k/cut", unit: "s/catch-up",
					fig: benchfig.Figure{Name: "catch-up of 100,000 facts buffered during a cut of the link", Unit: "s", Goal: 30, Source: "#13"}},
				{bench: "BenchmarkCatchUp100k/hub-restart", unit: "s/catch-up",
					fig: benchfig.Figure{Name: "catch-up of 100,000 facts buffered while the hub was stopped", Unit: "s", Goal: 30, Source: "#13"}},
			}},
		{name: "NOC pages with 100,000 accesses on the real store", pkg: "cmd/accessd/internal/nocsys", bench: "^BenchmarkReal(AccessPageBusy|SearchIP|Switches)100k$",
			fullOnly: "it builds a network of 100,000 accesses first (90 s)", about: "3 min", benchtime: func(bool) string { return "500x" },
			metrics: nocMetrics()},
	}
}

// nocMetrics are the NOC pages' figures: the largest page and the mean
// time to the first byte of three kinds of page.
func nocMetrics() []metric {
	var ms []metric
	for _, p := range []struct{ bench, name string }{
		{"BenchmarkRealAccessPageBusy100k", "NOC access page, the heaviest"},
		{"BenchmarkRealSearchIP100k", "NOC search by IP"},
		{"BenchmarkRealSwitches100k", "NOC switches page"},
	} {
		ms = append(ms,
			metric{bench: p.bench, unit: "B/largest-page", scale: 1.0 / 1024, fig: benchfig.Figure{Name: p.name + ": largest page", Unit: "KiB", Goal: 50, Source: "#14"}},
			metric{bench: p.bench, unit: "µs-first-byte", scale: 1.0 / 1000, fig: benchfig.Figure{Name: p.name + ": first byte, mean", Unit: "ms", Goal: 20, Source: "#14"}})
	}
	return ms
}

// binarySize is the figure of the release build's size.
func binarySize(bytes int64) benchfig.Figure {
	return benchfig.Figure{Name: "accessd binary (static, -trimpath -s -w, NATS embedded)", Unit: "MB",
		Value: float64(bytes) / 1e6, Goal: 40, Source: "#13"}
}

// describe says in a note what a run leaves out and why.
func describe(r part, why string) string {
	return fmt.Sprintf("%s: %s", r.name, why)
}

// atoiOr is strconv.Atoi with a default.
func atoiOr(s string, def int) int {
	if n, err := strconv.Atoi(s); err == nil {
		return n
	}
	return def
}
