package cluster

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

// While the store takes no writes (a full disk) an applying loop tries
// again every storePausedWait and says so once, then once that it goes on;
// other failures are each logged and backed off.
func TestRetryWaitsQuietlyWhileTheStoreIsPaused(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var buf bytes.Buffer
		log := slog.New(slog.NewTextHandler(&buf, nil))
		ctx := context.Background()
		var r retry
		readOnly := fmt.Errorf("apply 3 facts: %w: %w", ErrStorePaused, errors.New("the store is read-only: 2 MiB free"))
		start := time.Now()
		for range 3 {
			r.failed(ctx, log, "apply facts", readOnly, "stream", StreamFacts)
		}
		if got := time.Since(start); got != 3*storePausedWait {
			t.Errorf("waited %v for 3 tries, want %v", got, 3*storePausedWait)
		}
		r.ok(log, "applying facts")
		r.failed(ctx, log, "apply facts", errors.New("injected"), "stream", StreamFacts)
		r.failed(ctx, log, "apply facts", errors.New("injected"), "stream", StreamFacts)
		lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
		want := []string{"while the store takes no writes", "the store takes writes again: applying facts goes on",
			"cannot apply facts; retrying", "cannot apply facts; retrying"}
		if len(lines) != len(want) {
			t.Fatalf("log:\n%s\nwant %d lines", buf.String(), len(want))
		}
		for i, w := range want {
			if !strings.Contains(lines[i], w) {
				t.Errorf("line %d %q lacks %q", i, lines[i], w)
			}
		}
		if !strings.Contains(lines[0], "2 MiB free") || !strings.Contains(lines[0], "stream=FACTS") {
			t.Errorf("the pause's line names neither the cause nor the stream: %s", lines[0])
		}
	})
}

// The back-off doubles from 100 ms up to its Max (10 s when none), and
// starts again after Reset.
func TestBackoffDelays(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // Wait returns at once; the delays are what it would wait
	delays := func(b *Backoff, n int) []time.Duration {
		var ds []time.Duration
		for range n {
			b.Wait(ctx)
			ds = append(ds, b.d)
		}
		return ds
	}
	ms := time.Millisecond
	if got, want := delays(&Backoff{Max: time.Second}, 6), []time.Duration{100 * ms, 200 * ms, 400 * ms, 800 * ms, time.Second, time.Second}; !slices.Equal(got, want) {
		t.Errorf("Max 1s: %v, want %v", got, want)
	}
	b := &Backoff{}
	if got := delays(b, 9); got[8] != 10*time.Second || got[7] != 10*time.Second || got[6] != 6400*ms {
		t.Errorf("no Max: %v, want up to 10s", got)
	}
	b.Reset()
	if got := delays(b, 1); got[0] != 100*ms {
		t.Errorf("after Reset: %v", got)
	}
}
