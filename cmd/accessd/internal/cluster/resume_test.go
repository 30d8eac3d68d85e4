package cluster

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// After a restart the hub's server asks the edge for its source consumer
// at once; while the edge cannot reach it (a proxy between them is down)
// that request is lost, and the server would wait 30 s for its reply and
// then its back-off, whatever the leaf node does meanwhile. The hub
// restarts the source as soon as the edge answers, and the facts the
// edge kept arrive once.
func TestHubRestartsTheSilentSourceOfAnAnsweringSite(t *testing.T) {
	root := t.TempDir()
	hubDir := filepath.Join(root, "hub")
	hub := startNode(t, "hub", hubDir, hubOptions(t, hubDir, freeAddr(t), []string{"pop-norr"}, nil), Deps{})
	px := newProxy(t, hub.node.LeafAddr())
	dir := filepath.Join(root, "pop-norr")
	edge := startNode(t, "pop-norr", dir, edgeOptions(t, dir, "pop-norr", px.addr, nil), Deps{})
	ctx := context.Background()
	if _, err := publishAll(ctx, edge.node, testFacts(1, 500), 100); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the first facts at the hub", func() error { return converged(hub, 500, "pop-norr") })
	px.stop()
	hub.stop()
	if _, err := publishAll(ctx, edge.node, testFacts(501, 3000), 100); err != nil {
		t.Fatal(err)
	}
	hub = hub.restart() // its request for the source goes nowhere
	px.start()
	waitFor(t, "the hub to converge after its restart", func() error { return converged(hub, 3000, "pop-norr") })
	if got := hub.counter("accessd_cluster_source_restarts_total", "site", "pop-norr"); got < 1 {
		t.Errorf("accessd_cluster_source_restarts_total{site=pop-norr} = %v, want at least 1", got)
	}
	waitFor(t, "the hub's stream to hold every fact once", func() error {
		kept, err := factsInStream(hub.node)
		if err != nil {
			return err
		}
		return onceEach(kept["pop-norr"], 3000)
	})
}

// A restart of a source while facts flow neither skips nor repeats one:
// the source resumes after the last sequence of the site the hub's stream
// holds. Like the hub's own restarts (one per silent source), each waits
// until the facts flow again: restarts back to back leave the server
// setups in flight whose late failures stretch its back-off.
func TestSourceRestartsMidStreamNeitherLoseNorRepeat(t *testing.T) {
	root := t.TempDir()
	hubDir := filepath.Join(root, "hub")
	hub := startNode(t, "hub", hubDir, hubOptions(t, hubDir, "127.0.0.1:0", []string{"pop-norr", "pop-syd"}, nil), Deps{})
	var edges []*testNode
	for _, site := range []string{"pop-norr", "pop-syd"} {
		dir := filepath.Join(root, site)
		edges = append(edges, startNode(t, site, dir, edgeOptions(t, dir, site, hub.node.LeafAddr(), nil), Deps{}))
	}
	const n = 20_000
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, len(edges))
	for _, e := range edges {
		go func() {
			_, err := publishAll(ctx, e.node, testFacts(1, n), 200)
			done <- err
		}()
	}
	c, err := hub.node.current()
	if err != nil {
		t.Fatal(err)
	}
	restarts := 0
	for ; restarts < 10; restarts++ {
		before := len(hub.facts.seqs("pop-norr"))
		if before >= n {
			break
		}
		if err := hub.node.restartSource(ctx, c, "pop-norr"); err != nil {
			t.Fatalf("restart %d: %v", restarts+1, err)
		}
		// A restart that meets the server's source set-up still in
		// flight (seen under -race) waits for the server's own retry:
		// its 30 s wait and a back-off of 10 s per failure.
		waitLong(t, 3*time.Minute, "pop-norr's facts to flow again", func() error {
			if got := len(hub.facts.seqs("pop-norr")); got == before && got < n {
				return fmt.Errorf("%d facts applied", got)
			}
			return nil
		})
	}
	for range edges {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("restarted the source of pop-norr %d times while %d facts of each site flowed", restarts, n)
	waitFor(t, "the hub to converge", func() error { return converged(hub, n, "pop-norr", "pop-syd") })
	waitFor(t, "the hub's stream to hold every fact once", func() error {
		kept, err := factsInStream(hub.node)
		if err != nil {
			return err
		}
		return errors.Join(onceEach(kept["pop-norr"], n), onceEach(kept["pop-syd"], n))
	})
}

// A restart cut off between its two changes (the source removed, not yet
// added again: the hub stopped, the server refused) leaves the stream
// without a listed site's source; the hub adds it back by itself, and the
// site's facts flow again, none lost.
func TestHubAddsARemovedSourceBack(t *testing.T) {
	root := t.TempDir()
	hubDir := filepath.Join(root, "hub")
	hub := startNode(t, "hub", hubDir, hubOptions(t, hubDir, "127.0.0.1:0", []string{"pop-norr", "pop-syd"}, nil), Deps{})
	edgeDir := filepath.Join(root, "pop-norr")
	edge := startNode(t, "pop-norr", edgeDir, edgeOptions(t, edgeDir, "pop-norr", hub.node.LeafAddr(), nil), Deps{})
	ctx := context.Background()
	if _, err := publishAll(ctx, edge.node, testFacts(1, 100), 50); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the first facts at the hub", func() error { return converged(hub, 100, "pop-norr") })

	c, err := hub.node.current()
	if err != nil {
		t.Fatal(err)
	}
	s, err := c.js.Stream(ctx, StreamFacts)
	if err != nil {
		t.Fatal(err)
	}
	cfg := s.CachedInfo().Config
	cfg.Sources = slices.DeleteFunc(cfg.Sources, sourceOf("pop-norr"))
	if _, err := c.js.UpdateStream(ctx, cfg); err != nil {
		t.Fatalf("removing pop-norr's source: %v", err)
	}
	waitFor(t, "pop-norr's source back in the facts stream", func() error {
		s, err := c.js.Stream(ctx, StreamFacts)
		if err != nil {
			return err
		}
		if slices.ContainsFunc(s.CachedInfo().Config.Sources, sourceOf("pop-norr")) {
			return nil
		}
		return fmt.Errorf("sources %d, none of pop-norr", len(s.CachedInfo().Config.Sources))
	})
	if _, err := publishAll(ctx, edge.node, testFacts(101, 200), 50); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the hub to converge after the source came back", func() error { return converged(hub, 200, "pop-norr") })
}
