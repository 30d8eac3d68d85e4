package outbox_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/stadsnat/accessd/cmd/accessd/internal/upstream/outbox"
	"github.com/stadsnat/accessd/cmd/accessd/internal/upstream/outbox/memstore"
)

// gatedStorage holds every cursor move until the test lets it through,
// and fails the moves it is told to fail.
type gatedStorage struct {
	outbox.Storage
	gate chan struct{} // a move waits for a receive from it; nil: no wait
	mu   sync.Mutex
	tos  []uint64 // the cursor moves asked for
	fail int      // the next moves that fail
}

func (g *gatedStorage) Advance(ctx context.Context, sink string, seq uint64) error {
	g.mu.Lock()
	g.tos = append(g.tos, seq)
	gate := g.gate
	fail := g.fail > 0
	if fail {
		g.fail--
	}
	g.mu.Unlock()
	if gate != nil {
		<-gate
	}
	if fail {
		return errors.New("store is read-only")
	}
	return g.Storage.Advance(ctx, sink, seq)
}

func (g *gatedStorage) moves() []uint64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]uint64(nil), g.tos...)
}

func appendKeys(t *testing.T, st outbox.Appender, n int) {
	t.Helper()
	for i := range n {
		k := fmt.Sprint("k", i)
		if err := st.Append(context.Background(), outbox.Entry{Sink: "s", Key: k, IdempotencyKey: k, Kind: "k"}); err != nil {
			t.Fatal(err)
		}
	}
}

// TestCursorMovesWhileTheNextPageIsDelivered: the durable cursor move of a
// page (one per page) does not hold up the delivery of the next page, and
// no more than that one page goes ahead of a move still in flight.
func TestCursorMovesWhileTheNextPageIsDelivered(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		mem := memstore.New(memstore.Options{})
		st := &gatedStorage{Storage: mem, gate: make(chan struct{})}
		appendKeys(t, mem, 12)
		log, _ := newLog(t)
		sink := newRecorder(nil)
		r, err := outbox.NewRunner(outbox.Config{Sink: "s", PageSize: 4}, st, sink, log, nil)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { r.Run(ctx); close(done) }()

		synctest.Wait() // page 1 delivered, its move held; page 2 delivered meanwhile
		if n := len(sink.accepted()); n != 8 {
			t.Errorf("%d entries delivered while the first page's cursor move is held, want 8 (the next page, no more)", n)
		}
		if c, _ := mem.Cursor(context.Background(), "s"); c != 0 {
			t.Errorf("cursor %d before the move went through", c)
		}
		for range 3 {
			st.gate <- struct{}{}
			synctest.Wait()
		}
		if n := len(sink.accepted()); n != 12 {
			t.Errorf("%d entries delivered, want 12", n)
		}
		if c, _ := mem.Cursor(context.Background(), "s"); c != 12 {
			t.Errorf("cursor %d, want 12", c)
		}
		if diff := cmp.Diff([]uint64{4, 8, 12}, st.moves()); diff != "" {
			t.Errorf("cursor moves: one per page (-want +got):\n%s", diff)
		}
		cancel()
		<-done
	})
}

// TestFailedCursorMoveHoldsDelivery: while the storage cannot move the
// cursor, delivery stops after the page in flight (what a restart would
// deliver again stays bounded) and the runner backs off; once the
// storage works again the cursor catches up and the rest is delivered,
// each entry once.
func TestFailedCursorMoveHoldsDelivery(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		mem := memstore.New(memstore.Options{})
		st := &gatedStorage{Storage: mem, fail: 1 << 30}
		appendKeys(t, mem, 40)
		log, buf := newLog(t)
		sink := newRecorder(nil)
		r, err := outbox.NewRunner(outbox.Config{Sink: "s", PageSize: 4,
			Backoff: outbox.Backoff{Initial: time.Second, Max: 10 * time.Second}}, st, sink, log, nil)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { r.Run(ctx); close(done) }()

		time.Sleep(time.Minute)
		synctest.Wait()
		if n := len(sink.accepted()); n != 8 {
			t.Errorf("%d entries delivered while no cursor move succeeds, want 8 (two pages)", n)
		}
		if n := len(st.moves()); n < 3 || n > 30 {
			t.Errorf("%d cursor moves tried in a minute with back-off from 1 s to 10 s", n)
		}
		st.mu.Lock()
		st.fail = 0
		st.mu.Unlock()
		time.Sleep(30 * time.Second)
		synctest.Wait()
		got := sink.accepted()
		if len(got) != 40 {
			t.Errorf("%d entries delivered after the storage recovered, want 40", len(got))
		}
		for k, seqs := range perKey(got) {
			if len(seqs) != 1 {
				t.Errorf("key %s delivered %d times", k, len(seqs))
			}
		}
		if c, _ := mem.Cursor(context.Background(), "s"); c != 40 {
			t.Errorf("cursor %d, want 40", c)
		}
		if !strings.Contains(buf.String(), "outbox storage failed") {
			t.Errorf("the log does not say the storage failed:\n%s", buf.String())
		}
		cancel()
		<-done
	})
}
