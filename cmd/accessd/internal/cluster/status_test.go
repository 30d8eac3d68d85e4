package cluster

import (
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeClock is a clock the test moves; it starts at the real time.
type fakeClock struct{ offset atomic.Int64 }

func (c *fakeClock) now() time.Time      { return time.Now().Add(time.Duration(c.offset.Load())) }
func (c *fakeClock) add(d time.Duration) { c.offset.Add(int64(d)) }

// staleLog records the OnStale and OnFresh calls.
type staleLog struct {
	mu    sync.Mutex
	stale map[string]time.Time
	fresh map[string]int
}

func (l *staleLog) deps(clock *fakeClock) Deps {
	l.stale, l.fresh = map[string]time.Time{}, map[string]int{}
	return Deps{
		Now: clock.now,
		OnStale: func(site string, since time.Time) {
			l.mu.Lock()
			defer l.mu.Unlock()
			l.stale[site] = since
		},
		OnFresh: func(site string) {
			l.mu.Lock()
			defer l.mu.Unlock()
			l.fresh[site]++
		},
	}
}

// waitStale waits until site was reported stale and returns since when.
func (l *staleLog) waitStale(t *testing.T, site string) time.Time {
	t.Helper()
	var since time.Time
	waitFor(t, site+" stale", func() error {
		l.mu.Lock()
		defer l.mu.Unlock()
		s, ok := l.stale[site]
		if !ok {
			return fmt.Errorf("stale %v", l.stale)
		}
		since = s
		return nil
	})
	return since
}

func TestStaleSites(t *testing.T) {
	root := t.TempDir()
	clock := &fakeClock{}
	var log staleLog
	hubDir := filepath.Join(root, "hub")
	opts := hubOptions(t, hubDir, "127.0.0.1:0", []string{"pop-norr", "pop-syd"}, nil)
	opts.Staleness = time.Minute
	hub := startNode(t, "hub", hubDir, opts, log.deps(clock))
	started := hub.node.started
	dir := filepath.Join(root, "pop-norr")
	edge := startNode(t, "pop-norr", dir, edgeOptions(t, dir, "pop-norr", hub.node.LeafAddr(), nil), Deps{})
	waitFor(t, "pop-norr connected", func() error {
		for _, s := range hub.node.Status().Sites {
			if s.Site == "pop-norr" && s.Connected {
				return nil
			}
		}
		return fmt.Errorf("sites %+v", hub.node.Status().Sites)
	})

	// Two minutes on: pop-syd, never heard from, is stale since the hub
	// started; pop-norr is connected and is not.
	clock.add(2 * time.Minute)
	if since := log.waitStale(t, "pop-syd"); !since.Equal(started) {
		t.Errorf("pop-syd stale since %v, want the hub's start %v", since, started)
	}
	log.mu.Lock()
	if _, ok := log.stale["pop-norr"]; ok {
		t.Error("connected pop-norr called stale")
	}
	log.mu.Unlock()
	got := hub.node.StaleSites()
	if len(got) != 1 || got[0].Site != "pop-syd" {
		t.Errorf("StaleSites = %+v", got)
	}
	if v := hub.counter("accessd_cluster_site_stale", "site", "pop-syd"); v != 1 {
		t.Errorf("accessd_cluster_site_stale{site=pop-syd} = %v", v)
	}

	// pop-norr goes away; a minute later it is stale since it was last
	// heard from, and fresh again when it is back.
	edge.stop()
	waitFor(t, "pop-norr disconnected and its source silent", func() error {
		st := hub.node.Status()
		for _, s := range st.Sites {
			if s.Site == "pop-norr" && s.Connected {
				return fmt.Errorf("still connected")
			}
		}
		for _, src := range streamOf(st, StreamFacts).Sources {
			if src.Name == "pop-norr" && src.active() {
				return fmt.Errorf("source still active %+v", src)
			}
		}
		return nil
	})
	clock.add(2 * time.Minute)
	log.waitStale(t, "pop-norr")
	edge.restart()
	waitFor(t, "pop-norr fresh again", func() error {
		log.mu.Lock()
		defer log.mu.Unlock()
		if log.fresh["pop-norr"] != 1 {
			return fmt.Errorf("fresh %v", log.fresh)
		}
		return nil
	})
}
