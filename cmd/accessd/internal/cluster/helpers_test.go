package cluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/stadsnat/accessd/cmd/accessd/internal/cluster/wire"
	"github.com/stadsnat/accessd/cmd/accessd/internal/testpki"
)

// testNode is a running Node with its own state directory and stores.
type testNode struct {
	t      testing.TB
	name   string
	dir    string
	opts   Options
	deps   Deps
	node   *Node
	reg    *prometheus.Registry
	cancel context.CancelFunc
	done   chan error
	facts  *boltFacts
	inv    *boltInventory
}

// pki is the optional TLS of a test cluster.
type pki struct {
	ca *testpki.CA
}

func (p *pki) files(t testing.TB, name string) TLSOptions {
	if p == nil {
		return TLSOptions{}
	}
	cert, key := p.ca.Issue(t, name)
	return TLSOptions{CertFile: cert, KeyFile: key, CAFile: p.ca.File}
}

func testLog(t testing.TB) *slog.Logger {
	if os.Getenv("ACCESSD_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(string(p))
	return len(p), nil
}

// freeAddr reserves a loopback port for a listener that must come back
// on the same address after a restart.
func freeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func hubOptions(t testing.TB, dir, leafAddr string, sites []string, p *pki) Options {
	o := Options{Site: "hub", Role: Hub, Sites: sites, StatusInterval: 200 * time.Millisecond,
		NATS: NATSOptions{LeafListen: leafAddr, TLS: p.files(t, "hub")}}
	o.SetDefaults(dir)
	return o
}

func edgeOptions(t testing.TB, dir, site, hubLeaf string, p *pki) Options {
	scheme := "nats-leaf://"
	o := Options{Site: site, Role: Edge, StatusInterval: 200 * time.Millisecond,
		NATS: NATSOptions{Hub: []string{scheme + hubLeaf}, TLS: p.files(t, site)}}
	o.SetDefaults(dir)
	return o
}

// startNode builds and runs a node in dir with bbolt appliers there, and
// waits until it is ready.
func startNode(t testing.TB, name, dir string, opts Options, deps Deps) *testNode {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	tn := &testNode{t: t, name: name, dir: dir, opts: opts, reg: prometheus.NewRegistry()}
	if deps.Log == nil {
		deps.Log = testLog(t).With("node", name)
	}
	deps.Registerer = tn.reg
	if opts.Role == Hub && deps.Facts == nil {
		tn.facts = openBoltFacts(t, dir)
		deps.Facts = tn.facts
	}
	if opts.Role == Edge && deps.Inventory == nil {
		tn.inv = openBoltInventory(t, dir)
		deps.Inventory = tn.inv
	}
	tn.deps = deps
	n, err := New(opts, deps)
	if err != nil {
		t.Fatalf("New %s: %v", name, err)
	}
	tn.node = n
	ctx, cancel := context.WithCancel(context.Background())
	tn.cancel, tn.done = cancel, make(chan error, 1)
	ready := make(chan struct{})
	go func() { tn.done <- n.Run(ctx, func() { close(ready) }) }()
	select {
	case <-ready:
	case err := <-tn.done:
		t.Fatalf("Run %s: %v", name, err)
	case <-time.After(30 * time.Second):
		t.Fatalf("%s not ready after 30s", name)
	}
	t.Cleanup(tn.stop)
	return tn
}

// stop ends Run and closes the stores; it may be called twice.
func (tn *testNode) stop() {
	if tn.cancel == nil {
		return
	}
	tn.cancel()
	if err := <-tn.done; err != nil {
		tn.t.Errorf("Run %s: %v", tn.name, err)
	}
	tn.cancel = nil
	if tn.facts != nil {
		tn.facts.close()
	}
	if tn.inv != nil {
		tn.inv.close()
	}
}

// crash stops the node as abruptly as an in-process test can: the
// embedded server goes first, so what the client still buffered is lost,
// then the client and Run.
func (tn *testNode) crash() {
	n := tn.node
	n.conn.Store(nil)
	n.mu.Lock()
	srv, nc := n.srv, n.nc
	n.srv, n.nc = nil, nil
	n.mu.Unlock()
	srv.Shutdown()
	nc.Close()
	tn.cancel()
	<-tn.done
	tn.cancel = nil
	if tn.facts != nil {
		tn.facts.close()
	}
	if tn.inv != nil {
		tn.inv.close()
	}
}

// restart runs a new node on the same directory and options.
func (tn *testNode) restart() *testNode {
	tn.t.Helper()
	tn.stop()
	deps := tn.deps
	deps.Facts, deps.Inventory, deps.Registerer = nil, nil, nil
	if _, ok := tn.deps.Facts.(*boltFacts); !ok {
		deps.Facts = tn.deps.Facts
	}
	if _, ok := tn.deps.Inventory.(*boltInventory); !ok {
		deps.Inventory = tn.deps.Inventory
	}
	return startNode(tn.t, tn.name, tn.dir, tn.opts, deps)
}

// waitFor polls cond until it holds: the servers link and copy over real
// sockets on their own schedule. It fails after 60 s with what cond last
// said.
func waitFor(t testing.TB, what string, cond func() error) {
	t.Helper()
	waitLong(t, 60*time.Second, what, cond)
}

// waitLong is waitFor with a deadline of d.
func waitLong(t testing.TB, d time.Duration, what string, cond func() error) {
	t.Helper()
	start := time.Now()
	deadline := start.Add(d)
	for {
		err := cond()
		if err == nil {
			if d := time.Since(start); d > 3*time.Second {
				t.Logf("waited %v for %s", d.Round(time.Millisecond), what)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s: %v", what, err)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// publishAll publishes facts like an outbox sink: in batches, retrying
// from what was stored, until all are stored or ctx ends. It returns the
// highest seq stored (the cursor).
func publishAll(ctx context.Context, n *Node, facts []*wire.Message, batch int) (uint64, error) {
	var cursor uint64
	for i := 0; i < len(facts); {
		end := min(i+batch, len(facts))
		k, err := n.PublishFacts(ctx, facts[i:end])
		if k > 0 {
			cursor = facts[i+k-1].Seq
		}
		i += k
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, ErrNotRunning) {
				return cursor, err
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	return cursor, nil
}

// counter reads a counter of the node's registry.
func (tn *testNode) counter(name string, labels ...string) float64 {
	mfs, err := tn.reg.Gather()
	if err != nil {
		tn.t.Fatal(err)
	}
	var sum float64
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	metric:
		for _, m := range mf.GetMetric() {
			for i := 0; i+1 < len(labels); i += 2 {
				found := false
				for _, lp := range m.GetLabel() {
					if lp.GetName() == labels[i] && lp.GetValue() == labels[i+1] {
						found = true
					}
				}
				if !found {
					continue metric
				}
			}
			if c := m.GetCounter(); c != nil {
				sum += c.GetValue()
			} else if g := m.GetGauge(); g != nil {
				sum += g.GetValue()
			}
		}
	}
	return sum
}

func newCA(t testing.TB) *testpki.CA { return testpki.New(t) }

// factsInStream reads every message of a node's facts stream and returns
// the seqs of the facts they hold (a batch holds many), by origin, in
// stream order.
func factsInStream(n *Node) (map[string][]uint64, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := n.current()
	if err != nil {
		return nil, err
	}
	s, err := c.js.Stream(ctx, StreamFacts)
	if err != nil {
		return nil, err
	}
	info, err := s.Info(ctx)
	if err != nil {
		return nil, err
	}
	out := map[string][]uint64{}
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq && info.State.Msgs > 0; seq++ {
		raw, err := s.GetMsg(ctx, seq)
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		m, err := wire.Decode(raw.Data)
		if err != nil {
			return nil, fmt.Errorf("stream sequence %d: %w", seq, err)
		}
		for _, f := range m.Facts() {
			out[f.Origin()] = append(out[f.Origin()], f.Seq)
		}
	}
	return out, nil
}

// onceEach says whether seqs are 1..n, each once, in order.
func onceEach(seqs []uint64, n uint64) error {
	for i, s := range seqs {
		if s != uint64(i)+1 {
			return fmt.Errorf("%d facts, the %d-th is fact %d", len(seqs), i+1, s)
		}
	}
	if uint64(len(seqs)) != n {
		return fmt.Errorf("%d facts, want %d", len(seqs), n)
	}
	return nil
}
