package admin

import "time"

// Requests of the cluster subsystem:
//
//	GET PathCluster → Cluster
const PathCluster = "/v1/cluster"

// Cluster is this accessd's part in a cluster of sites (accessctl
// cluster): its role, its link to the hub or its edges, its streams and
// what it sent and applied.
type Cluster struct {
	Role     string `json:"role"` // standalone | edge | hub
	Site     string `json:"site,omitempty"`
	Instance string `json:"instance,omitempty"`
	HubSite  string `json:"hubSite,omitempty"`
	// Running is false before the node reached NATS (or with role
	// standalone); Error says why the last status refresh failed.
	Running   bool      `json:"running"`
	Refreshed time.Time `json:"refreshed,omitzero"`
	Error     string    `json:"error,omitempty"`
	// HubLink is an edge's link to the hub.
	HubLink *ClusterLink `json:"hubLink,omitempty"`
	// Leafs are the leaf-node connections of the embedded server.
	Leafs   []ClusterLeaf   `json:"leafs,omitempty"`
	Streams []ClusterStream `json:"streams,omitempty"`
	// UnforwardedFacts (edge) are facts the hub has not taken yet; -1
	// while unknown.
	UnforwardedFacts int64 `json:"unforwardedFacts"`
	// Facts is the delivery of this box's facts from the store's outbox
	// into its stream.
	Facts *ClusterFactSink `json:"facts,omitempty"`
	// Inventory is the inventory stream as this box follows (edge) or
	// publishes (hub) it.
	Inventory ClusterInventory `json:"inventory"`
	// Sites (hub) are the listed sites, with the last fact applied from
	// each and whether it is stale.
	Sites []ClusterSite `json:"sites,omitempty"`
}

// ClusterLink is the state of a link since a time.
type ClusterLink struct {
	Up    bool      `json:"up"`
	Since time.Time `json:"since"`
}

// ClusterLeaf is one leaf-node connection.
type ClusterLeaf struct {
	Name   string `json:"name"`
	Remote string `json:"remote"`
	ToHub  bool   `json:"toHub"`
}

// ClusterStream is one stream: what it holds, its consumers' lag and the
// streams it copies from.
type ClusterStream struct {
	Name     string `json:"name"`
	Messages uint64 `json:"messages"`
	// Facts (an edge's FACTS) is how many facts its messages hold: a
	// batch holds many.
	Facts     uint64            `json:"facts,omitempty"`
	Bytes     uint64            `json:"bytes"`
	FirstSeq  uint64            `json:"firstSeq"`
	LastSeq   uint64            `json:"lastSeq"`
	Consumers []ClusterConsumer `json:"consumers,omitempty"`
	Sources   []ClusterSource   `json:"sources,omitempty"`
}

// ClusterConsumer is a consumer; Pending + AckPending is its lag.
type ClusterConsumer struct {
	Name        string `json:"name"`
	Pending     uint64 `json:"pending"`
	AckPending  int    `json:"ackPending"`
	Redelivered int    `json:"redelivered"`
}

// ClusterSource is a stream a stream copies from.
type ClusterSource struct {
	Name          string  `json:"name"`
	Lag           uint64  `json:"lag"`
	ActiveSeconds float64 `json:"activeSeconds"` // since last heard from; -1 never
	Error         string  `json:"error,omitempty"`
}

// ClusterFactSink is the delivery of facts from the outbox to the stream.
type ClusterFactSink struct {
	// Outbox counts the facts the outbox holds: those not published yet
	// and the published ones it keeps until JetStream has surely written
	// them to disk (Held publications of up to a page each).
	Outbox    int       `json:"outbox"`
	Held      int       `json:"held"`
	Published uint64    `json:"published"` // the outbox sequence published up to
	Cursor    uint64    `json:"cursor"`    // released up to
	LastError string    `json:"lastError,omitempty"`
	LastAt    time.Time `json:"lastAt,omitzero"` // the last publication
}

// ClusterInventory is the inventory stream of this box.
type ClusterInventory struct {
	// Mark is the stream position applied up to; Pending how many
	// messages were left to read after the last one read.
	Mark    uint64 `json:"mark"`
	Pending uint64 `json:"pending"`
	// Refused counts the batches refused here (they failed the import's
	// checks); LastRefused is the last of them.
	Refused     uint64                   `json:"refused"`
	LastRefused *ClusterInventoryRefusal `json:"lastRefused,omitempty"`
	// Following: local imports are refused (edge).
	Following bool `json:"following"`
	// PublishedBatches (hub) counts the batches this instance published
	// since it started; LastPublished when the last one was.
	PublishedBatches uint64    `json:"publishedBatches,omitempty"`
	LastPublished    time.Time `json:"lastPublished,omitzero"`
}

// ClusterInventoryRefusal is a refused inventory batch.
type ClusterInventoryRefusal struct {
	At       time.Time `json:"at"`
	Mark     uint64    `json:"mark"`
	Changes  int       `json:"changes"`
	Problems []string  `json:"problems"`
}

// ClusterSite is one listed site as the hub sees it.
type ClusterSite struct {
	Site        string    `json:"site"`
	Connected   bool      `json:"connected"`
	LastSeq     uint64    `json:"lastSeq"`
	LastAt      time.Time `json:"lastAt,omitzero"`
	AppliedAt   time.Time `json:"appliedAt,omitzero"`
	Lag         uint64    `json:"lag"`
	LastContact time.Time `json:"lastContact"`
	Stale       bool      `json:"stale"`
}
