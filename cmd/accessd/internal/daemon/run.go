package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-systemd/v22/daemon"
	"golang.org/x/sync/errgroup"

	"github.com/stadsnat/accessd/cmd/accessd/internal/subsys"
)

// readiness tracks which tasks are ready.
type readiness struct {
	mu      sync.Mutex
	pending map[string]bool
	all     chan struct{}
}

func newReadiness(tasks []subsys.Task) *readiness {
	r := &readiness{pending: map[string]bool{}, all: make(chan struct{})}
	for _, t := range tasks {
		r.pending[t.Name] = true
	}
	if len(r.pending) == 0 {
		close(r.all)
	}
	return r
}

func (r *readiness) mark(name string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.pending[name] {
		return
	}
	delete(r.pending, name)
	if len(r.pending) == 0 {
		close(r.all)
	}
}

// notReady lists the tasks that are not ready yet, sorted.
func (r *readiness) notReady() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for n := range r.pending {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// notifier is the systemd notification socket (a no-op outside systemd).
type notifier struct{ log *slog.Logger }

func (n notifier) send(state string) {
	if _, err := daemon.SdNotify(false, state); err != nil {
		n.log.Warn("cannot notify systemd", "state", strings.ReplaceAll(state, "\n", " "), "err", err)
	}
}

// runTasks runs every task in one errgroup until ctx is done or one fails,
// tells systemd READY=1 when all are ready, pings the watchdog while alive()
// succeeds, and says STOPPING=1 when it begins to stop.
func runTasks(ctx context.Context, log *slog.Logger, tasks []subsys.Task, rd *readiness, status func() string, alive func() error) error {
	n := notifier{log: log}
	g, gctx := errgroup.WithContext(ctx)
	for _, t := range tasks {
		g.Go(func() error {
			err := t.Run(gctx, func() {
				rd.mark(t.Name)
				log.Debug("task ready", "task", t.Name)
			})
			if err != nil && !errors.Is(err, context.Canceled) {
				return fmt.Errorf("%s: %w", t.Name, err)
			}
			return nil
		})
	}
	g.Go(func() error {
		select {
		case <-rd.all:
		case <-gctx.Done():
			return nil
		}
		st := status()
		n.send("READY=1\nSTATUS=" + st)
		log.Info("accessd ready", "status", st)
		return nil
	})
	g.Go(func() error { return watchdog(gctx, log, n, alive) })
	g.Go(func() error {
		<-gctx.Done()
		n.send("STOPPING=1\nSTATUS=stopping")
		return nil
	})
	return g.Wait()
}

// watchdog pings systemd's watchdog at half of WatchdogSec, but only while
// alive() — a read of the store — succeeds: a daemon whose store hangs
// stops pinging and systemd restarts it.
func watchdog(ctx context.Context, log *slog.Logger, n notifier, alive func() error) error {
	interval, err := daemon.SdWatchdogEnabled(false)
	if err != nil || interval == 0 {
		return nil
	}
	tick := time.NewTicker(interval / 2)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
			if err := alive(); err != nil {
				log.Error("store does not answer, not pinging the watchdog", "err", err)
				continue
			}
			n.send("WATCHDOG=1")
		}
	}
}
