package cluster

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/stadsnat/accessd/cmd/accessd/internal/cluster/wire"
)

// Role is what an accessd is in a cluster.
type Role string

// The roles. Standalone is today's single box and needs no NATS at all.
const (
	Standalone Role = "standalone"
	Edge       Role = "edge"
	Hub        Role = "hub"
)

// Options is the cluster part of the configuration. Each field names its
// YAML key; the daemon's config maps onto it and calls [Options.Validate]
// (New calls it too). Zero values take the documented defaults.
//
//	site: pop-norr
//	cluster:
//	  role: edge
//	  hub_site: hub
//	  nats:
//	    embedded: true
//	    hub: ["nats-leaf://hub.example:7422"]
//	    tls: {cert_file: /etc/accessd/nats/pop-norr.pem, key_file: /etc/accessd/nats/pop-norr.key, ca_file: /etc/accessd/nats/ca.pem}
//	  facts: {max_age: 720h, max_bytes: 1073741824, duplicate_window: 2m}
//	  staleness: 5m
type Options struct {
	// Site (top-level "site") names this appliance's site and is its
	// JetStream domain: [A-Za-z0-9_-]{1,64}. Required unless standalone.
	Site string
	// Role (cluster.role): standalone (default), edge or hub.
	Role Role
	// Instance (cluster.instance) names this accessd among several
	// instances of one site (hub instances behind a load balancer, each
	// with its own store and its own facts consumer); same syntax as
	// Site, unique per site. Default "": the only one. Hub instances
	// share the streams, so they must list the same Sites.
	Instance string
	// HubSite (cluster.hub_site) is the hub's site, i.e. its JetStream
	// domain, which an edge mirrors the inventory from. Default "hub".
	HubSite string
	// Sites (cluster.sites, hub) are the edge sites whose facts the hub
	// sources; a fact from any other site is refused.
	Sites []string
	// NATS (cluster.nats) is the server and the connection.
	NATS NATSOptions
	// Facts (cluster.facts) bounds the facts stream of this box: at an
	// edge what it keeps while the hub is away, at the hub its aggregate.
	Facts StreamLimits
	// InventoryMaxBytes (cluster.inventory.max_bytes) bounds the
	// inventory stream (hub) and its mirror (edge); it holds one message
	// per access (removed ones too), so the default, no bound, is about
	// the inventory's size.
	InventoryMaxBytes int64
	// Orders (cluster.orders, hub) is the order work queue.
	Orders OrderOptions
	// Staleness (cluster.staleness, hub) is how long a site may go
	// without contact (no link activity, no fact) before it is listed as
	// stale and its link states turn "unknown since T". Default 5m.
	Staleness time.Duration
	// Replicas (cluster.replicas, hub) is the number of copies of the
	// hub's streams: 1, or 3 on an external 3-node JetStream cluster
	// (nats.url). Default 1.
	Replicas int
	// StatusInterval (cluster.status_interval) is how often the status
	// (and the gauges) is refreshed. Default 5s.
	StatusInterval time.Duration
}

// NATSOptions is cluster.nats.
type NATSOptions struct {
	// Embedded (embedded) runs nats-server inside accessd. It is the
	// default; false requires URL.
	Embedded *bool
	// URL (url) is an external NATS server or cluster to use instead of
	// the embedded one (comma-separated URLs); it must serve JetStream in
	// the domain of Site.
	URL string
	// Listen (listen) is the embedded server's client port, host:port.
	// Default "": none, accessd connects in-process. Only for operators'
	// tools or further hub instances; off loopback it requires tls with
	// ca_file (client certificates).
	Listen string
	// LeafListen (leafnode_listen, hub) is where edges connect, e.g.
	// 0.0.0.0:7422. Off loopback it requires tls with ca_file: only edges
	// with a certificate signed by the CA may connect.
	LeafListen string
	// Hub (hub, edge) are the hub's leaf-node URLs, e.g.
	// nats-leaf://hub.example:7422 (tls://… for TLS from the first byte).
	// A hub off loopback requires tls.ca_file.
	Hub []string
	// CredentialsFile (credentials_file) is a NATS credentials file
	// (user JWT and seed) presented to an external server (url) or to a
	// hub run in operator mode (hub remotes).
	CredentialsFile string
	// TLS (tls) are PEM files: this box's certificate and key and the CA
	// that signs every peer's certificate.
	TLS TLSOptions
	// StoreDir (store_dir) is JetStream's directory. Default
	// <state_dir>/nats (see [Options.SetDefaults]).
	StoreDir string
	// MaxStoreBytes (max_store_bytes) bounds JetStream's files. Default
	// 0: the server allows 75% of the free disk.
	MaxStoreBytes int64
}

// TLSOptions is cluster.nats.tls.
type TLSOptions struct {
	CertFile string // cert_file
	KeyFile  string // key_file
	CAFile   string // ca_file
}

// StreamLimits is cluster.facts.
type StreamLimits struct {
	// MaxAge (max_age) drops facts older than this. Default 720h (30
	// days): an edge keeps a month of facts while its hub is away.
	MaxAge time.Duration
	// MaxBytes (max_bytes) drops the oldest facts beyond this size.
	// Default 1 GiB (about 3 million facts).
	MaxBytes int64
	// DuplicateWindow (duplicate_window) is how long JetStream remembers
	// message ids to drop a repeated publication. Default 2m. It only
	// trims repeats: the hub's applier skips any fact at or below the
	// last sequence it applied from that site, whenever it comes.
	DuplicateWindow time.Duration
}

// OrderOptions is cluster.orders.
type OrderOptions struct {
	// AckWait (ack_wait) is how long an instance may go silent with an
	// order before it goes to another instance; a running order is
	// kept alive every third of it. Default 60s.
	AckWait time.Duration
	// Workers (workers) is how many orders this instance runs at once.
	// Default 1.
	Workers int
	// MaxAge (max_age) drops orders nobody took for this long. Default 720h.
	MaxAge time.Duration
}

// Defaults.
const (
	DefaultHubSite         = "hub"
	DefaultStaleness       = 5 * time.Minute
	DefaultStatusInterval  = 5 * time.Second
	defaultFactsMaxAge     = 720 * time.Hour
	defaultFactsMaxBytes   = 1 << 30
	defaultDuplicateWindow = 2 * time.Minute
	defaultOrderAckWait    = 60 * time.Second
	defaultOrderMaxAge     = 720 * time.Hour
)

// SetDefaults fills what is unset; stateDir is the daemon's state_dir.
func (o *Options) SetDefaults(stateDir string) {
	if o.Role == "" {
		o.Role = Standalone
	}
	if o.HubSite == "" {
		o.HubSite = DefaultHubSite
	}
	if o.NATS.Embedded == nil {
		embedded := o.NATS.URL == ""
		o.NATS.Embedded = &embedded
	}
	if o.NATS.StoreDir == "" && stateDir != "" {
		o.NATS.StoreDir = filepath.Join(stateDir, "nats")
	}
	setDefault(&o.Facts.MaxAge, defaultFactsMaxAge)
	setDefault(&o.Facts.MaxBytes, defaultFactsMaxBytes)
	setDefault(&o.Facts.DuplicateWindow, defaultDuplicateWindow)
	setDefault(&o.Orders.AckWait, defaultOrderAckWait)
	setDefault(&o.Orders.Workers, 1)
	setDefault(&o.Orders.MaxAge, defaultOrderMaxAge)
	setDefault(&o.Staleness, DefaultStaleness)
	setDefault(&o.Replicas, 1)
	setDefault(&o.StatusInterval, DefaultStatusInterval)
}

func setDefault[T comparable](p *T, v T) {
	var zero T
	if *p == zero {
		*p = v
	}
}

// Problem is one thing wrong with the options: the configuration key at
// fault and what is wrong with it.
type Problem struct {
	Key string // e.g. cluster.nats.hub
	Msg string
}

func (p Problem) Error() string { return p.Key + ": " + p.Msg }

// Validate checks the options (after SetDefaults) and names the key at
// fault: every problem [Options.Problems] finds, joined.
func (o *Options) Validate() error {
	var errs []error
	for _, p := range o.Problems() {
		errs = append(errs, p)
	}
	return errors.Join(errs...)
}

// Problems lists what is wrong with the options (after SetDefaults), each
// with its configuration key, for -check-config to put on the key's line.
func (o *Options) Problems() []Problem {
	var ps []Problem
	bad := func(key, format string, args ...any) {
		ps = append(ps, Problem{Key: key, Msg: fmt.Sprintf(format, args...)})
	}
	switch o.Role {
	case Standalone:
		return nil
	case Edge, Hub:
	default:
		bad("cluster.role", "%q is not standalone, edge or hub", o.Role)
		return ps
	}
	if !wire.ValidName(o.Site) {
		bad("site", "%q is not [A-Za-z0-9_-]{1,64} (it is the JetStream domain)", o.Site)
	}
	if o.Instance != "" && !wire.ValidName(o.Instance) {
		bad("cluster.instance", "%q is not [A-Za-z0-9_-]{1,64}", o.Instance)
	}
	if !wire.ValidName(o.HubSite) {
		bad("cluster.hub_site", "%q is not [A-Za-z0-9_-]{1,64}", o.HubSite)
	}
	o.validateRole(bad)
	o.validateNATS(bad)
	if o.Facts.MaxAge < time.Minute || o.Facts.MaxBytes < 1<<20 {
		bad("cluster.facts", "max_age must be at least 1m and max_bytes at least 1 MiB")
	}
	if o.Facts.DuplicateWindow <= 0 || o.Facts.DuplicateWindow > o.Facts.MaxAge {
		bad("cluster.facts.duplicate_window", "%s must be above 0 and at most max_age", o.Facts.DuplicateWindow)
	}
	if o.Orders.AckWait < time.Second || o.Orders.Workers < 1 || o.Orders.Workers > 64 || o.Orders.MaxAge < time.Minute {
		bad("cluster.orders", "ack_wait must be at least 1s, workers 1..64, max_age at least 1m")
	}
	if o.Staleness < time.Second || o.StatusInterval < 100*time.Millisecond {
		bad("cluster.staleness", "must be at least 1s (status_interval at least 100ms)")
	}
	if o.Replicas != 1 && o.Replicas != 3 {
		bad("cluster.replicas", "%d is not 1 or 3", o.Replicas)
	}
	if o.Replicas > 1 && o.embedded() {
		bad("cluster.replicas", "3 replicas need an external JetStream cluster (cluster.nats.url)")
	}
	return ps
}

func (o *Options) validateRole(bad func(key, format string, args ...any)) {
	switch o.Role {
	case Edge:
		if o.Site == o.HubSite {
			bad("site", "an edge's site %q is the hub's (cluster.hub_site)", o.Site)
		}
		if len(o.Sites) > 0 {
			bad("cluster.sites", "only a hub lists sites")
		}
		if o.NATS.LeafListen != "" {
			bad("cluster.nats.leafnode_listen", "only a hub takes leaf nodes")
		}
		if o.embedded() && len(o.NATS.Hub) == 0 {
			bad("cluster.nats.hub", "an embedded edge needs the hub's leaf-node URL")
		}
	case Hub:
		if o.Site != o.HubSite {
			bad("site", "a hub's site %q must be cluster.hub_site %q", o.Site, o.HubSite)
		}
		if len(o.NATS.Hub) > 0 {
			bad("cluster.nats.hub", "a hub has no hub")
		}
		seen := map[string]bool{}
		for _, s := range o.Sites {
			switch {
			case !wire.ValidName(s):
				bad("cluster.sites", "%q is not [A-Za-z0-9_-]{1,64}", s)
			case s == o.Site:
				bad("cluster.sites", "%q is the hub itself", s)
			case seen[s]:
				bad("cluster.sites", "%q is listed twice", s)
			}
			seen[s] = true
		}
	}
}

func (o *Options) validateNATS(bad func(key, format string, args ...any)) {
	n := &o.NATS
	tlsPair := n.TLS.CertFile != "" && n.TLS.KeyFile != ""
	if (n.TLS.CertFile == "") != (n.TLS.KeyFile == "") {
		bad("cluster.nats.tls", "cert_file and key_file go together")
	}
	if !o.embedded() {
		if n.URL == "" {
			bad("cluster.nats.url", "required when embedded is false")
		}
		for _, k := range []struct{ key, v string }{{"listen", n.Listen}, {"leafnode_listen", n.LeafListen}} {
			if k.v != "" {
				bad("cluster.nats."+k.key, "only for the embedded server")
			}
		}
		if len(n.Hub) > 0 {
			bad("cluster.nats.hub", "only for the embedded server; the external server joins the hub")
		}
		return
	}
	if n.URL != "" {
		bad("cluster.nats.url", "an external server and embedded: true exclude each other")
	}
	if n.StoreDir == "" {
		bad("cluster.nats.store_dir", "required (default: <state_dir>/nats)")
	}
	for _, l := range []struct{ key, addr string }{{"listen", n.Listen}, {"leafnode_listen", n.LeafListen}} {
		if l.addr == "" {
			continue
		}
		host, _, err := net.SplitHostPort(l.addr)
		if err != nil {
			bad("cluster.nats."+l.key, "%q: %v", l.addr, err)
			continue
		}
		if !isLoopback(host) && (!tlsPair || n.TLS.CAFile == "") {
			bad("cluster.nats."+l.key, "%q is off loopback: it needs tls cert_file, key_file and ca_file", l.addr)
		}
	}
	for _, h := range n.Hub {
		u, err := url.Parse(h)
		if err != nil || u.Hostname() == "" || !slices.Contains([]string{"nats-leaf", "nats", "tls"}, u.Scheme) {
			bad("cluster.nats.hub", "%q is not a nats-leaf://, nats:// or tls:// URL with a host", h)
			continue
		}
		if !isLoopback(u.Hostname()) && n.TLS.CAFile == "" {
			bad("cluster.nats.hub", "%q is off loopback: it needs tls.ca_file to check the hub", h)
		}
	}
}

func (o *Options) embedded() bool { return o.NATS.Embedded == nil || *o.NATS.Embedded }

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.IsLoopback()
}
