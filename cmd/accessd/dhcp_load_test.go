package main_test

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stadsnat/accessd/cmd/internal/admin"
	"github.com/stadsnat/accessd/internal/benchfig"
	"github.com/stadsnat/accessd/internal/testkit"
)

// TestDHCPLoadFigures takes the DHCP figures of issue 3 against the
// running daemon over loopback with cmd/dhcpload, beside `dhcpload -sink`
// (a do-nothing UDP listener) in the same run:
//
//  1. 100,000 packets/s for 10 s at the daemon: packets sent, received,
//     processed, dropped (queue), lost (never read: socket buffer), and
//     the p99 from packet to committed binding (the daemon's histogram);
//  2. flat out at the sink, then at the daemon, in interleaved rounds
//     (flatOutFigures: 5 of 2 s, 3 of 1.5 s in the bench's short form):
//     each round's rates in the log, the best of each side's and their
//     ratio as the figure.
//
// It prints FIGURE lines; it fails only when the daemon misbehaves, not on
// a slow machine. It runs only with ACCESSD_LOAD=1:
//
//	ACCESSD_LOAD=1 go test ./cmd/accessd -run TestDHCPLoadFigures -v -timeout 10m
//
// ACCESSD_LOAD_DURATION (default 10s: the first part's), ACCESSD_LOAD_RATE (default 100000)
// and ACCESSD_LOAD_CLIENTS (default 50000: a large city network's CPEs, each
// seen about ten times, as in a storm after a power cut; 1000000 makes
// nearly every REQUEST a new binding) change the run; ACCESSD_LOAD_FLATOUT=0
// leaves out the flat-out part. The figures go out as BENCHFIG lines too
// (package benchfig), for the bench command.
func TestDHCPLoadFigures(t *testing.T) {
	testkit.SkipShort(t, "DHCP load figures")
	if os.Getenv("ACCESSD_LOAD") != "1" {
		t.Skip("set ACCESSD_LOAD=1 to take the DHCP load figures")
	}
	dur := 10 * time.Second
	if s := os.Getenv("ACCESSD_LOAD_DURATION"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil {
			t.Fatal(err)
		}
		dur = d
	}
	rate := "100000"
	if s := os.Getenv("ACCESSD_LOAD_RATE"); s != "" {
		rate = s
	}
	clients := 50000
	if s := os.Getenv("ACCESSD_LOAD_CLIENTS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			t.Fatal(err)
		}
		clients = n
	}
	dir := t.TempDir()
	bins := testkit.Binaries(t)
	accessd, accessctl, dhcpload := bins.Accessd, bins.Accessctl, bins.Dhcpload
	port := testkit.FreeUDPPort(t)
	httpAddr := testkit.FreeTCPAddr(t)
	d := newDHCPD(t, filepath.Join(dir, "d"), accessd, accessctl, httpAddr,
		fmt.Sprintf("  relay: {listen: \"127.0.0.1:%d\", allowed_sources: [127.0.0.1/32]}\n", port))
	d.start()
	inv := filepath.Join(dir, "inventory.csv")
	const switches, ports = 10, 48
	loadInventory(t, inv, switches, ports)
	if out, err := d.ctlRun("import", inv); err != nil {
		t.Fatalf("%v %s", err, out)
	}
	hc := &http.Client{Timeout: 10 * time.Second}
	metrics := func() map[string]float64 {
		return metricsOf(t, func(p string) (string, error) { return httpGet(hc, "http://"+httpAddr+p, "", "") })
	}
	// ACCESSD_LOAD_RANDOM_MACS=1: the clients' MACs in no key order, as
	// real ones are (dhcpload's are numbered in order by default).
	randomMACs := os.Getenv("ACCESSD_LOAD_RANDOM_MACS") == "1"
	genArgs := func(target, rate string, dur time.Duration) []string {
		args := []string{"-target", target, "-rate", rate, "-duration", dur.String(), "-clients", strconv.Itoa(clients),
			"-switches", strconv.Itoa(switches), "-ports", strconv.Itoa(ports)}
		if randomMACs {
			args = append(args, "-random-macs")
		}
		return args
	}

	// 1. The target rate at the daemon.
	m0 := metrics()
	sent := runGen(t, append([]string{dhcpload}, genArgs("127.0.0.1:"+strconv.Itoa(port), rate, dur)...))
	m1 := settle(t, d, metrics)
	recv := delta(m0, m1, `accessd_dhcp_received_packets_total`)
	processed := delta(m0, m1, `accessd_dhcp_packets_total`) + delta(m0, m1, `accessd_dhcp_decode_errors_total`)
	dropped := delta(m0, m1, `accessd_dhcp_dropped_packets_total`)
	p50, p99, n := histQuantiles(m0, m1, "accessd_dhcp_packet_to_commit_seconds")
	commits := delta(m0, m1, "accessd_dhcp_commits_total")
	cd50, cd99, _ := histQuantiles(m0, m1, "accessd_dhcp_commit_duration_seconds")
	loss := 1 - processed/float64(sent.packets)
	t.Logf("FIGURE DHCP ingest at %s pkt/s for %v over loopback, %d clients on %d circuits: sent %d (%.0f pkt/s), daemon received %.0f, processed %.0f, dropped in the queue %.0f: loss %.3f %%",
		rate, dur, clients, switches*ports, sent.packets, sent.rate, recv, processed, dropped, 100*loss)
	t.Logf("FIGURE packet to committed binding: p50 ≤ %s, p99 ≤ %s (%.0f packets made real changes; %.0f group commits, commit p50 ≤ %s, p99 ≤ %s)",
		p50, p99, n, commits, cd50, cd99)
	// The daemon's CPU is the figure a busy shared machine moves least.
	cpu := delta(m0, m1, "accessd_process_cpu_seconds_total")
	t.Logf("FIGURE daemon CPU %.2f s: %.2f µs a packet processed, %.2f µs a real change", cpu, 1e6*cpu/max(processed, 1), 1e6*cpu/max(n, 1))
	var st admin.Status
	if err := d.client.Do(context.Background(), http.MethodGet, "/v1/status", nil, "", &st); err == nil {
		for _, s := range st.Sections {
			if s.Title == "dhcp" {
				t.Logf("daemon status after the run: %v", s.Rows)
			}
		}
	}
	if processed == 0 || n == 0 {
		t.Errorf("the daemon processed nothing or committed nothing")
	}
	at := fmt.Sprintf("%s pkt/s for %v, %s clients", benchfig.Number(sent.rate), dur, benchfig.Number(float64(clients)))
	// Issue 3's run (50,000 clients): loss ≤ 0.1 %; issue 15's, nearly
	// every client new (a million in 10 s): no loss.
	src, least := "#3", 99.9
	if clients >= 200_000 {
		src, least = "#15: distinct clients, no loss", 100
	}
	benchfig.Report(t, benchfig.Figure{Name: "DHCP ingest at " + at + ": packets processed", Unit: "%", Value: 100 * (1 - loss), Higher: true,
		Goal: least, Source: src})
	benchfig.Report(t, benchfig.Figure{Name: "DHCP packet → committed binding p99 (histogram bucket), " + at, Unit: "ms",
		Value: bucketMS(p99), Goal: 100, Source: src})
	if os.Getenv("ACCESSD_LOAD_FLATOUT") == "0" {
		return
	}

	// 2. Flat out, in rounds: the do-nothing sink, then the daemon.
	flatOutFigures(t, flatOut{d: d, dhcpload: dhcpload, port: port, metrics: metrics,
		args: func(target string, dur time.Duration) []string { return genArgs(target, "0", dur) }})
}

// bucketMS is a histogram bucket bound histQuantiles gives, in ms (+Inf,
// beyond the last bucket: 1,000,000; ?: 0, no value).
func bucketMS(s string) float64 {
	if s == "+Inf" {
		return 1e6
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0
	}
	return millis(d)
}

type genResult struct {
	packets int64
	rate    float64
	elapsed time.Duration
}

var reGen = regexp.MustCompile(`sent (\d+) packets .* in ([0-9.]+)s: (\d+) pkt/s`)

func runGen(t *testing.T, cmd []string) genResult {
	t.Helper()
	args := cmd[1:]
	out, err := exec.Command(cmd[0], args...).CombinedOutput()
	if err != nil {
		t.Fatalf("dhcpload %v: %v\n%s", args, err, out)
	}
	m := reGen.FindSubmatch(out)
	if m == nil {
		t.Fatalf("dhcpload output: %s", out)
	}
	n, _ := strconv.ParseInt(string(m[1]), 10, 64)
	secs, _ := strconv.ParseFloat(string(m[2]), 64)
	r, _ := strconv.ParseFloat(string(m[3]), 64)
	return genResult{packets: n, rate: r, elapsed: time.Duration(secs * float64(time.Second))}
}

var reSink = regexp.MustCompile(`received (\d+) packets .*: (\d+) pkt/s`)

func parseSink(t *testing.T, out string) (int64, float64) {
	t.Helper()
	m := reSink.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("sink output: %s", out)
	}
	n, _ := strconv.ParseInt(m[1], 10, 64)
	r, _ := strconv.ParseFloat(m[2], 64)
	return n, r
}

// settle waits until the daemon's queue is empty and its pending real
// changes are committed, and returns the metrics then.
func settle(t *testing.T, d *dhcpd, metrics func() map[string]float64) map[string]float64 {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	prev, still := -1.0, 0
	for {
		m := metrics()
		depth := m["accessd_dhcp_queue_depth"]
		commits := m["accessd_dhcp_commits_total"]
		// No new commit for a second: a commit of a backlog can take
		// longer than one poll, and its packets belong in the figures.
		if depth == 0 && commits == prev {
			if still++; still >= 5 {
				return m
			}
		} else {
			still = 0
		}
		prev = commits
		if time.Now().After(deadline) {
			t.Fatalf("the daemon did not settle: queue %v", depth)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// delta sums every series whose name{labels} starts with prefix.
func delta(a, b map[string]float64, prefix string) float64 {
	return sumMetrics(b, prefix+"{") + b[prefix] - sumMetrics(a, prefix+"{") - a[prefix]
}

// histQuantiles estimates the p50 and p99 of a histogram's observations
// between two scrapes as the upper bound of the bucket they fall in.
func histQuantiles(a, b map[string]float64, name string) (p50, p99 string, count float64) {
	type bucket struct {
		le float64
		n  float64
	}
	var bs []bucket
	for k, v := range b {
		rest, ok := strings.CutPrefix(k, name+`_bucket{le="`)
		if !ok {
			continue
		}
		le, err := strconv.ParseFloat(strings.TrimSuffix(rest, `"}`), 64)
		if err != nil {
			continue
		}
		bs = append(bs, bucket{le, v - a[k]})
	}
	sort.Slice(bs, func(i, j int) bool { return bs[i].le < bs[j].le })
	if len(bs) == 0 {
		return "?", "?", 0
	}
	count = bs[len(bs)-1].n
	q := func(p float64) string {
		for _, x := range bs {
			if x.n >= p*count {
				if math.IsInf(x.le, 1) {
					return "+Inf"
				}
				return (time.Duration(x.le * float64(time.Second))).String()
			}
		}
		return "?"
	}
	return q(0.5), q(0.99), count
}
