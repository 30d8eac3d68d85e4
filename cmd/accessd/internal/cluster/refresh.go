package cluster

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// sourceActiveWithin: a source or mirror heard from this recently is
// connected (the server's source heartbeats come every second).
const sourceActiveWithin = 5 * time.Second

// statusLoop refreshes the status every status_interval.
func (n *Node) statusLoop(ctx context.Context, c *conn) error {
	t := time.NewTicker(n.opts.StatusInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			n.refreshStatus(ctx, c)
		}
	}
}

// refreshStatus reads the streams, consumers and leaf connections, works
// out links and stale sites, and calls OnStale/OnFresh on changes.
func (n *Node) refreshStatus(ctx context.Context, c *conn) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	now := n.deps.Now()
	var errs []error
	var streams []StreamStatus
	for _, name := range strings.Split(n.streamNames(), ",") {
		ss, err := c.streamStatus(ctx, name)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		streams = append(streams, ss)
	}
	var unforwarded int64 = -1
	if n.opts.Role == Edge {
		unforwarded = n.edgeFacts(ctx, c, streams, c.hubSourceLag(ctx, &n.opts))
	}
	var leafs []LeafStatus
	n.mu.Lock()
	if n.srv != nil {
		for _, l := range n.srv.Leafs() {
			leafs = append(leafs, LeafStatus{Name: l.Name, Remote: l.Remote, ToHub: l.Spoke})
		}
	}
	n.mu.Unlock()

	st := &n.st
	st.mu.Lock()
	snap := Status{Role: n.opts.Role, Site: n.opts.Site, Instance: n.opts.Instance, Refreshed: now,
		Leafs: leafs, Streams: streams, UnforwardedFacts: -1, InventoryMark: st.invMark, InventoryPending: st.invPend}
	if err := errors.Join(errs...); err != nil {
		snap.Error = err.Error()
	}
	var turned []func()
	switch n.opts.Role {
	case Edge:
		n.edgeStatusLocked(&snap, now)
		snap.UnforwardedFacts = unforwarded
	case Hub:
		turned = n.hubSitesLocked(&snap, now)
	}
	st.snap = snap
	st.mu.Unlock()
	for _, f := range turned {
		f()
	}
	n.m.observe(&snap)
}

func (c *conn) streamStatus(ctx context.Context, name string) (StreamStatus, error) {
	s, err := c.js.Stream(ctx, name)
	if err != nil {
		return StreamStatus{}, fmt.Errorf("stream %s: %w", name, err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		return StreamStatus{}, fmt.Errorf("stream %s: %w", name, err)
	}
	ss := StreamStatus{Name: name, Messages: info.State.Msgs, Bytes: info.State.Bytes,
		FirstSeq: info.State.FirstSeq, LastSeq: info.State.LastSeq}
	sources := info.Sources
	if info.Mirror != nil {
		sources = []*jetstream.StreamSourceInfo{info.Mirror}
	}
	for _, src := range sources {
		ss.Sources = append(ss.Sources, sourceStatus(src))
	}
	lister := s.ListConsumers(ctx)
	for ci := range lister.Info() {
		ss.Consumers = append(ss.Consumers, ConsumerStatus{Name: ci.Name, Pending: ci.NumPending,
			AckPending: ci.NumAckPending, Redelivered: ci.NumRedelivered, Delivered: ci.Delivered.Stream})
	}
	if err := lister.Err(); err != nil {
		return ss, fmt.Errorf("stream %s consumers: %w", name, err)
	}
	ss.Consumers = uniqueConsumers(ss.Consumers)
	return ss, nil
}

// uniqueConsumers sorts a stream's consumers by name, each once: a
// JetStream cluster's list may name a consumer twice (TestClusterHubR3
// saw an ordered consumer of INVENTORY twice after a server of the hub's
// 3-node cluster was killed), and /metrics would refuse the second gauge
// of the same consumer with a 500 for every metric.
func uniqueConsumers(cs []ConsumerStatus) []ConsumerStatus {
	slices.SortFunc(cs, func(a, b ConsumerStatus) int { return strings.Compare(a.Name, b.Name) })
	return slices.CompactFunc(cs, func(a, b ConsumerStatus) bool { return a.Name == b.Name })
}

// sourceStatus names a source by the domain of its API prefix.
func sourceStatus(src *jetstream.StreamSourceInfo) SourceStatus {
	s := SourceStatus{Name: src.Name, Lag: src.Lag, Active: src.Active}
	if src.External != nil {
		if d, ok := strings.CutPrefix(src.External.APIPrefix, "$JS."); ok {
			s.Name = strings.TrimSuffix(d, ".API")
		}
	}
	if src.Error != nil {
		s.Error = src.Error.Description
	}
	return s
}

func (s SourceStatus) active() bool {
	return s.Error == "" && s.Active >= 0 && s.Active < sourceActiveWithin
}

// hubSourceLag asks the hub's JetStream (its domain, over the leaf node)
// how many of this site's facts its source has not copied yet, as it last
// heard; -1 when the hub does not answer within a second.
func (c *conn) hubSourceLag(ctx context.Context, o *Options) int64 {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	js, err := jetstream.NewWithDomain(c.nc, o.HubSite)
	if err != nil {
		return -1
	}
	s, err := js.Stream(ctx, StreamFacts)
	if err != nil {
		return -1
	}
	info := s.CachedInfo()
	for _, src := range info.Sources {
		if src.External != nil && src.External.APIPrefix == "$JS."+o.Site+".API" {
			return int64(src.Lag)
		}
	}
	return -1
}

// edgeStatusLocked works out the hub link.
func (n *Node) edgeStatusLocked(snap *Status, now time.Time) {
	st := &n.st
	up := false
	for _, l := range snap.Leafs {
		up = up || l.ToHub
	}
	for i := range snap.Streams {
		s := &snap.Streams[i]
		if !*n.opts.NATS.Embedded && s.Name == StreamInventory && len(s.Sources) == 1 && s.Sources[0].active() {
			up = true // an external server's leafs are not to be seen
		}
	}
	if st.link.Since.IsZero() || st.link.Up != up {
		st.link = LinkStatus{Up: up, Since: now}
		if !st.snap.Refreshed.IsZero() {
			n.log.Info("hub link changed", "up", up, "hub", n.opts.HubSite)
		}
	}
	l := st.link
	snap.HubLink = &l
}

// hubSitesLocked works out every listed site's contact and staleness; it
// returns the OnStale/OnFresh calls to make once the lock is released.
func (n *Node) hubSitesLocked(snap *Status, now time.Time) []func() {
	st := &n.st
	sources := map[string]SourceStatus{}
	for _, s := range snap.Streams {
		if s.Name == StreamFacts {
			for _, src := range s.Sources {
				sources[src.Name] = src
			}
		}
	}
	leafs := map[string]bool{}
	for _, l := range snap.Leafs {
		leafs[l.Name] = true
	}
	var turned []func()
	for _, site := range n.opts.Sites {
		ss := SiteStatus{Site: site}
		contact := st.contact[site]
		if contact.IsZero() {
			contact = n.started
		}
		if src, ok := sources[site]; ok {
			ss.Lag = src.Lag
			if src.active() {
				// An embedded server sees the site's leaf node; an
				// external one only the source's heartbeats.
				ss.Connected = ss.Connected || !*n.opts.NATS.Embedded
				contact = later(contact, now.Add(-src.Active))
			}
		}
		if leafs[site] {
			ss.Connected = true
			contact = now
		}
		st.contact[site] = contact
		for origin, mk := range st.marks {
			if (origin == site || strings.HasPrefix(origin, site+":")) && mk.Seq > 0 {
				ss.LastSeq, ss.LastAt = mk.Seq, mk.At
				ss.AppliedAt = st.appliedAt[origin]
			}
		}
		ss.LastContact = contact
		ss.Stale = now.Sub(contact) > n.opts.Staleness
		if ss.Stale != st.stale[site] {
			st.stale[site] = ss.Stale
			turned = append(turned, n.staleCall(site, ss.Stale, contact))
		}
		snap.Sites = append(snap.Sites, ss)
	}
	return turned
}

func (n *Node) staleCall(site string, stale bool, since time.Time) func() {
	return func() {
		if stale {
			n.log.Warn("site is stale: no contact; its link states are unknown since then",
				"stale_site", site, "since", since, "staleness", n.opts.Staleness)
			if n.deps.OnStale != nil {
				n.deps.OnStale(site, since)
			}
			return
		}
		n.log.Info("site is back", "stale_site", site)
		if n.deps.OnFresh != nil {
			n.deps.OnFresh(site)
		}
	}
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
