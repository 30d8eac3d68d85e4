package cluster

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
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
