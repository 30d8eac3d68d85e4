package upstream_test

import (
	"bytes"
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stadsnat/accessd/cmd/accessd/internal/upstream"
	"github.com/stadsnat/accessd/cmd/accessd/internal/upstream/outbox"
	"github.com/stadsnat/accessd/internal/testkit"
	"github.com/stadsnat/accessd/store"
)

// countingStorage counts the cursor moves the runner tries.
type countingStorage struct {
	outbox.Storage
	advances atomic.Int64
}

func (c *countingStorage) Advance(ctx context.Context, sink string, seq uint64) error {
	c.advances.Add(1)
	return c.Storage.Advance(ctx, sink, seq)
}

// syncBuf is a log sink safe for the runner's goroutines.
type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// While the store is read-only (a full disk) the delivery of a sink goes
// on from what the store holds, but its cursor cannot move: the runner
// backs off between tries (it neither spins nor stops), delivers each
// entry once, and moves the cursor once there is room again.
func TestRunnerBacksOffWhileTheStoreIsReadOnly(t *testing.T) {
	db := openStore(t, filepath.Join(t.TempDir(), store.FileName), 0)
	t.Cleanup(func() { db.Close() })
	st := &countingStorage{Storage: upstream.NewStorage(db.Outbox())}
	var entries []outbox.Entry
	for _, k := range []string{"a", "b", "c"} {
		entries = append(entries, outbox.Entry{Sink: "cubit", Key: k, IdempotencyKey: "i-" + k, Kind: "plant", Payload: []byte("{}")})
	}
	if err := upstream.NewStorage(db.Outbox()).Append(context.Background(), entries...); err != nil {
		t.Fatal(err)
	}
	db.SetMinFreeBytes(1 << 62)
	if db.Probe() {
		t.Fatal("the store did not go read-only")
	}
	var delivered atomic.Int64
	sink := outbox.SinkFunc(func(context.Context, outbox.Entry) error { delivered.Add(1); return nil })
	var logs syncBuf
	r, err := outbox.NewRunner(outbox.Config{Sink: "cubit", PollInterval: 20 * time.Millisecond,
		Backoff: outbox.Backoff{Initial: 20 * time.Millisecond, Max: 100 * time.Millisecond}},
		st, sink, slog.New(slog.NewTextHandler(&logs, nil)), nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}()

	testkit.WaitUntil(t, 10*time.Second, "the runner to try to move the cursor a few times", func() bool { return st.advances.Load() >= 3 })
	start, before := time.Now(), st.advances.Load()
	time.Sleep(500 * time.Millisecond) // an observation window, not a wait for an outcome
	tries := st.advances.Load() - before
	if perSecond := float64(tries) / time.Since(start).Seconds(); perSecond > 30 {
		t.Errorf("%d cursor moves in %v while read-only: the runner spins", tries, time.Since(start))
	}
	if c, _ := db.Outbox().Cursor("cubit"); c != 0 {
		t.Errorf("the cursor moved to %d on a read-only store", c)
	}
	if !strings.Contains(logs.String(), "read-only") {
		t.Errorf("the log does not say why delivery waits:\n%s", logs.String())
	}

	db.SetMinFreeBytes(1)
	if !db.Probe() {
		t.Fatal("the store did not become writable")
	}
	testkit.WaitUntil(t, 10*time.Second, "the cursor to move over the delivered entries", func() bool {
		c, _ := db.Outbox().Cursor("cubit")
		return c == 3
	})
	if n := delivered.Load(); n != 3 {
		t.Errorf("%d deliveries of 3 entries: each must be delivered once", n)
	}
}
