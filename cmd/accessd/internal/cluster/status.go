package cluster

import (
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/stadsnat/accessd/cmd/accessd/internal/cluster/wire"
)

// Status is what `accessctl cluster`, /metrics and /readyz show. It is
// refreshed every status_interval; the figures are as of Refreshed.
type Status struct {
	Role      Role      `json:"role"`
	Site      string    `json:"site"`
	Instance  string    `json:"instance,omitempty"`
	Refreshed time.Time `json:"refreshed"`
	// Error says why the last refresh failed ("" when it did not).
	Error string `json:"error,omitempty"`
	// HubLink is an edge's link to the hub.
	HubLink *LinkStatus `json:"hubLink,omitempty"`
	// Leafs are the embedded server's leaf-node connections.
	Leafs   []LeafStatus   `json:"leafs,omitempty"`
	Streams []StreamStatus `json:"streams"`
	// UnforwardedFacts (edge) is how many facts the hub has not taken
	// yet: those in the messages after the last one the hub was seen to
	// have copied (its source's lag, in messages: a batch holds many
	// facts); -1 until the hub answered once since the start. After a
	// restart a lower bound until the batches stored before are read
	// (see factCounts).
	UnforwardedFacts int64 `json:"unforwardedFacts"`
	// InventoryMark is the inventory stream sequence applied up to;
	// InventoryPending how many messages were still to read after the
	// last one read.
	InventoryMark    uint64 `json:"inventoryMark"`
	InventoryPending uint64 `json:"inventoryPending"`
	// Sites (hub) are the listed sites.
	Sites []SiteStatus `json:"sites,omitempty"`
}

// LinkStatus is the state of a link.
type LinkStatus struct {
	Up    bool      `json:"up"`
	Since time.Time `json:"since"` // when it last changed (or the node started)
}

// LeafStatus is one leaf-node connection.
type LeafStatus struct {
	Name   string `json:"name"`   // the other server: a site (or site-instance)
	Remote string `json:"remote"` // its address
	ToHub  bool   `json:"toHub"`  // this server dialled it
}

// StreamStatus is one stream of this node.
type StreamStatus struct {
	Name     string `json:"name"`
	Messages uint64 `json:"messages"`
	// Facts (an edge's FACTS) is how many facts its messages hold: a
	// batch holds many. After a restart a lower bound (a batch not read
	// yet counts one) until the batches stored before are read.
	Facts     uint64           `json:"facts,omitempty"`
	Bytes     uint64           `json:"bytes"`
	FirstSeq  uint64           `json:"firstSeq"`
	LastSeq   uint64           `json:"lastSeq"`
	Consumers []ConsumerStatus `json:"consumers,omitempty"`
	Sources   []SourceStatus   `json:"sources,omitempty"` // sources, or the mirror
}

// ConsumerStatus is one consumer; Pending + AckPending is its lag.
type ConsumerStatus struct {
	Name        string `json:"name"`
	Pending     uint64 `json:"pending"`    // not delivered yet
	AckPending  int    `json:"ackPending"` // delivered, not acknowledged
	Redelivered int    `json:"redelivered"`
	// Delivered is the stream sequence of the last message delivered.
	Delivered uint64 `json:"delivered,omitempty"`
}

// SourceStatus is a stream a stream copies from: a site's facts at the
// hub, the hub's inventory at an edge.
type SourceStatus struct {
	Name   string        `json:"name"` // the site (its domain)
	Lag    uint64        `json:"lag"`  // messages not copied yet, as last heard
	Active time.Duration `json:"active"`
	Error  string        `json:"error,omitempty"`
}

// SiteStatus is one listed site as the hub sees it.
type SiteStatus struct {
	Site      string    `json:"site"`
	Connected bool      `json:"connected"` // a leaf node or its source is active now
	LastSeq   uint64    `json:"lastSeq"`   // the last fact applied from it
	LastAt    time.Time `json:"lastAt,omitzero"`
	AppliedAt time.Time `json:"appliedAt,omitzero"` // when this hub applied it
	Lag       uint64    `json:"lag"`                // messages of it (a fact or a batch each) not copied to the hub yet
	// LastContact is the newest sign of the site: a fact applied, its
	// source active, its leaf connected (the node's start if none).
	LastContact time.Time `json:"lastContact"`
	// Stale: no contact for longer than cluster.staleness; its link
	// states are "unknown since LastContact".
	Stale bool `json:"stale"`
}

// StaleSite is a site without contact since Since.
type StaleSite struct {
	Site  string
	Since time.Time
}

// Status returns the last refreshed status.
func (n *Node) Status() Status { return n.st.snapshot() }

// StaleSites lists the stale sites (hub), for /readyz ("ready, but sites
// X are stale") and for turning their link states "unknown since T".
func (n *Node) StaleSites() []StaleSite {
	var out []StaleSite
	for _, s := range n.st.snapshot().Sites {
		if s.Stale {
			out = append(out, StaleSite{Site: s.Site, Since: s.LastContact})
		}
	}
	return out
}

// statusState is the node's state shared by its loops.
type statusState struct {
	mu        sync.Mutex
	accept    map[string]bool // the sites whose facts are accepted; fixed after init
	marks     map[string]Mark // by origin
	appliedAt map[string]time.Time
	contact   map[string]time.Time // by site
	stale     map[string]bool
	refusals  map[string]uint64
	invMark   uint64
	invPend   uint64
	link      LinkStatus
	// forwarded (edge) is the last facts-stream sequence the hub was
	// seen to have copied (forwardedKnown: seen since the start).
	forwarded      uint64
	forwardedKnown bool
	snap           Status
}

func (s *statusState) init(o *Options) {
	s.accept = map[string]bool{o.Site: true}
	for _, site := range o.Sites {
		s.accept[site] = true
	}
	s.marks = map[string]Mark{}
	s.appliedAt = map[string]time.Time{}
	s.contact = map[string]time.Time{}
	s.stale = map[string]bool{}
	s.refusals = map[string]uint64{}
	s.snap = Status{Role: o.Role, Site: o.Site, Instance: o.Instance, UnforwardedFacts: -1}
}

// listed reports whether facts from site are accepted.
func (s *statusState) listed(site string) bool { return s.accept[site] }

func (s *statusState) setMarks(m map[string]Mark) {
	s.mu.Lock()
	defer s.mu.Unlock()
	maps.Copy(s.marks, m)
}

func (s *statusState) marksCopy() map[string]Mark {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.marks)
}

func (s *statusState) applied(facts []*wire.Message, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, f := range facts {
		s.marks[f.Origin()] = Mark{Seq: f.Seq, At: f.At}
		s.appliedAt[f.Origin()] = now
		if now.After(s.contact[f.Site]) {
			s.contact[f.Site] = now
		}
	}
}

func (s *statusState) countRefusal(stream string, r wire.Reason) uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refusals[stream+"/"+string(r)]++
	return s.refusals[stream+"/"+string(r)]
}

func (s *statusState) setInventoryMark(m uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.invMark = m
}

func (s *statusState) setInventoryPending(p uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.invPend = p
}

func (s *statusState) snapshot() Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.snap
	st.Leafs = slices.Clone(st.Leafs)
	st.Streams = slices.Clone(st.Streams)
	st.Sites = slices.Clone(st.Sites)
	if st.HubLink != nil {
		l := *st.HubLink
		st.HubLink = &l
	}
	return st
}
