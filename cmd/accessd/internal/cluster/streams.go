package cluster

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/stadsnat/accessd/cmd/accessd/internal/cluster/wire"
)

// Stream and consumer names; see the package documentation.
const (
	StreamFacts     = "FACTS"
	StreamInventory = "INVENTORY"
	StreamOrders    = "ORDERS"
	consumerRunner  = "runner"
)

// Subjects.
func factSubject(site string, k wire.Kind) string { return "accessd.facts." + site + "." + string(k) }
func factFilter(site string) string               { return "accessd.facts." + site + ".>" }
func accessSubject(accessID string) string        { return "accessd.inventory.access." + accessID }
func commitSubject(origin string) string          { return "accessd.inventory.commit." + subjectToken(origin) }
func orderSubject(site string) string             { return "accessd.orders." + site }

const inventoryFilter = "accessd.inventory.>"

// subjectToken turns an origin (site or site:instance) into one token.
func subjectToken(origin string) string {
	b := []byte(origin)
	for i, c := range b {
		if c == ':' {
			b[i] = '_'
		}
	}
	return string(b)
}

// applyConsumer is the hub's durable consumer of its facts stream, one
// per instance (each instance has its own store).
func (o *Options) applyConsumer() string {
	if o.Instance == "" {
		return "apply"
	}
	return "apply-" + o.Instance
}

// edgeFactsConfig is an edge's own facts stream: everything the edge
// learns, kept by age and size while the hub is away.
func (o *Options) edgeFactsConfig() jetstream.StreamConfig {
	return jetstream.StreamConfig{
		Name:        StreamFacts,
		Description: "accessd facts of site " + o.Site + ", sourced by the hub",
		Subjects:    []string{factFilter(o.Site)},
		Retention:   jetstream.LimitsPolicy,
		Discard:     jetstream.DiscardOld,
		MaxAge:      o.Facts.MaxAge,
		MaxBytes:    o.Facts.MaxBytes,
		Duplicates:  o.Facts.DuplicateWindow,
		MaxMsgSize:  wire.MaxMessageBytes,
		Storage:     jetstream.FileStorage,
		Replicas:    1,
	}
}

// hubFactsConfig is the hub's aggregate: its own facts (order outcomes)
// and a source per listed site.
//
// The sources are the server's own kind: the hub's server records the
// last sequence it stored of each site's stream and, at every gap or
// reconnection, makes a new consumer on the site's stream starting right
// after it, so nothing is skipped. (Durable sourcing through a consumer
// the edge keeps, which nats-server 2.15 offers, resumes sooner after a
// reconnection but lost facts in a test with 50 sites whose leaf
// connections were replaced under load: the consumer took facts as
// delivered that never reached the hub.)
func (o *Options) hubFactsConfig() jetstream.StreamConfig {
	c := o.edgeFactsConfig()
	c.Description = "accessd facts of every site, sourced from the edges"
	c.Replicas = o.Replicas
	for _, s := range o.Sites {
		c.Sources = append(c.Sources, &jetstream.StreamSource{
			Name:     StreamFacts,
			External: &jetstream.ExternalStream{APIPrefix: "$JS." + s + ".API"},
		})
	}
	return c
}

// inventoryConfig is the hub's inventory: the newest change of every
// access (one message per subject) and each origin's last commit.
func (o *Options) inventoryConfig() jetstream.StreamConfig {
	return jetstream.StreamConfig{
		Name:              StreamInventory,
		Description:       "accessd inventory: the newest change of every access",
		Subjects:          []string{inventoryFilter},
		Retention:         jetstream.LimitsPolicy,
		MaxMsgsPerSubject: 1,
		MaxBytes:          maxOrUnlimited(o.InventoryMaxBytes),
		Duplicates:        o.Facts.DuplicateWindow,
		MaxMsgSize:        wire.MaxMessageBytes,
		Storage:           jetstream.FileStorage,
		Replicas:          o.Replicas,
	}
}

// inventoryMirrorConfig is an edge's copy of the hub's inventory.
func (o *Options) inventoryMirrorConfig() jetstream.StreamConfig {
	return jetstream.StreamConfig{
		Name:              StreamInventory,
		Description:       "accessd inventory mirrored from the hub " + o.HubSite,
		MaxMsgsPerSubject: 1,
		MaxBytes:          maxOrUnlimited(o.InventoryMaxBytes),
		Storage:           jetstream.FileStorage,
		Replicas:          1,
		Mirror: &jetstream.StreamSource{
			Name:     StreamInventory,
			External: &jetstream.ExternalStream{APIPrefix: "$JS." + o.HubSite + ".API"},
		},
	}
}

// ordersConfig is the hub's work queue: a message leaves it when an
// instance acknowledges it.
func (o *Options) ordersConfig() jetstream.StreamConfig {
	return jetstream.StreamConfig{
		Name:        StreamOrders,
		Description: "accessd orders to carry out, once",
		Subjects:    []string{orderSubject(o.Site)},
		Retention:   jetstream.WorkQueuePolicy,
		MaxAge:      o.Orders.MaxAge,
		Duplicates:  10 * time.Minute,
		MaxMsgSize:  wire.MaxMessageBytes,
		Storage:     jetstream.FileStorage,
		Replicas:    o.Replicas,
	}
}

func (o *Options) runnerConsumerConfig() jetstream.ConsumerConfig {
	return jetstream.ConsumerConfig{
		Durable:       consumerRunner,
		Description:   "hub instances take orders from here, each order once",
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       o.Orders.AckWait,
		MaxDeliver:    -1,
		MaxAckPending: 1024,
		Replicas:      o.Replicas,
	}
}

func (o *Options) applyConsumerConfig() jetstream.ConsumerConfig {
	return jetstream.ConsumerConfig{
		Durable:       o.applyConsumer(),
		Description:   "hub instance " + o.origin() + " applies facts to its store",
		AckPolicy:     jetstream.AckAllPolicy,
		AckWait:       30 * time.Second,
		DeliverPolicy: jetstream.DeliverAllPolicy,
		MaxAckPending: 4 * applyBatch,
		Replicas:      o.Replicas,
	}
}

func maxOrUnlimited(n int64) int64 {
	if n <= 0 {
		return -1
	}
	return n
}

func (o *Options) origin() string { return wire.Origin(o.Site, o.Instance) }

// ensureStreams creates or updates the streams of the role.
func (n *Node) ensureStreams(ctx context.Context, c *conn) error {
	var cfgs []jetstream.StreamConfig
	switch n.opts.Role {
	case Edge:
		cfgs = []jetstream.StreamConfig{n.opts.edgeFactsConfig(), n.opts.inventoryMirrorConfig()}
	case Hub:
		cfgs = []jetstream.StreamConfig{n.opts.hubFactsConfig(), n.opts.inventoryConfig(), n.opts.ordersConfig()}
	}
	for _, cfg := range cfgs {
		if _, err := c.js.CreateOrUpdateStream(ctx, cfg); err != nil {
			return fmt.Errorf("stream %s: %w", cfg.Name, err)
		}
	}
	return nil
}

// makeStreams makes the streams of the role (see settle).
func (n *Node) makeStreams(ctx context.Context, c *conn) error {
	return n.settle(ctx, "make the streams", func() error { return n.ensureStreams(ctx, c) })
}

// settle runs do (a JetStream request the node needs before it can go
// on: making its streams, its consumers) and tries again with a back-off
// while the JetStream cluster cannot serve it yet (see notYet): a hub
// started with its 3-node cluster at boot finds it still electing and
// placing, and a new R3 consumer may have no leader for half a minute.
// It returns another error at once, and nil when ctx ends.
func (n *Node) settle(ctx context.Context, what string, do func() error) error {
	// At most a second between tries: a request to the local JetStream
	// API is cheap, and the node is ready within a second of the cluster
	// taking its streams, not up to ten.
	bo := Backoff{Max: time.Second}
	for tries := 1; ; tries++ {
		err := do()
		switch {
		case ctx.Err() != nil:
			return nil
		case err == nil:
			if tries > 1 {
				n.log.Info("the JetStream cluster answers: done: "+what, "tries", tries)
			}
			return nil
		case !notYet(err):
			return err
		}
		n.log.Warn("cannot "+what+" yet: the JetStream cluster cannot serve it; retrying",
			"replicas", n.opts.Replicas, "tries", tries, "err", err)
		bo.Wait(ctx)
	}
}

// JetStream's error codes of a cluster that cannot take a stream for now.
const (
	errCodeClusterNoPeers   = 10005 // no suitable peers for placement: a server offline, or too few
	errCodeClusterNotAvail  = 10008 // JetStream system temporarily unavailable
	errCodeClusterNotLeader = 10009 // no meta leader to handle the request
)

// notYet reports whether making a stream failed for a reason that passes
// as the cluster settles: no meta leader, a server the placement needs
// offline, no answer in time. (Too few servers for the replicas also
// answers "no suitable peers": the node then keeps trying and says so.)
func notYet(err error) bool {
	var api *jetstream.APIError
	if errors.As(err, &api) {
		switch api.ErrorCode {
		case errCodeClusterNoPeers, errCodeClusterNotAvail, errCodeClusterNotLeader:
			return true
		}
		return false
	}
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, nats.ErrTimeout) || errors.Is(err, nats.ErrNoResponders)
}
