package memstore_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/stadsnat/accessd/cmd/accessd/internal/upstream/outbox/memstore"
	"github.com/stadsnat/accessd/cmd/accessd/internal/upstream/outbox/storagetest"
)

func TestConformance(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, budget int64) storagetest.Harness {
		s := memstore.New(memstore.Options{Budget: budget})
		return storagetest.Harness{Storage: s, Append: s}
	})
}

// BenchmarkAppendOverBudget: with one entry per key nothing can be
// compacted, and appends over the budget must not rescan the queue each
// time (a quadratic outage).
func BenchmarkAppendOverBudget(b *testing.B) {
	ctx := context.Background()
	s := memstore.New(memstore.Options{Budget: 1})
	b.ReportAllocs()
	for i := range b.N {
		if err := s.Append(ctx, storagetest.E("a", fmt.Sprint(i), 64)); err != nil {
			b.Fatal(err)
		}
	}
}
