package cluster

import (
	"context"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// Run the benchmarks (each builds a hub and an edge with real servers and
// a bbolt store at the hub):
//
//	go test ./cmd/accessd/internal/cluster -run '^$' -bench 'FactsEdgeToHub' -benchtime 200000x
//	go test ./cmd/accessd/internal/cluster -run '^$' -bench 'CatchUp' -benchtime 1x
//
// Goals: at least 20 000 facts/s applied at the hub; 100 000 facts
// buffered during a cut applied within 30 s of the link's return.

// BenchmarkFactsEdgeToHub measures facts per second from an edge's
// PublishFacts to the hub's store, over a leaf node on loopback (plain
// and with mutual TLS): the edge publishes b.N facts in calls of 1000
// (an outbox sink's batches) while the hub applies them.
func BenchmarkFactsEdgeToHub(b *testing.B) {
	for _, withTLS := range []bool{false, true} {
		name := "plain"
		if withTLS {
			name = "tls"
		}
		b.Run(name, func(b *testing.B) {
			var p *pki
			if withTLS {
				p = &pki{ca: newCA(b)}
			}
			root := b.TempDir()
			hubDir := filepath.Join(root, "hub")
			hub := startNode(b, "hub", hubDir, hubOptions(b, hubDir, "127.0.0.1:0", []string{"pop-norr"}, p), Deps{})
			dir := filepath.Join(root, "pop-norr")
			edge := startNode(b, "pop-norr", dir, edgeOptions(b, dir, "pop-norr", hub.node.LeafAddr(), p), Deps{})
			facts := testFacts(1, uint64(b.N))
			b.ResetTimer()
			start := time.Now()
			if _, err := publishAll(context.Background(), edge.node, facts, 1000); err != nil {
				b.Fatal(err)
			}
			published := time.Since(start)
			waitApplied(b, hub, "pop-norr", uint64(b.N), 5*time.Minute)
			took := time.Since(start)
			b.StopTimer()
			b.ReportMetric(float64(b.N)/took.Seconds(), "facts/s")
			b.ReportMetric(float64(b.N)/published.Seconds(), "published/s")
			b.ReportMetric(float64(hub.facts.calls.Load()), "applies")
		})
	}
}

// BenchmarkCatchUp100k has an edge store 100 000 facts while it cannot
// reach the hub, then measures from the hub's return until the hub has
// applied them all: "cut" stops a TCP proxy between them (the hub keeps
// running), "hub-restart" stops the hub and starts it again (its source
// of the edge starts anew, like the daemons' BenchmarkClusterCatchUp100k).
func BenchmarkCatchUp100k(b *testing.B) {
	b.Run("cut", func(b *testing.B) { benchCatchUp(b, false) })
	b.Run("hub-restart", func(b *testing.B) { benchCatchUp(b, true) })
}

func benchCatchUp(b *testing.B, restart bool) {
	const buffered = 100_000
	root := b.TempDir()
	hubDir := filepath.Join(root, "hub")
	hub := startNode(b, "hub", hubDir, hubOptions(b, hubDir, freeAddr(b), []string{"pop-norr"}, nil), Deps{})
	px := newProxy(b, hub.node.LeafAddr())
	dir := filepath.Join(root, "pop-norr")
	edge := startNode(b, "pop-norr", dir, edgeOptions(b, dir, "pop-norr", px.addr, nil), Deps{})
	ctx := context.Background()
	var seq uint64
	var took, resumed time.Duration
	// The edge counts what waits from the hub's position, which it must
	// have heard once before the cut.
	waitFor(b, "the edge to learn the hub's position", func() error {
		if st := edge.node.Status(); st.UnforwardedFacts != 0 {
			return fmt.Errorf("unforwarded %d", st.UnforwardedFacts)
		}
		return nil
	})
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		if restart {
			hub.stop()
		} else {
			px.stop()
		}
		waitFor(b, "the edge to see the link down", func() error {
			if st := edge.node.Status(); st.HubLink == nil || st.HubLink.Up {
				return fmt.Errorf("link %+v leafs %+v", st.HubLink, st.Leafs)
			}
			return nil
		})
		if _, err := publishAll(ctx, edge.node, testFacts(seq+1, seq+buffered), 1000); err != nil {
			b.Fatal(err)
		}
		seq += buffered
		waitFor(b, "the facts buffered at the edge", func() error {
			if st := edge.node.Status(); st.UnforwardedFacts < buffered {
				return fmt.Errorf("unforwarded %d", st.UnforwardedFacts)
			}
			return nil
		})
		b.StartTimer()
		start := time.Now()
		if restart {
			hub = hub.restart()
		} else {
			px.start()
		}
		waitApplied(b, hub, "pop-norr", seq-buffered+1, 5*time.Minute)
		resumed += time.Since(start)
		waitApplied(b, hub, "pop-norr", seq, 5*time.Minute)
		took += time.Since(start)
	}
	b.ReportMetric(took.Seconds()/float64(b.N), "s/catch-up")
	b.ReportMetric(resumed.Seconds()/float64(b.N), "s/first-fact")
	b.ReportMetric(float64(b.N*buffered)/(took-resumed).Seconds(), "facts/s")
	b.ReportMetric(hub.counter("accessd_cluster_source_restarts_total"), "source_restarts")
}

func waitApplied(b testing.TB, hub *testNode, site string, n uint64, limit time.Duration) {
	b.Helper()
	deadline := time.Now().Add(limit)
	for {
		marks, err := hub.facts.FactMarks(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		if marks[site].Seq >= n {
			return
		}
		if time.Now().After(deadline) {
			b.Fatalf("after %v the hub applied up to %d of %d", limit, marks[site].Seq, n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// proxy forwards TCP connections to a target; stop closes the listener
// and every connection (a cut link), start listens again on the same
// address.
type proxy struct {
	t      testing.TB
	addr   string
	target string
	mu     sync.Mutex
	l      net.Listener
	conns  []net.Conn
}

func newProxy(t testing.TB, target string) *proxy {
	p := &proxy{t: t, addr: freeAddr(t), target: target}
	p.start()
	t.Cleanup(p.stop)
	return p
}

func (p *proxy) start() {
	l, err := net.Listen("tcp", p.addr)
	if err != nil {
		p.t.Fatal(err)
	}
	p.mu.Lock()
	p.l = l
	p.mu.Unlock()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			u, err := net.Dial("tcp", p.target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			if p.l != l { // stopped meanwhile
				p.mu.Unlock()
				c.Close()
				u.Close()
				return
			}
			p.conns = append(p.conns, c, u)
			p.mu.Unlock()
			go func() { _, _ = io.Copy(u, c); u.Close() }()
			go func() { _, _ = io.Copy(c, u); c.Close() }()
		}
	}()
}

func (p *proxy) stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.l != nil {
		p.l.Close()
		p.l = nil
	}
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}
