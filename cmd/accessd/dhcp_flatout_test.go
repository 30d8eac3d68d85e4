package main_test

import (
	"fmt"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stadsnat/accessd/internal/benchfig"
	"github.com/stadsnat/accessd/internal/testkit"
)

// flatOut is what the flat-out figure needs of TestDHCPLoadFigures: the
// daemon (up since the run before), its relay port, its metrics, and the
// generator's flags for a target and a sending time: the same for the
// sink and the daemon, flat out (-rate 0).
type flatOut struct {
	d        *dhcpd
	dhcpload string
	port     int
	metrics  func() map[string]float64
	args     func(target string, dur time.Duration) []string
}

// flatSide is one side's part of a round.
type flatSide struct {
	sent     int64
	elapsed  time.Duration // the generator's sending time
	received float64       // read from the socket
	// taken is what the rate counts: the sink's packets received, the
	// daemon's processed (decoded and applied, its queue empty and its
	// commits done).
	taken   float64
	dropped float64 // the daemon's, in its full queue
	cpu     float64 // the daemon's CPU seconds, the round and its settling
	rate    float64 // taken / elapsed
}

// lost is what was never read: the socket's buffer overflowed.
func (s flatSide) lost() float64 { return float64(s.sent) - s.received }

// best is the side of s and o with the higher rate.
func (s flatSide) best(o flatSide) flatSide {
	if o.rate > s.rate {
		return o
	}
	return s
}

// flatOutFigures measures the daemon flat out beside `dhcpload -sink`, a
// do-nothing UDP listener, in interleaved rounds, as the look-up figures
// do: in each round the sink (a fresh process) and then the daemon (the
// same process in every round, with what the runs before left in its
// store and working set: the log says what each round starts from) take
// the same generator's packets, sent flat out with the same flags for the
// same time. Both read from a udp4 socket on loopback with a 32 MiB
// receive buffer (SO_RCVBUFFORCE when root, else both capped by
// net.core.rmem_max), 64 datagrams to a recvmmsg. A side's rate is what
// it took in over the generator's sending time, counted once it is done:
// the sink's packets received when, stopped, it has read its socket empty,
// the daemon's packets processed when its queue is empty and its commits
// done. The best round of each side makes the figure: on a shared machine
// a neighbour's burst hits one round, not all. The rounds run twice: on
// shared cores, then pinned (see placement), each its own figure.
func flatOutFigures(t *testing.T, f flatOut) {
	rounds, dur := 5, 2*time.Second
	if benchfig.Short() {
		rounds, dur = 3, 1500*time.Millisecond
	}
	f.rounds(t, rounds, dur, shared)
	if _, err := exec.LookPath("taskset"); err != nil || runtime.NumCPU() < 2 {
		t.Logf("the pinned flat-out figure is left out: it needs taskset and two CPUs (%d here)", runtime.NumCPU())
		return
	}
	pin(t, "0", pinnedPeer{name: "accessd", pid: f.d.proc.Pid()})
	time.Sleep(gomaxprocsSettle) // see pinnedFigures
	f.rounds(t, rounds, dur, pinned)
	pin(t, fmt.Sprintf("0-%d", runtime.NumCPU()-1), pinnedPeer{name: "accessd", pid: f.d.proc.Pid()})
	time.Sleep(gomaxprocsSettle)
}

// placement is where the receivers and the generator run.
type placement int

const (
	// shared: all of them on every CPU, as the kernel schedules them.
	shared placement = iota
	// pinned: the receiver (the sink or the daemon) alone on CPU 0, the
	// generator alone on CPU 1. Shared, the generator gets what the
	// receiver leaves of the two cores, so the figure says how much CPU
	// the daemon takes from it as much as how fast it reads; pinned, both
	// receivers face the same generator on its own core.
	pinned
)

func (p placement) String() string {
	if p == pinned {
		return "pinned (receiver on CPU 0, generator on CPU 1)"
	}
	return "shared cores"
}

// rounds measures the sink and the daemon in interleaved rounds, placed
// as p says, and reports the best round of each side as a figure.
func (f flatOut) rounds(t *testing.T, rounds int, dur time.Duration, p placement) {
	began := time.Now()
	var sink, daemon flatSide
	for i := range rounds {
		s := f.sinkRound(t, dur, p)
		before := f.metrics()
		from := startState(before)
		d := f.daemonRound(t, dur, before, p)
		t.Logf("flat out, %v, round %d of %d, %v each: sink received %.0f of %d sent in %.3fs (%.0f pkt/s, lost %.0f); daemon, starting from %s, received %.0f of %d sent in %.3fs, processed %.0f (%.0f pkt/s; dropped in the queue %.0f, lost in the socket %.0f; CPU %.2f s, %.2f µs a packet): ratio %.2f",
			p, i+1, rounds, dur, s.received, s.sent, s.elapsed.Seconds(), s.rate, s.lost(),
			from, d.received, d.sent, d.elapsed.Seconds(), d.taken, d.rate, d.dropped, d.lost(), d.cpu, 1e6*d.cpu/max(d.taken, 1), d.rate/s.rate)
		sink, daemon = sink.best(s), daemon.best(d)
	}
	how := fmt.Sprintf("best of %d interleaved rounds of %v", rounds, dur)
	if p == pinned {
		how = "pinned, " + how
	}
	t.Logf("FIGURE flat out, %s: do-nothing sink %.0f pkt/s (received %.0f of %d sent), daemon %.0f pkt/s (processed %.0f of %d sent): ratio daemon/sink %.2f (the rounds took %v)",
		how, sink.rate, sink.taken, sink.sent, daemon.rate, daemon.taken, daemon.sent, daemon.rate/sink.rate, time.Since(began).Round(100*time.Millisecond))
	benchfig.Report(t, benchfig.Figure{Name: "DHCP flat out, " + how + " (packets processed a second)", Unit: "pkt/s", Value: daemon.rate,
		Peer: "do-nothing UDP listener", PeerValue: sink.rate, Higher: true, Goal: 0.9, Source: "#15 (#3: 0.5)"})
}

// command is bin and its args, run on CPU cpu when p is pinned.
func (p placement) command(cpu, bin string, args ...string) []string {
	if p == pinned {
		return append([]string{"taskset", "-c", cpu, bin}, args...)
	}
	return append([]string{bin}, args...)
}

// sinkRound starts a sink, sends to it flat out for dur and returns what
// it received once it has read its socket empty.
func (f flatOut) sinkRound(t *testing.T, dur time.Duration, p placement) flatSide {
	t.Helper()
	port := testkit.FreeUDPPort(t)
	// Stopped once the generator is done, it reads what its buffer
	// holds and reports; -duration is only a bound.
	sink := testkit.StartProcess(t, p.command("0", f.dhcpload, "-sink", "-listen", "127.0.0.1:"+strconv.Itoa(port),
		"-duration", (dur+time.Minute).String(), "-interval", "0")...)
	testkit.WaitUntil(t, 10*time.Second, "the sink's socket", func() bool {
		bound, err := testkit.UDPBound(sink.Pid(), port)
		return err == nil && bound
	})
	sent := runGen(t, p.command("1", f.dhcpload, f.args("127.0.0.1:"+strconv.Itoa(port), dur)...))
	if err := sink.Stop(); err != nil {
		t.Fatalf("sink: %v\n%s", err, sink.Log())
	}
	recv, _ := parseSink(t, sink.Log())
	if recv == 0 || recv > sent.packets {
		t.Fatalf("the sink received %d of %d sent", recv, sent.packets)
	}
	return flatSide{sent: sent.packets, elapsed: sent.elapsed, received: float64(recv), taken: float64(recv),
		rate: float64(recv) / sent.elapsed.Seconds()}
}

// daemonRound sends to the daemon flat out for dur and returns what it
// took in, counted from the metrics before (m0) to those once it settled.
// Every packet it read must be processed or dropped in its queue.
func (f flatOut) daemonRound(t *testing.T, dur time.Duration, m0 map[string]float64, p placement) flatSide {
	t.Helper()
	sent := runGen(t, p.command("1", f.dhcpload, f.args("127.0.0.1:"+strconv.Itoa(f.port), dur)...))
	m1 := settle(t, f.d, f.metrics)
	s := flatSide{sent: sent.packets, elapsed: sent.elapsed,
		received: delta(m0, m1, `accessd_dhcp_received_packets_total`),
		taken:    delta(m0, m1, `accessd_dhcp_packets_total`) + delta(m0, m1, `accessd_dhcp_decode_errors_total`),
		dropped:  delta(m0, m1, `accessd_dhcp_dropped_packets_total`),
		cpu:      delta(m0, m1, "accessd_process_cpu_seconds_total")}
	s.rate = s.taken / sent.elapsed.Seconds()
	if s.taken == 0 || s.received > float64(s.sent) || s.taken+s.dropped != s.received {
		t.Errorf("flat out at the daemon: sent %d, received %.0f, processed %.0f, dropped in the queue %.0f: every packet read is processed or dropped, and some processed",
			s.sent, s.received, s.taken, s.dropped)
	}
	return s
}

// startState says what the daemon holds when a round starts: its
// bindings by state and the packets it processed so far.
func startState(m map[string]float64) string {
	var states []string
	for k, n := range m {
		if st, ok := strings.CutPrefix(k, `accessd_dhcp_bindings{state="`); ok && n > 0 {
			states = append(states, fmt.Sprintf("%.0f %s", n, strings.TrimSuffix(st, `"}`)))
		}
	}
	slices.Sort(states)
	return fmt.Sprintf("%.0f bindings (%s), %.0f packets processed since it started", sumMetrics(m, "accessd_dhcp_bindings{"),
		strings.Join(states, ", "), sumMetrics(m, "accessd_dhcp_packets_total{"))
}
