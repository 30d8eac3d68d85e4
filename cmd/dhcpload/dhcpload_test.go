package main

import (
	"bytes"
	"context"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/stadsnat/accessd/dhcp/circuit"
	"github.com/stadsnat/accessd/dhcp/dhcp4"
	"github.com/stadsnat/accessd/internal/testkit"
)

func testConfig() genConfig {
	return genConfig{Target: "127.0.0.1:9", Duration: time.Second, Clients: 100, Switches: 2, Ports: 48,
		SwitchBase: 1, PortBase: 1, RemoteID: "10.0.0.%d", CircuitID: "ge-0/0/%d", GIAddr: "10.0.0.1",
		ServerID: "10.0.0.254", Mix: 0.5, Batch: 32}
}

// TestPackets decodes generated packets with accessd's own decoder and the
// default circuit profile: the keys are the PI V1 Option82 texts an
// inventory would hold.
func TestPackets(t *testing.T) {
	g, err := newGenerator(testConfig())
	if err != nil {
		t.Fatal(err)
	}
	dec, err := circuit.NewDecoder(nil)
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		Type      dhcp4.MessageType
		MAC       string
		ClientID  string
		Requested string
		ServerID  string
		GIAddr    string
		Hops      uint8
		XID       uint32
		Key       string
	}
	var got []row
	for _, tc := range []struct {
		client int
		req    bool
	}{{0, false}, {0, true}, {49, true}, {96, false}} {
		b := g.fill(nil, tc.client, tc.req, 0x01020304)
		p, err := dhcp4.Decode(b)
		if err != nil {
			t.Fatalf("client %d: %v", tc.client, err)
		}
		c, err := dec.Decode(p.GIAddr, p.Option82)
		if err != nil {
			t.Fatal(err)
		}
		mac, _ := p.MAC()
		r := row{p.MessageType, mac.String(), net.HardwareAddr(p.ClientID[1:]).String(), "", "", p.GIAddr.String(), p.Hops, p.XID, c.Key}
		if p.RequestedIP.IsValid() {
			r.Requested, r.ServerID = p.RequestedIP.String(), p.ServerID.String()
		}
		got = append(got, r)
	}
	want := []row{
		{dhcp4.Discover, "02:00:00:00:00:00", "02:00:00:00:00:00", "", "", "10.0.0.1", 1, 0x01020304, "10.0.0.1 ge-0/0/1"},
		{dhcp4.Request, "02:00:00:00:00:00", "02:00:00:00:00:00", "10.64.0.0", "10.0.0.254", "10.0.0.1", 1, 0x01020304, "10.0.0.1 ge-0/0/1"},
		{dhcp4.Request, "02:00:00:00:00:31", "02:00:00:00:00:31", "10.64.0.49", "10.0.0.254", "10.0.0.1", 1, 0x01020304, "10.0.0.2 ge-0/0/2"},
		{dhcp4.Discover, "02:00:00:00:00:60", "02:00:00:00:00:60", "", "", "10.0.0.1", 1, 0x01020304, "10.0.0.1 ge-0/0/1"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestGeneratorToSink sends a fixed count over loopback to an in-process
// sink and checks that everything arrives.
func TestGeneratorToSink(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	ready := make(chan net.Addr, 1)
	sinkCtx, stopSink := context.WithCancel(ctx)
	done := make(chan sinkResult, 1)
	errs := make(chan error, 1)
	var received atomic.Int64
	go func() {
		r, err := runSink(sinkCtx, sinkConfig{Listen: "127.0.0.1:0", ReadBuffer: 4 << 20, Decode: true, ready: ready, packets: &received})
		errs <- err
		done <- r
	}()
	addr := <-ready
	cfg := testConfig()
	cfg.Target, cfg.Count, cfg.Duration, cfg.Rate = addr.String(), 3000, 0, 200000
	g, err := newGenerator(cfg)
	if err != nil {
		t.Fatal(err)
	}
	sent, err := g.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Poll until the sink has everything (or give up after 5 s: loss).
	for deadline := time.Now().Add(5 * time.Second); received.Load() < sent.Sent && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	stopSink()
	if err := <-errs; err != nil {
		t.Fatal(err)
	}
	got := <-done
	if diff := cmp.Diff([]int64{3000, 3000, 0}, []int64{sent.Sent, got.Packets, got.DecodeErrors}); diff != "" {
		t.Errorf("[sent received decode-errors] (-want +got):\n%s", diff)
	}
	if sent.Discovers+sent.Requests != sent.Sent || sent.Requests == 0 || sent.Discovers == 0 {
		t.Errorf("mix: %+v", sent)
	}
	if !strings.Contains(got.String(), "3000 packets") || !strings.Contains(sent.String(), "sent 3000 packets") {
		t.Errorf("reports: %q / %q", got, sent)
	}
}

// TestSinkDrainsOnStop stops a sink whose socket holds packets it has
// not read: it must read and count them before it reports.
func TestSinkDrainsOnStop(t *testing.T) {
	port := testkit.FreeUDPPort(t)
	addr := "127.0.0.1:" + strconv.Itoa(port)
	ctx, stop := context.WithCancel(context.Background())
	stop()                       // stopped before its first read
	ready := make(chan net.Addr) // unbuffered: the sink waits here, bound
	done := make(chan sinkResult, 1)
	sink := testkit.Go(t, "sink", func(context.Context) error {
		r, err := runSink(ctx, sinkConfig{Listen: addr, ReadBuffer: 4 << 20, ready: ready})
		done <- r
		return err
	})
	testkit.WaitUntil(t, 10*time.Second, "the sink's socket", func() bool {
		bound, err := testkit.UDPBound(os.Getpid(), port)
		return err == nil && bound
	})
	cfg := testConfig()
	cfg.Target, cfg.Count, cfg.Duration, cfg.Rate = addr, 3000, 0, 200000
	g, err := newGenerator(cfg)
	if err != nil {
		t.Fatal(err)
	}
	sent, err := g.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	<-ready
	if err := sink.Err(); err != nil {
		t.Fatal(err)
	}
	if got := <-done; sent.Sent != 3000 || got.Packets != sent.Sent {
		t.Errorf("sent %d, the stopped sink counted %d", sent.Sent, got.Packets)
	}
}

func TestPacing(t *testing.T) {
	cfg := testConfig()
	ready := make(chan net.Addr, 1)
	sink := testkit.Go(t, "sink", func(ctx context.Context) error {
		_, err := runSink(ctx, sinkConfig{Listen: "127.0.0.1:0", ready: ready})
		return err
	})
	select {
	case addr := <-ready:
		cfg.Target = addr.String()
	case <-sink.Done():
		t.Fatalf("the sink ended before it listened: %v", sink.Err())
	}
	cfg.Count, cfg.Duration, cfg.Rate, cfg.Batch = 400, 0, 4000, 8
	g, err := newGenerator(cfg)
	if err != nil {
		t.Fatal(err)
	}
	r, err := g.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// 400 packets at 4000/s take at least ~0.1 s (the first batch goes at once).
	if r.Sent != 400 || r.Elapsed < 95*time.Millisecond {
		t.Errorf("sent %d in %v", r.Sent, r.Elapsed)
	}
}

func TestConfigErrors(t *testing.T) {
	mods := map[string]func(*genConfig){
		"remote target": func(c *genConfig) { c.Target = "192.0.2.1:67" },
		"clients":       func(c *genConfig) { c.Clients = 0 },
		"mix":           func(c *genConfig) { c.Mix = 2 },
		"batch":         func(c *genConfig) { c.Batch = 0 },
		"giaddr":        func(c *genConfig) { c.GIAddr = "x" },
		"server-id":     func(c *genConfig) { c.ServerID = "::1" },
		"no stop":       func(c *genConfig) { c.Duration, c.Count = 0, 0 },
		"empty option":  func(c *genConfig) { c.RemoteID, c.CircuitID = "", "" },
		"too long":      func(c *genConfig) { c.CircuitID = strings.Repeat("x", 300) },
		"negative rate": func(c *genConfig) { c.Rate = -1 },
		"zero switches": func(c *genConfig) { c.Switches = 0 },
		"unresolvable":  func(c *genConfig) { c.Target = "nohost.invalid:67" },
	}
	for name, mod := range mods {
		c := testConfig()
		mod(&c)
		if _, err := newGenerator(c); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	c := testConfig()
	c.Target, c.AllowNonLoopback = "192.0.2.1:67", true
	if _, err := newGenerator(c); err != nil {
		t.Errorf("-allow-nonloopback: %v", err)
	}
	var out bytes.Buffer
	if err := run(context.Background(), []string{"extra"}, &out); err == nil {
		t.Error("run accepted a positional argument")
	}
	if err := run(context.Background(), []string{"-target", "192.0.2.1:67"}, &out); err == nil {
		t.Error("run accepted a non-loopback target")
	}
}

// With -random-macs every client still has its own MAC (and its address
// and circuit as without), but consecutive clients' MACs are in no order.
func TestRandomMACs(t *testing.T) {
	c := testConfig()
	c.Clients, c.RandomMACs = 1<<16, true
	g, err := newGenerator(c)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	ascending := 0
	var prev string
	for i := range c.Clients {
		p, err := dhcp4.Decode(g.fill(nil, i, true, 1))
		if err != nil {
			t.Fatal(err)
		}
		mac, _ := p.MAC()
		m := mac.String()
		if j, dup := seen[m]; dup {
			t.Fatalf("clients %d and %d share the MAC %s", j, i, m)
		}
		seen[m] = i
		if !strings.HasPrefix(m, "02:5e:") || p.RequestedIP != netip.AddrFrom4([4]byte{10, 64, byte(i >> 8), byte(i)}) {
			t.Fatalf("client %d: MAC %s, requested %v", i, m, p.RequestedIP)
		}
		if m > prev {
			ascending++
		}
		prev = m
	}
	if ascending > c.Clients*3/4 {
		t.Errorf("%d of %d consecutive MACs ascend: not spread", ascending, c.Clients)
	}
}
