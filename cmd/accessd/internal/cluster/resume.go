package cluster

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Why the hub restarts a site's source itself (issue 13).
//
// The hub's server copies a site's facts with a consumer it makes on the
// site's stream ("$JS.<site>.API.CONSUMER.CREATE…"). When it finds the
// source silent (no heartbeat for 10 s) or starts, it sends that request
// and then waits for the reply: 30 s (nats-server 2.15 stream.go,
// srcConsumerWaitTime) while the source is marked "setup in progress".
// A request sent while the leaf node is down goes nowhere, and a reply
// never comes. When the leaf node returns, the server's own kick
// (leafnode.go, checkInternalSyncConsumers → retryDisconnectedSyncConsumers)
// skips a source whose setup is in progress; after the 30 s the server
// counts a failure and waits its back-off (2 s and 10 s per failure so
// far, up to 2 min) before it asks again: the facts kept at the edge start
// to flow 30 s to 2.5 min after the link is back, ~40 s in the benchmarks.
//
// No setting shortens that wait; a change of the stream's sources is the
// lever the server offers: removing a source drops its state (and the
// request in flight with it) and adding it back makes a new consumer at
// once, from after the last sequence of the site the stream holds (the
// stream's own index of its sources, scanned back from the end when the
// source is added). So the hub watches its sources: a listed site whose
// source has been silent while the site's JetStream answers (the hub asks
// for its facts stream's info) for resumeGrace gets its source removed
// and added again. The facts stay exactly once: the new consumer starts
// after what the stream holds of the site, the stream drops a repeated
// Nats-Msg-Id within its duplicate window, and the applier skips facts
// at or below the marks whatever the stream holds.

const (
	// resumeTick is how often the hub looks at its sources.
	resumeTick = time.Second
	// resumeGrace is how long a site must have answered with its source
	// still silent before the hub restarts the source: the server's own
	// kick on a leaf connection works within it when it can.
	resumeGrace = 2 * time.Second
	// resumeAgain is the least time between two restarts of one source:
	// a restarted source makes its consumer within it when the site
	// answers.
	resumeAgain = 10 * time.Second
	// resumeProbeTimeout bounds the question to a site's JetStream (a
	// busy site answers late, a cut-off one at once: no responders).
	resumeProbeTimeout = 3 * time.Second
)

// resumeState is what the hub remembers per site between its looks.
type resumeState struct {
	answering time.Time // since when the site answers while its source is silent
	restarted time.Time // the last restart of its source
}

// resumeSources is the hub's loop that restarts the source of a site
// which answers while its source stays silent (see above).
func (n *Node) resumeSources(ctx context.Context, c *conn) error {
	// Hub instances sharing one server look at it at different moments,
	// so one of them restarts a source and the others then see it heard.
	select {
	case <-ctx.Done():
		return nil
	case <-time.After(rand.N(resumeTick)):
	}
	t := time.NewTicker(resumeTick)
	defer t.Stop()
	state := map[string]*resumeState{}
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			n.resumeStep(ctx, c, state)
		}
	}
}

// resumeStep takes one look: it finds the silent sources, asks their
// sites, and restarts the sources due.
func (n *Node) resumeStep(ctx context.Context, c *conn, state map[string]*resumeState) {
	n.resumeMu.Lock()
	defer n.resumeMu.Unlock()
	silent, missing, err := n.silentSources(ctx, c)
	if err != nil {
		n.log.Debug("cannot read the facts stream's sources", "stream", StreamFacts, "err", err)
		return
	}
	if len(missing) > 0 {
		// A restart broken off between its two updates: add them back.
		n.restoreSources(ctx, c, missing)
	}
	for site := range state {
		if !slices.Contains(silent, site) {
			state[site].answering = time.Time{}
		}
	}
	answers := n.probeSites(ctx, silent)
	now := time.Now()
	var due []string
	for _, site := range silent {
		s := state[site]
		if s == nil {
			s = &resumeState{}
			state[site] = s
		}
		if !answers[site] {
			s.answering = time.Time{}
			continue
		}
		if s.answering.IsZero() {
			s.answering = now
		}
		if now.Sub(s.answering) >= resumeGrace && now.Sub(s.restarted) >= resumeAgain {
			due = append(due, site)
		}
	}
	for _, site := range due {
		if err := n.restartSourceLocked(ctx, c, site); err != nil {
			n.log.Warn("cannot restart the source of a site that answers; the server retries it later",
				"source_site", site, "stream", StreamFacts, "err", err)
			continue
		}
		state[site].restarted = now
		n.m.sourceRestarts.WithLabelValues(site).Inc()
	}
}

// silentSources returns the listed sites whose source has not been heard
// from lately, and those the stream's configuration lacks.
func (n *Node) silentSources(ctx context.Context, c *conn) (silent, missing []string, err error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	s, err := c.js.Stream(ctx, StreamFacts)
	if err != nil {
		return nil, nil, err
	}
	info := s.CachedInfo()
	seen := map[string]bool{}
	for _, src := range info.Sources {
		ss := sourceStatus(src)
		seen[ss.Name] = true
		if !ss.active() {
			silent = append(silent, ss.Name)
		}
	}
	for _, site := range n.opts.Sites {
		if !seen[site] {
			missing = append(missing, site)
		}
	}
	silent = slices.DeleteFunc(silent, func(site string) bool { return !n.st.listed(site) })
	return silent, missing, nil
}

// probeSites asks each site's JetStream for its facts stream, all at
// once; it returns the sites that answered.
func (n *Node) probeSites(ctx context.Context, sites []string) map[string]bool {
	var mu sync.Mutex
	var wg sync.WaitGroup
	answers := map[string]bool{}
	for _, site := range sites {
		wg.Go(func() {
			ok := n.siteAnswers(ctx, site)
			mu.Lock()
			answers[site] = ok
			mu.Unlock()
		})
	}
	wg.Wait()
	return answers
}

// siteAnswers reports whether the site's JetStream answers for its facts
// stream: a source consumer asked for now would be made.
func (n *Node) siteAnswers(ctx context.Context, site string) bool {
	c, err := n.current()
	if err != nil {
		return false
	}
	ctx, cancel := context.WithTimeout(ctx, resumeProbeTimeout)
	defer cancel()
	js, err := jetstream.NewWithDomain(c.nc, site)
	if err != nil {
		return false
	}
	_, err = js.Stream(ctx, StreamFacts)
	return err == nil
}

// restartSource removes the site's source from the hub's facts stream
// and adds it again, so the server makes its consumer now.
func (n *Node) restartSource(ctx context.Context, c *conn, site string) error {
	n.resumeMu.Lock()
	defer n.resumeMu.Unlock()
	return n.restartSourceLocked(ctx, c, site)
}

func (n *Node) restartSourceLocked(ctx context.Context, c *conn, site string) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	// The stream's configuration as it is (another hub instance may
	// have changed it), less the site's source, then as it was.
	s, err := c.js.Stream(ctx, StreamFacts)
	if err != nil {
		return fmt.Errorf("read the stream: %w", err)
	}
	cfg := s.CachedInfo().Config
	isSite := sourceOf(site)
	if !slices.ContainsFunc(cfg.Sources, isSite) {
		return fmt.Errorf("the stream has no source of %s", site)
	}
	without := cfg
	without.Sources = slices.DeleteFunc(slices.Clone(cfg.Sources), isSite)
	// The server names its consumer of a source after the stream alone
	// while one source reads a stream of that name, after the source too
	// while several do (every site's stream is FACTS). Left alone, the
	// last other source would be renamed: the server deletes its
	// consumer under it and the site falls silent. It restarts with this
	// one instead, resuming after its last fact the same way.
	if len(without.Sources) == 1 {
		without.Sources = nil
	}
	if _, err := c.js.UpdateStream(ctx, without); err != nil {
		return fmt.Errorf("remove the source: %w", err)
	}
	if _, err := c.js.UpdateStream(ctx, cfg); err != nil {
		return fmt.Errorf("add the source again: %w", err)
	}
	n.log.Info("restarted the source of a site whose JetStream answers while its source was silent",
		"source_site", site, "stream", StreamFacts)
	return nil
}

// restoreSources puts the listed sites' sources back into the stream's
// configuration.
func (n *Node) restoreSources(ctx context.Context, c *conn, sites []string) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, err := c.js.UpdateStream(ctx, n.opts.hubFactsConfig()); err != nil {
		n.log.Warn("cannot add the sources of listed sites back to the facts stream", "stream", StreamFacts,
			"sites", sites, "err", err)
		return
	}
	n.log.Info("added the sources of listed sites back to the facts stream", "stream", StreamFacts, "sites", sites)
}

// sourceOf matches the hub's facts stream's source of site (by its
// domain's API prefix).
func sourceOf(site string) func(*jetstream.StreamSource) bool {
	return func(s *jetstream.StreamSource) bool {
		return s.External != nil && s.External.APIPrefix == "$JS."+site+".API"
	}
}
