package activation_test

import (
	"fmt"
	"log/slog"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/stadsnat/accessd/api/activation"
	"github.com/stadsnat/accessd/api/activation/acttest"
	"github.com/stadsnat/accessd/store"
	"github.com/stadsnat/accessd/store/catalog"
)

// BenchmarkPlaceDurable measures durable orders per second: 64 callers
// place ACTIVATE orders on distinct accesses against a store with fsync
// on, each acknowledged only after its commit (group commit shares the
// fsyncs). The figure: orders/s.
//
//	go test -run XXX -bench PlaceDurable -benchtime 5000x ./api/activation/
func BenchmarkPlaceDurable(b *testing.B) {
	db, err := store.Open(filepath.Join(b.TempDir(), store.FileName), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	const n = 20000
	in := make([]store.Incoming, n)
	for i := range in {
		in[i] = store.Incoming{Access: acttest.Access(fmt.Sprintf("B%06d", i), fmt.Sprintf("10.0.%d.%d ge-0/0/%d", i/250, i%250, i))}
	}
	if _, err := db.Inventory().Import(in, store.ImportOptions{}); err != nil {
		b.Fatal(err)
	}
	e := activation.New(activation.Options{Orders: db.Orders(), Log: slog.New(slog.DiscardHandler),
		Settings: activation.Settings{Catalog: catalog.New(acttest.Services())}})
	var next atomic.Int64
	b.SetParallelism(32) // 32 × GOMAXPROCS callers
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := next.Add(1)
			r, err := e.Place(activation.Request{Owner: fmt.Sprintf("sp%d", i/n), Channel: "bench",
				AccessID: fmt.Sprintf("B%06d", i%n), Service: "IPTV", Operation: store.Activate, Key: fmt.Sprint(i)})
			if err != nil || (r.Outcome != activation.Created && r.Outcome != activation.Refused) {
				b.Errorf("Place: %+v %v", r.Outcome, err)
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "orders/s")
}
