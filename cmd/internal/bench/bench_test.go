package main

import (
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/stadsnat/accessd/internal/benchfig"
)

func TestBenchResults(t *testing.T) {
	log := strings.Split(`goos: linux
BenchmarkDecode/fresh-2         	 3080580	       382.2 ns/op	 821.54 MB/s	     176 B/op	       4 allocs/op
BenchmarkDecode/insomniacslk-2  	 1000000	      3243 ns/op	  96.83 MB/s	     896 B/op	      20 allocs/op
BenchmarkPlaceDurable-2   	    5000	     45320 ns/op	     22048 orders/s
    bench_test.go:12: BenchmarkX is a log line, not a result
BenchmarkRealSwitches100k 	     500	   1234 ns/op	   40960 B/largest-page	   1500 µs-first-byte
PASS`, "\n")
	got := benchResults(log)
	want := map[string]map[string]float64{
		"BenchmarkDecode/fresh":        {"ns/op": 382.2, "MB/s": 821.54, "B/op": 176, "allocs/op": 4},
		"BenchmarkDecode/insomniacslk": {"ns/op": 3243, "MB/s": 96.83, "B/op": 896, "allocs/op": 20},
		"BenchmarkPlaceDurable":        {"ns/op": 45320, "orders/s": 22048},
		"BenchmarkRealSwitches100k":    {"ns/op": 1234, "B/largest-page": 40960, "µs-first-byte": 1500},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("results (-want +got):\n%s", diff)
	}
	figs := metricFigures([]metric{
		{bench: "BenchmarkDecode/fresh", unit: "ns/op", peerBench: "BenchmarkDecode/insomniacslk", fig: benchfig.Figure{Name: "decode", Unit: "ns"}},
		{bench: "BenchmarkRealSwitches100k", unit: "µs-first-byte", scale: 1.0 / 1000, fig: benchfig.Figure{Name: "first byte", Unit: "ms", Goal: 20}},
		{bench: "BenchmarkGone", unit: "ns/op", fig: benchfig.Figure{Name: "gone", Unit: "ns", Goal: 1}},
	}, got)
	wantFigs := []benchfig.Figure{
		{Name: "decode", Unit: "ns", Value: 382.2, Peer: "insomniacslk", PeerValue: 3243},
		{Name: "first byte", Unit: "ms", Value: 1.5, Goal: 20},
		{Name: "gone", Unit: "ns", Value: math.NaN(), Goal: 1},
	}
	if diff := cmp.Diff(wantFigs, figs, cmpopts.EquateNaNs()); diff != "" {
		t.Errorf("figures (-want +got):\n%s", diff)
	}
	if v := figs[2].Judge(); v != benchfig.Failed {
		t.Errorf("a benchmark that gave no result is judged %v, want %v", v, benchfig.Failed)
	}
}

// The lines of TestMemoryFigures as its branch writes them.
func TestMemoryFigures(t *testing.T) {
	log := []string{
		"    mem_load_test.go:55: FIGURE memory setup: 100000 accesses on 2084 simulated switches × 48 ports (SNMPv2c over UDP on loopback); load average 1.00 1.20 1.30",
		"    mem_load_test.go:118: FIGURE RSS at READY + 5 s: 96 MB (RssAnon 60 MB, RssFile 36 MB, RssShmem 0 MB)",
		"    mem_load_test.go:133: FIGURE RSS over the next 2m10s: peak 104 MB (RssAnon 64 MB, RssFile 40 MB, RssShmem 0 MB); last 99 MB (…) (VmHWM 110 MB); load average 1.1",
	}
	want := []benchfig.Figure{
		{Name: "RSS at READY + 5 s, 100,000 accesses, 2,084 switches", Unit: "MB", Value: 96, Goal: 120, Source: "#15"},
		{Name: "RSS, peak over 2m10s of polling, 100,000 accesses, 2,084 switches", Unit: "MB", Value: 104, Goal: 120, Source: "#15"},
	}
	if diff := cmp.Diff(want, memoryFigures(log, false)); diff != "" {
		t.Errorf("figures (-want +got):\n%s", diff)
	}
}

// Every part of the plan names a package of the module and a test or
// benchmark in it (TestMemoryFigures may be missing: it is optional).
func TestPlanNamesWhatExists(t *testing.T) {
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range plan() {
		files, _ := filepath.Glob(filepath.Join(root, p.pkg, "*_test.go"))
		if len(files) == 0 {
			t.Errorf("%s: no test files in %s", p.name, p.pkg)
			continue
		}
		var src strings.Builder
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			src.Write(b)
		}
		switch {
		case p.test != "":
			if !strings.Contains(src.String(), "func "+p.test+"(t *testing.T)") && !p.optional {
				t.Errorf("%s: no %s in %s", p.name, p.test, p.pkg)
			}
		case p.bench != "":
			re := regexp.MustCompile(p.bench)
			found := false
			for _, m := range regexp.MustCompile(`func (Benchmark\w+)\(b \*testing\.B\)`).FindAllStringSubmatch(src.String(), -1) {
				found = found || re.MatchString(m[1])
			}
			if !found || p.benchtime == nil || len(p.metrics) == 0 {
				t.Errorf("%s: benchmarks %q not in %s, or no benchtime or metrics", p.name, p.bench, p.pkg)
			}
		default:
			t.Errorf("%s: neither a test nor benchmarks", p.name)
		}
	}
}

func TestSkipped(t *testing.T) {
	log := []string{"=== RUN   TestScale", "    scale_test.go:65: needs root", "--- SKIP: TestScale (0.00s)", "PASS"}
	if got := skipped(log); got != "scale_test.go:65: needs root" {
		t.Errorf("skipped = %q", got)
	}
	if got := skipped([]string{"--- PASS: TestX"}); got != "" {
		t.Errorf("skipped of a pass = %q", got)
	}
}

func TestFarOff(t *testing.T) {
	figs := []benchfig.Figure{
		{Name: "fine", Value: 95, Peer: "p", PeerValue: 100, Higher: true, Goal: 0.9},
		{Name: "slow", Value: 40, Peer: "p", PeerValue: 100, Higher: true, Goal: 0.9},
		{Name: "absolute, missed", Value: 50, Goal: 5},
		{Name: "empty", Peer: "p", PeerValue: 1, Goal: 0.5},
	}
	if got := farOff(figs); got != "slow; empty" {
		t.Errorf("farOff = %q", got)
	}
}
