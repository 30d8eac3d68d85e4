package cluster

import (
	"context"
	"errors"
	"log/slog"
	"time"
)

// ErrStorePaused, wrapped in an applier's error, says that the store takes
// no writes for now (the daemon's store is read-only on a full disk): the
// node then tries again every storePausedWait and says so once, instead
// of a warning at every try; JetStream keeps what waits.
var ErrStorePaused = errors.New("the store takes no writes for now")

// storePausedWait is the wait between tries while the store is paused
// (the store probes its free space every few seconds).
const storePausedWait = 5 * time.Second

// retry is the state of a loop that applies until it works: a back-off
// for failures, a steady wait and one log line for a paused store.
type retry struct {
	bo     Backoff
	paused bool
}

// failed logs err (what failed: "apply facts") and waits before the next
// try, or until ctx ends.
func (r *retry) failed(ctx context.Context, log *slog.Logger, what string, err error, attrs ...any) {
	if !errors.Is(err, ErrStorePaused) {
		log.Warn("cannot "+what+"; retrying", append(attrs, "err", err)...)
		r.bo.Wait(ctx)
		return
	}
	if !r.paused {
		r.paused = true
		log.Warn("cannot "+what+" while the store takes no writes (read-only: a full disk); trying again every 5s",
			append(attrs, "err", err)...)
	}
	t := time.NewTimer(storePausedWait)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// ok ends a run of failures.
func (r *retry) ok(log *slog.Logger, what string) {
	if r.paused {
		log.Info("the store takes writes again: " + what + " goes on")
		r.paused = false
	}
	r.bo.Reset()
}
