package testkit

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// PollInterval is how often WaitUntil tries its condition.
const PollInterval = 20 * time.Millisecond

// WaitUntil polls cond every PollInterval until it holds, and returns how
// long that took. When timeout passes first it fails the test: "timed out
// after TIMEOUT waiting for WHAT". For conditions on processes and sockets
// (real time); code under test that takes a clock belongs in a
// testing/synctest bubble instead.
func WaitUntil(t testing.TB, timeout time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > timeout {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(PollInterval)
	}
	return time.Since(start)
}

// Task is a goroutine a test started with Go.
type Task struct {
	t      testing.TB
	name   string
	cancel context.CancelFunc
	done   chan struct{}
	err    error
	once   sync.Once
}

// Go runs run(ctx) in a goroutine for the test, as the daemon's errgroup
// would. Stop (or the end of the test) cancels ctx, waits for run to
// return and fails the test if it returned an error other than ctx's
// cancellation: a task's error is never lost.
func Go(t testing.TB, name string, run func(ctx context.Context) error) *Task {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	k := &Task{t: t, name: name, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(k.done)
		k.err = run(ctx)
	}()
	t.Cleanup(k.Stop)
	return k
}

// Done is closed when the task has returned.
func (k *Task) Done() <-chan struct{} { return k.done }

// Stop cancels the task, waits for it, and fails the test if it returned
// an error other than context.Canceled. It may be called more than once.
func (k *Task) Stop() {
	k.t.Helper()
	k.once.Do(func() {
		k.cancel()
		<-k.done
		if k.err != nil && !errors.Is(k.err, context.Canceled) {
			k.t.Errorf("%s: %v", k.name, k.err)
		}
	})
}

// Err waits for the task to return by itself (without cancelling it) and
// returns its error; Stop then reports nothing more.
func (k *Task) Err() error {
	<-k.done
	k.once.Do(k.cancel)
	return k.err
}
