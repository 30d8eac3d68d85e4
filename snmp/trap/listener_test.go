package trap

import (
	"context"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/stadsnat/accessd/snmp/client"
)

type call struct {
	From    netip.Addr
	IfIndex int
}

// fakeHandler records calls; known says which senders are switches;
// block, when set, holds every call until closed.
type fakeHandler struct {
	mu    sync.Mutex
	calls []call
	known map[netip.Addr]bool
	block chan struct{}
	got   chan struct{}
}

func (h *fakeHandler) LinkTrap(from netip.Addr, ifIndex int) bool {
	if h.block != nil {
		<-h.block
	}
	h.mu.Lock()
	h.calls = append(h.calls, call{from, ifIndex})
	h.mu.Unlock()
	select {
	case h.got <- struct{}{}:
	default:
	}
	return h.known[from]
}

func (h *fakeHandler) take() []call {
	h.mu.Lock()
	defer h.mu.Unlock()
	c := h.calls
	h.calls = nil
	return c
}

// counter is the value of a counter's series with label=value, or the sum
// of all its series when label is "".
func counter(t *testing.T, reg *prometheus.Registry, name, label, value string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, lp := range m.GetLabel() {
				if lp.GetName() == label && lp.GetValue() == value {
					return m.GetCounter().GetValue()
				}
			}
			sum += m.GetCounter().GetValue()
		}
	}
	if label != "" {
		return 0
	}
	return sum
}

// Every kind and reason is a series from the start, at 0.
func TestMetricsStartAtZero(t *testing.T) {
	_, reg, _ := startListener(t, &fakeHandler{known: map[netip.Addr]bool{}, got: make(chan struct{}, 1)}, 1)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	n := map[string]int{}
	for _, mf := range mfs {
		n[mf.GetName()] = len(mf.GetMetric())
	}
	if n["accessd_snmp_traps_received_total"] != 3 || n["accessd_snmp_traps_rejected_total"] != len(rejectReasons) {
		t.Errorf("series at start: %v, want 3 kinds and %d reasons", n, len(rejectReasons))
	}
}

// eventually polls cond for up to 5 s: real sockets cannot run in a
// synctest bubble.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func startListener(t *testing.T, h Handler, queue int) (*Listener, *prometheus.Registry, net.Conn) {
	t.Helper()
	reg := prometheus.NewRegistry()
	l, err := New(Config{Listen: "127.0.0.1:0", Communities: []string{"public"}, Users: []client.USM{trapUser},
		QueueSize: queue, Registerer: reg}, h)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- l.Run(ctx) }()
	<-l.Ready()
	c, err := net.Dial("udp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c.Close()
		cancel()
		if err := <-done; err != context.Canceled {
			t.Errorf("Run returned %v, want context.Canceled", err)
		}
	})
	return l, reg, c
}

func TestListenerHandsLinkTrapsToHandler(t *testing.T) {
	lo := netip.MustParseAddr("127.0.0.1")
	h := &fakeHandler{known: map[netip.Addr]bool{lo: true}, got: make(chan struct{}, 16)}
	_, reg, c := startListener(t, h, 16)
	for _, f := range []string{"v2c-linkdown.hex", "v2c-wrongcommunity.hex", "v3-sha256-aes-linkup.hex"} {
		if _, err := c.Write(readHex(t, f)); err != nil {
			t.Fatal(err)
		}
	}
	c.Write([]byte("garbage"))
	eventually(t, "two link traps and two rejections", func() bool {
		return counter(t, reg, "accessd_snmp_traps_rejected_total", "", "") > 0 &&
			counter(t, reg, "accessd_snmp_traps_rejected_total", "reason", "community") == 1 &&
			counter(t, reg, "accessd_snmp_traps_rejected_total", "reason", "malformed") == 1 &&
			counter(t, reg, "accessd_snmp_traps_received_total", "kind", "linkUp") == 1 &&
			counter(t, reg, "accessd_snmp_traps_received_total", "kind", "linkDown") == 1
	})
	want := []call{{lo, 5}, {lo, 7}}
	if diff := cmp.Diff(want, h.take(), cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); diff != "" {
		t.Errorf("handler calls (-want +got):\n%s", diff)
	}
}

func TestListenerUnknownSwitch(t *testing.T) {
	h := &fakeHandler{known: map[netip.Addr]bool{}, got: make(chan struct{}, 16)}
	_, reg, c := startListener(t, h, 16)
	c.Write(readHex(t, "v1-linkdown.hex")) // agent-addr 10.9.0.1, also unknown
	eventually(t, "an unknown_switch rejection", func() bool {
		return counter(t, reg, "accessd_snmp_traps_rejected_total", "reason", "unknown_switch") == 1
	})
	want := []call{{netip.MustParseAddr("127.0.0.1"), 5}, {netip.MustParseAddr("10.9.0.1"), 5}}
	if diff := cmp.Diff(want, h.take(), cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); diff != "" {
		t.Errorf("handler calls (-want +got):\n%s", diff)
	}
}

// TestListenerDropsWhenQueueFull: the reader never waits on processing; a
// full queue drops and counts.
func TestListenerDropsWhenQueueFull(t *testing.T) {
	h := &fakeHandler{known: map[netip.Addr]bool{}, block: make(chan struct{}), got: make(chan struct{}, 64)}
	_, reg, c := startListener(t, h, 2)
	pkt := readHex(t, "v2c-linkdown.hex")
	for range 20 {
		c.Write(pkt)
	}
	eventually(t, "drops", func() bool { return counter(t, reg, "accessd_snmp_traps_dropped_total", "", "") >= 1 })
	close(h.block)
	eventually(t, "the queued traps handled", func() bool {
		d := counter(t, reg, "accessd_snmp_traps_dropped_total", "", "")
		r := counter(t, reg, "accessd_snmp_traps_received_total", "kind", "linkDown")
		return d+r == 20
	})
}
