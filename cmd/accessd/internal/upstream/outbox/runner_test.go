package outbox_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/stadsnat/accessd/cmd/accessd/internal/upstream/outbox"
)

// TestInOrderPerKey: every entry once, each key's entries in sequence
// order, in strict sequence order with one lane.
func TestInOrderPerKey(t *testing.T) {
	for _, conc := range []int{1, 4} {
		t.Run(fmt.Sprint("concurrency=", conc), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				g := newRig(t, outbox.Config{Concurrency: conc, PageSize: 16}, newRecorder(nil))
				g.start()
				defer g.stop(t)
				var keys []string
				for i := range 500 {
					keys = append(keys, fmt.Sprint("k", i%7))
				}
				g.add(t, "test", keys...)
				g.add(t, "other", "x") // another sink's entry is not ours
				synctest.Wait()

				got := g.sink.accepted()
				if len(got) != 500 {
					t.Fatalf("delivered %d, want 500", len(got))
				}
				for k, seqs := range perKey(got) {
					if !slices.IsSorted(seqs) || len(slices.Compact(slices.Clone(seqs))) != len(seqs) {
						t.Errorf("key %s out of order or repeated: %v", k, seqs)
					}
				}
				if conc == 1 && !slices.IsSortedFunc(got, func(a, b outbox.Entry) int { return int(a.Seq) - int(b.Seq) }) {
					t.Error("one lane did not deliver in sequence order")
				}
				s := g.status(t)
				if s.Lag != 0 || s.Delivered != 500 || s.Bytes != 0 {
					t.Errorf("status %+v", s)
				}
				if c, _ := g.st.Cursor(context.Background(), "test"); c != got[len(got)-1].Seq && conc == 1 {
					t.Errorf("cursor %d, want the last seq", c)
				}
			})
		})
	}
}

var errDown = errors.New("connect: connection refused")

// TestOutageOfADay: the upstream is down for a simulated day. The waits
// grow exponentially from Initial to the cap, with jitter, and never
// beyond; the entries stay queued and their age shows; when it returns
// everything is delivered, once, in order, and the log has one warning,
// not one per attempt.
func TestOutageOfADay(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		var down atomic.Bool
		down.Store(true)
		sink := newRecorder(func(outbox.Entry, int) error {
			if down.Load() {
				return errDown
			}
			return nil
		})
		bo := outbox.Backoff{Initial: time.Second, Max: 5 * time.Minute, Multiplier: 2, Jitter: 0.5}
		g := newRig(t, outbox.Config{Backoff: bo}, sink)
		g.start()
		defer g.stop(t)
		g.add(t, "test", "a", "b", "a")

		time.Sleep(24 * time.Hour)
		synctest.Wait()
		s := g.status(t)
		if s.Lag != 3 || s.OldestAge < 24*time.Hour || s.Failing == 0 || !strings.Contains(s.LastError, "connection refused") ||
			s.LastErrorClass != "transient" || s.RetryAt.Before(time.Now()) {
			t.Errorf("status after a day down: %+v", s)
		}
		if age := g.metric(t, "accessd_upstream_oldest_undelivered_age_seconds", "sink", "test"); age < 86400 {
			t.Errorf("oldest age metric %v", age)
		}
		times := sink.attemptTimes()
		// 24h at waits of 2.5–5 minutes, after the ramp: between 288 and 600.
		if n := len(times); n < 288 || n > 600 {
			t.Errorf("%d attempts in a day", n)
		}
		for i := 1; i < len(times); i++ {
			gap := times[i].Sub(times[i-1])
			ceil := bo.Max
			if i < 20 {
				ceil = min(time.Second<<(i-1), bo.Max)
			}
			if gap > ceil || gap < ceil/2 {
				t.Fatalf("wait %d was %v, want within [%v, %v]", i, gap, ceil/2, ceil)
			}
		}
		if got := g.metric(t, "accessd_upstream_failures_total", "sink", "test", "class", "transient"); int(got) != len(times) {
			t.Errorf("failures metric %v, want %d", got, len(times))
		}

		down.Store(false)
		time.Sleep(bo.Max)
		synctest.Wait()
		got := g.sink.accepted()
		if diff := cmp.Diff([]string{"a", "b", "a"}, keysOf(got)); diff != "" {
			t.Errorf("after the outage (-want +got):\n%s", diff)
		}
		s = g.status(t)
		if s.Lag != 0 || s.Failing != 0 || s.LastSuccess.Sub(start) < 24*time.Hour {
			t.Errorf("status after recovery: %+v", s)
		}
		log := g.log.String()
		if n := strings.Count(log, "level=WARN"); n != 1 {
			t.Errorf("%d warnings for one outage", n)
		}
		if !strings.Contains(log, "upstream delivery recovered") {
			t.Error("the recovery was not logged")
		}
	})
}

func keysOf(es []outbox.Entry) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.Key)
	}
	return out
}

// TestPermanentParks: a refused entry is parked with its error and the
// rest go on; Retry requeues it with its idempotency key.
func TestPermanentParks(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var refuse atomic.Bool
		refuse.Store(true)
		sink := newRecorder(func(e outbox.Entry, _ int) error {
			if e.Key == "bad" && refuse.Load() {
				return outbox.HTTPStatus(400, []byte(`{"cause": "number has 10 digits"}`))
			}
			return nil
		})
		g := newRig(t, outbox.Config{}, sink)
		g.start()
		defer g.stop(t)
		g.add(t, "test", "a", "bad", "b")
		synctest.Wait()

		if diff := cmp.Diff([]string{"a", "b"}, keysOf(sink.accepted())); diff != "" {
			t.Errorf("delivered (-want +got):\n%s", diff)
		}
		parked, err := g.r.ListParked(context.Background(), 0, 10)
		if err != nil || len(parked) != 1 {
			t.Fatalf("parked %+v, %v", parked, err)
		}
		p := parked[0]
		if p.Key != "bad" || p.Attempts != 1 || !strings.Contains(p.Error, "400 Bad Request") || !strings.Contains(p.Error, "10 digits") {
			t.Errorf("parked %+v", p)
		}
		if s := g.status(t); s.Parked != 1 || s.Lag != 0 || s.LastErrorClass != "permanent" {
			t.Errorf("status %+v", s)
		}
		if v := g.metric(t, "accessd_upstream_parked_entries", "sink", "test"); v != 1 {
			t.Errorf("parked metric %v", v)
		}

		refuse.Store(false)
		if n, err := g.r.Retry(context.Background()); n != 1 || err != nil {
			t.Fatalf("retry = %d, %v", n, err)
		}
		synctest.Wait()
		got := sink.accepted()
		if last := got[len(got)-1]; last.Key != "bad" || last.IdempotencyKey != p.IdempotencyKey || last.Seq <= p.Seq {
			t.Errorf("after retry the last delivery is %+v", last)
		}
		if s := g.status(t); s.Parked != 0 {
			t.Errorf("still parked: %+v", s)
		}
	})
}

// TestAuthPauses: a 401 pauses the sink, visibly, and nothing is tried
// until it is resumed or retried.
func TestAuthPauses(t *testing.T) {
	for _, how := range []string{"resume", "retry"} {
		t.Run(how, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				sink := newRecorder(func(outbox.Entry, int) error { return outbox.HTTPStatus(401, []byte("missing api-key")) })
				g := newRig(t, outbox.Config{}, sink)
				g.start()
				defer g.stop(t)
				g.add(t, "test", "a", "b")
				synctest.Wait()
				calls := sink.calls()
				time.Sleep(6 * time.Hour)
				synctest.Wait()
				if sink.calls() != calls || calls != 1 {
					t.Errorf("%d calls, then %d while paused; want 1 and no more", calls, sink.calls())
				}
				s := g.status(t)
				if !s.Paused || s.PauseReason != outbox.PauseAuth || !strings.Contains(s.PauseError, "401") || s.Lag != 2 {
					t.Errorf("status %+v", s)
				}
				if v := g.metric(t, "accessd_upstream_paused", "sink", "test", "reason", "auth"); v != 1 {
					t.Errorf("paused{auth} = %v", v)
				}
				if v := g.metric(t, "accessd_upstream_failures_total", "sink", "test", "class", "auth"); v != 1 {
					t.Errorf("failures{auth} = %v", v)
				}

				sink.setFail(nil)
				if how == "resume" {
					g.r.Resume()
				} else if _, err := g.r.Retry(context.Background()); err != nil {
					t.Fatal(err)
				}
				synctest.Wait()
				if diff := cmp.Diff([]string{"a", "b"}, keysOf(sink.accepted())); diff != "" {
					t.Errorf("after %s (-want +got):\n%s", how, diff)
				}
				if s := g.status(t); s.Paused {
					t.Errorf("still paused: %+v", s)
				}
				if v := g.metric(t, "accessd_upstream_paused", "sink", "test", "reason", "auth"); v != 0 {
					t.Errorf("paused{auth} = %v after %s", v, how)
				}
			})
		})
	}
}

// TestOperatorPause: entries wait while paused, an attempt under way is
// abandoned and made again after Resume.
func TestOperatorPause(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sink := newRecorder(nil)
		sink.block = make(chan struct{})
		g := newRig(t, outbox.Config{}, sink)
		g.start()
		defer g.stop(t)
		g.add(t, "test", "a")
		synctest.Wait() // Deliver of a is blocked
		g.r.Pause()
		synctest.Wait()
		g.add(t, "test", "b")
		time.Sleep(time.Hour)
		synctest.Wait()
		if n := len(sink.accepted()); n != 0 {
			t.Fatalf("%d delivered while paused", n)
		}
		if s := g.status(t); !s.Paused || s.PauseReason != outbox.PauseOperator || s.Lag != 2 {
			t.Errorf("status %+v", s)
		}
		if v := g.metric(t, "accessd_upstream_paused", "sink", "test", "reason", "operator"); v != 1 {
			t.Errorf("paused{operator} = %v", v)
		}
		sink.mu.Lock()
		sink.block = nil
		sink.mu.Unlock()
		g.r.Resume()
		synctest.Wait()
		if diff := cmp.Diff([]string{"a", "b"}, keysOf(sink.accepted())); diff != "" {
			t.Errorf("after resume (-want +got):\n%s", diff)
		}
	})
}

// TestRetryEndsBackoff: Retry tries now instead of waiting out the
// back-off.
func TestRetryEndsBackoff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var down atomic.Bool
		down.Store(true)
		sink := newRecorder(func(outbox.Entry, int) error {
			if down.Load() {
				return errDown
			}
			return nil
		})
		g := newRig(t, outbox.Config{Backoff: outbox.Backoff{Initial: time.Hour, Max: time.Hour}}, sink)
		g.start()
		defer g.stop(t)
		g.add(t, "test", "a")
		synctest.Wait()
		down.Store(false)
		start := time.Now()
		if _, err := g.r.Retry(context.Background()); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		if len(sink.accepted()) != 1 || time.Since(start) != 0 {
			t.Errorf("delivered %d after %v", len(sink.accepted()), time.Since(start))
		}
	})
}
