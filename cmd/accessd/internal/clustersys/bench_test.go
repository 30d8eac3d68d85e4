package clustersys

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/netip"
	"path/filepath"
	"testing"
	"time"

	"github.com/stadsnat/accessd/cmd/accessd/internal/cluster"
	"github.com/stadsnat/accessd/cmd/accessd/internal/cluster/wire"
	"github.com/stadsnat/accessd/store"
)

// BenchmarkEdgeCommit is one DHCP group commit of 1,000 changed bindings
// (no fsync) with and without an edge's hooks, which append a fact per
// binding to the outbox in the same transaction: what an edge's facts
// cost the DHCP writer (store's BenchmarkBindingsCommit1000 is the same
// commit of a standalone box).
//
//	go test ./cmd/accessd/internal/clustersys -run '^$' -bench EdgeCommit -count 6
func BenchmarkEdgeCommit(b *testing.B) {
	for _, role := range []cluster.Role{cluster.Standalone, cluster.Edge} {
		b.Run(string(role), func(b *testing.B) {
			db, err := store.Open(filepath.Join(b.TempDir(), store.FileName), store.Options{NoSync: true})
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			if role == cluster.Edge {
				s := &System{opts: cluster.Options{Role: role, Site: "pop-norr"}}
				db.Outbox().SetHooksFor(hookOwner, s.hooks())
			}
			t0 := time.Unix(1_700_000_000, 0).UTC()
			recs := make([]store.BindingRecord, 20000)
			for i := range recs {
				recs[i] = store.BindingRecord{MAC: store.MAC{2, 0, 0, byte(i >> 16), byte(i >> 8), byte(i)},
					IP: netip.AddrFrom4([4]byte{10, 64, byte(i >> 8), byte(i)}), State: store.BindingBound,
					Access: fmt.Sprintf("A%05d", i%480), FirstSeen: t0, LastSeen: t0, Since: t0, Expires: t0.Add(time.Hour),
					Source: store.SourceRelay, Option82: []byte{0x52, 4, 1, 2, 'p', '1'}}
			}
			rng := rand.New(rand.NewPCG(1, 2))
			b.ResetTimer()
			for i := range b.N {
				batch := make([]store.BindingRecord, 1000)
				for j := range batch {
					r := recs[(i*1000+j)%len(recs)]
					r.LastSeen = t0.Add(time.Duration(i+1) * time.Second)
					batch[j] = r
				}
				// The DHCP writer gives its dirty bindings in map order.
				rng.Shuffle(len(batch), func(a, b int) { batch[a], batch[b] = batch[b], batch[a] })
				if _, err := db.Bindings().Commit(&store.BindingCommit{Bindings: batch}); err != nil {
					b.Fatal(err)
				}
				if role == cluster.Edge && i%20 == 19 { // a sink releases what it published
					if err := db.Outbox().Advance(SinkFacts, ^uint64(0)>>1); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}

// BenchmarkHubApply is the hub's application of one run of 1,000 binding
// facts of new clients (with fsync, as the daemon's store), per op: the
// store transaction with the marks and the DHCP service's working set.
//
//	go test ./cmd/accessd/internal/clustersys -run '^$' -bench HubApply -benchtime 50x
func BenchmarkHubApply(b *testing.B) {
	db, err := store.Open(filepath.Join(b.TempDir(), store.FileName), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	a := &factApplier{db: db, log: slog.New(slog.DiscardHandler), m: mustMetricsB(b)}
	t0 := time.Unix(1_700_000_000, 0).UTC()
	b.ResetTimer()
	for i := range b.N {
		b.StopTimer()
		facts := make([]*wire.Message, 1000)
		for j := range facts {
			n := i*1000 + j
			r := store.BindingRecord{MAC: store.MAC{2, 0, 0, byte(n >> 16), byte(n >> 8), byte(n)},
				IP: netip.AddrFrom4([4]byte{10, 64 + byte(n>>16), byte(n >> 8), byte(n)}), State: store.BindingTentative,
				Access: fmt.Sprintf("A%05d", n%480), FirstSeen: t0, LastSeen: t0, Since: t0, Expires: t0.Add(time.Hour),
				Source: store.SourceRelay, Option82: []byte{0x52, 4, 1, 2, 'p', '1'}}
			facts[j] = &wire.Message{Site: "pop-norr", Seq: uint64(n + 1), At: t0, Payload: wireBinding(&r)}
		}
		b.StartTimer()
		if err := a.ApplyFacts(context.Background(), facts); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*1000)/b.Elapsed().Seconds(), "facts/s")
}

func mustMetricsB(b *testing.B) *metrics {
	m, err := newMetrics(nil)
	if err != nil {
		b.Fatal(err)
	}
	return m
}
