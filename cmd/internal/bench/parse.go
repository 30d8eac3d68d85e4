package main

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"

	"github.com/stadsnat/accessd/internal/benchfig"
)

// benchResults reads `go test -bench` result lines: benchmark name (its
// -N suffix cut off) ⇒ unit ⇒ value. A benchmark listed twice keeps its
// last result.
func benchResults(log []string) map[string]map[string]float64 {
	out := map[string]map[string]float64{}
	for _, l := range log {
		f := strings.Fields(l)
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		if _, err := strconv.Atoi(f[1]); err != nil {
			continue // not a result line (a log line of the benchmark)
		}
		name := f[0]
		if i := strings.LastIndexByte(name, '-'); i > 0 {
			if _, err := strconv.Atoi(name[i+1:]); err == nil {
				name = name[:i]
			}
		}
		m := map[string]float64{}
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				break
			}
			m[f[i+1]] = v
		}
		out[name] = m
	}
	return out
}

// metricFigures turns benchmark results into the run's figures; a metric
// whose benchmark gave no result is a figure without a value.
func metricFigures(ms []metric, res map[string]map[string]float64) []benchfig.Figure {
	var figs []benchfig.Figure
	for _, m := range ms {
		f := m.fig
		scale := m.scale
		if scale == 0 {
			scale = 1
		}
		f.Value = value(res, m.bench, m.unit) * scale
		if m.peerBench != "" {
			f.Peer = strings.TrimPrefix(m.peerBench[strings.LastIndexByte(m.peerBench, '/')+1:], "Benchmark")
			f.PeerValue = value(res, m.peerBench, m.unit) * scale
		}
		figs = append(figs, f)
	}
	return figs
}

// value is the result of bench in unit; NaN when it gave none (a
// benchmark renamed or split into sub-benchmarks), which benchfig judges
// as no value, never as a time of 0 that meets its limit.
func value(res map[string]map[string]float64, bench, unit string) float64 {
	if v, ok := res[bench][unit]; ok {
		return v
	}
	return math.NaN()
}

// The FIGURE lines of TestMemoryFigures (mem_load_test.go, from the
// branch of issue 15's memory work).
var (
	reMemSetup = regexp.MustCompile(`FIGURE memory setup: (\d+) accesses on (\d+) simulated switches`)
	reMemReady = regexp.MustCompile(`FIGURE RSS at READY \+ 5 s: (\d+) MB`)
	reMemPeak  = regexp.MustCompile(`FIGURE RSS over the next (\S+): peak (\d+) MB`)
)

// memoryFigures reads TestMemoryFigures' figures: the RSS at READY + 5 s
// and its peak while the daemon polls every switch, with the goal of
// issue 15 (≤ 120 MB at 100,000 accesses and about 2,000 switches).
func memoryFigures(log []string, short bool) []benchfig.Figure {
	setup := "?"
	var figs []benchfig.Figure
	for _, l := range log {
		if m := reMemSetup.FindStringSubmatch(l); m != nil {
			setup = fmt.Sprintf("%s accesses, %s switches", benchfig.Number(float64(atoiOr(m[1], 0))), benchfig.Number(float64(atoiOr(m[2], 0))))
		}
		if m := reMemReady.FindStringSubmatch(l); m != nil {
			figs = append(figs, benchfig.Figure{Name: "RSS at READY + 5 s, " + setup, Unit: "MB", Value: float64(atoiOr(m[1], 0)), Goal: 120, Source: "#15", Scaled: short})
		}
		if m := reMemPeak.FindStringSubmatch(l); m != nil {
			figs = append(figs, benchfig.Figure{Name: "RSS, peak over " + m[1] + " of polling, " + setup, Unit: "MB", Value: float64(atoiOr(m[2], 0)), Goal: 120, Source: "#15", Scaled: short})
		}
	}
	return figs
}
