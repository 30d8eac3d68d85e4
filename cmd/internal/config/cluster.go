package config

import (
	"regexp"

	"go.yaml.in/yaml/v3"
)

// Cluster joins accessd appliances of several sites over NATS JetStream
// (the cluster subsystem): an edge answers for its own site and sends
// what it learns to the hub; the hub answers for every site, sends the
// inventory to the edges and carries out orders once. role standalone
// (the default) is a single box and runs no NATS at all. The keys apply
// on restart: the node, its streams and its embedded server are made
// once. The daemon checks the whole section again with the cluster's
// own rules (Option WithCheck), so -check-config reports their problems
// on their lines too.
type Cluster struct {
	// Role is standalone (default), edge or hub.
	Role ClusterRole `yaml:"role" reload:"restart"`
	// Instance names this accessd among several hub instances of one
	// site (each with its own store); "" when it is the only one.
	Instance string `yaml:"instance" reload:"restart"`
	// HubSite is the hub's site (its JetStream domain); default "hub".
	HubSite string `yaml:"hub_site" reload:"restart"`
	// Sites are the edge sites a hub takes facts from.
	Sites []string    `yaml:"sites" reload:"restart"`
	NATS  ClusterNATS `yaml:"nats" reload:"restart"`
	// Facts bounds this box's facts stream (an edge's buffer while the
	// hub is away; the hub's aggregate).
	Facts ClusterFacts `yaml:"facts" reload:"restart"`
	// Inventory bounds the inventory stream (hub) and its mirror (edge).
	Inventory ClusterInventory `yaml:"inventory" reload:"restart"`
	// Orders is the hub's work queue of orders.
	Orders ClusterOrders `yaml:"orders" reload:"restart"`
	// Staleness is how long a site may go without contact before the
	// hub lists it as stale and answers its links "unknown since".
	Staleness Duration `yaml:"staleness" reload:"restart"`
	// Replicas of the hub's streams: 1, or 3 on an external cluster.
	Replicas int `yaml:"replicas" reload:"restart"`
	// StatusInterval is how often the cluster status is refreshed.
	StatusInterval Duration `yaml:"status_interval" reload:"restart"`
}

// ClusterRole is cluster.role.
type ClusterRole string

// The roles.
const (
	RoleStandalone ClusterRole = "standalone"
	RoleEdge       ClusterRole = "edge"
	RoleHub        ClusterRole = "hub"
)

// UnmarshalYAML implements yaml.Unmarshaler.
func (r *ClusterRole) UnmarshalYAML(n *yaml.Node) error {
	return enum(n, r, []ClusterRole{RoleStandalone, RoleEdge, RoleHub}, "must be standalone, edge or hub")
}

// ClusterNATS is cluster.nats: the embedded server, or an external one.
type ClusterNATS struct {
	// Embedded runs nats-server inside accessd (the default unless url
	// is set).
	Embedded *bool `yaml:"embedded"`
	// Listen is the embedded server's client port (for further hub
	// instances and operators' tools); "" none.
	Listen string `yaml:"listen"`
	// LeafListen is where the edges connect (hub).
	LeafListen string `yaml:"leafnode_listen"`
	// Hub are the hub's leaf-node URLs (edge).
	Hub []string `yaml:"hub"`
	// CredentialsFile is a NATS credentials file (JWT and seed).
	CredentialsFile string  `yaml:"credentials_file"`
	TLS             NATSTLS `yaml:"tls"`
	// URL is an external NATS server or cluster instead of the embedded
	// one (comma-separated URLs).
	URL string `yaml:"url"`
	// StoreDir is JetStream's directory (default <state_dir>/nats).
	StoreDir string `yaml:"store_dir"`
	// MaxStoreBytes bounds JetStream's files (0: the server's choice).
	MaxStoreBytes int64 `yaml:"max_store_bytes"`
}

// NATSTLS are the PEM files of the leaf-node and client connections.
type NATSTLS struct {
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
	CAFile   string `yaml:"ca_file"`
}

// ClusterFacts is cluster.facts: the limits of the facts stream.
type ClusterFacts struct {
	MaxAge          Duration `yaml:"max_age"`
	MaxBytes        int64    `yaml:"max_bytes"`
	DuplicateWindow Duration `yaml:"duplicate_window"`
}

// ClusterInventory is cluster.inventory.
type ClusterInventory struct {
	MaxBytes int64 `yaml:"max_bytes"`
}

// ClusterOrders is cluster.orders: the hub's work queue.
type ClusterOrders struct {
	AckWait Duration `yaml:"ack_wait"`
	Workers int      `yaml:"workers"`
	MaxAge  Duration `yaml:"max_age"`
}

// On reports whether this accessd is part of a cluster.
func (c *Cluster) On() bool { return c.Role == RoleEdge || c.Role == RoleHub }

func (c *Cluster) applyDefaults() {
	if c.Role == "" {
		c.Role = RoleStandalone
	}
}

var reSite = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// validate checks what the configuration alone can; the cluster's own
// rules (addresses, TLS off loopback, roles) come through WithCheck.
func (c *Cluster) validate(v *validator, site string) {
	if !c.On() {
		return
	}
	if site == "" {
		v.addf("site", "missing: an edge or a hub names its site (its JetStream domain)")
	} else if !reSite.MatchString(site) {
		v.addf("site", "%q: use letters, digits, '-' and '_' only (at most 64)", site)
	}
	n := &c.NATS
	v.optionalFile("cluster.nats.credentials_file", n.CredentialsFile)
	v.optionalFile("cluster.nats.tls.cert_file", n.TLS.CertFile)
	v.optionalFile("cluster.nats.tls.key_file", n.TLS.KeyFile)
	v.optionalFile("cluster.nats.tls.ca_file", n.TLS.CAFile)
	if n.MaxStoreBytes < 0 {
		v.addf("cluster.nats.max_store_bytes", "must not be negative (0: the server's choice)")
	}
	if c.Facts.MaxBytes < 0 {
		v.addf("cluster.facts.max_bytes", "must not be negative")
	}
	if c.Inventory.MaxBytes < 0 {
		v.addf("cluster.inventory.max_bytes", "must not be negative (0: unbounded)")
	}
}
