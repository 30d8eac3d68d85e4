// Package cluster joins accessd appliances of several sites over NATS
// JetStream: each edge site keeps answering from its own store and sends
// what it learns (facts) to a hub, which answers for every site; the hub
// sends the inventory to every edge and carries out orders once.
//
// A [Node] is this accessd's part: it runs an embedded nats-server with
// JetStream (package natsd) or connects to an external one, makes the
// streams of its role and runs the loops that apply what arrives through
// small interfaces the daemon implements on its store: [FactApplier],
// [InventoryApplier] and [OrderHandler]. The format of every message is
// package wire. Nothing here knows the store's types.
//
// # Topology
//
//	edge pop-norr: nats-server, JetStream domain pop-norr ──leaf node (TLS)──┐
//	edge pop-syd:  nats-server, JetStream domain pop-syd  ──leaf node (TLS)──┤
//	                                                                          ▼
//	hub:           nats-server, JetStream domain hub (leafnode_listen), or an
//	               external 3-node JetStream cluster (cluster.nats.url, R3)
//
// The JetStream domain of a server is its site, so the hub reaches an
// edge's streams through the API prefix $JS.<site>.API and an edge the
// hub's through $JS.<hub_site>.API. No quorum spans the WAN: a cut-off
// edge keeps its own JetStream and store.
//
// # Streams and consumers
//
//	edge  FACTS      subjects accessd.facts.<site>.<kind>; limits: max_age
//	                 (720h), max_bytes (1 GiB), discard old; duplicate
//	                 window 2m; file storage.
//	                 The hub's server sources it through a consumer of its
//	                 own from right after the last fact it stored; the
//	                 edge asks the hub's JetStream for its source's lag at
//	                 each status refresh and counts the facts in the
//	                 messages after the last one the hub had (the
//	                 unforwarded-facts gauge), also while the hub is away;
//	                 it knows the facts of each message it stored, and
//	                 reads a message stored before a restart once.
//	      INVENTORY  mirror of the hub's INVENTORY ($JS.<hub_site>.API), one
//	                 message per subject.
//	hub   FACTS      the aggregate: subjects accessd.facts.<hub_site>.<kind>
//	                 (the hub's own facts, e.g. order outcomes) and one
//	                 source per site in cluster.sites (the server's own
//	                 sourcing: it resumes after the last sequence it stored
//	                 of the site, see hubFactsConfig); same limits as an
//	                 edge's; replicas 1 or 3. A source that stays silent
//	                 while its site's JetStream answers is restarted by
//	                 the hub (resume.go: the server itself would wait 30 s
//	                 and more for a request lost during a cut).
//	      consumer "apply" ("apply-<instance>"): durable pull consumer per
//	                 hub instance (each has its own store), ack all, ack
//	                 wait 30 s, max ack pending 4000.
//	      INVENTORY  subjects accessd.inventory.access.<AccessId> and
//	                 accessd.inventory.commit.<origin>; max msgs per
//	                 subject 1 (the newest change of every access, like a
//	                 key-value bucket); no age limit.
//	      ORDERS     subject accessd.orders.<hub_site>; work-queue
//	                 retention (an acknowledged order leaves the stream);
//	                 max_age 720h; duplicate window 10m.
//	      consumer "runner": durable pull consumer shared by all hub
//	                 instances, explicit ack, ack wait 60 s, unlimited
//	                 deliveries.
//
// The node makes its streams (and updates them to its configuration) and
// its consumers at start; while a JetStream cluster cannot serve that yet
// (no meta leader, a server offline: replicas 3 need all three for a new
// stream; a new R3 consumer without a leader) it tries again with a
// back-off, and it gives up at once on any other error.
//
// # Facts, exactly once
//
// The daemon gives [Node.PublishFacts] its facts with a per-origin
// sequence (its outbox sequence: it increases with every fact of the
// site, over all kinds). An edge packs consecutive facts into batches
// (wire kind facts, up to 256 facts or 60 KiB) on subject
// accessd.facts.<site>.facts, since a JetStream message costs both
// servers and the hub about the same whatever it holds; a fact alone (the
// last of a call, or one too long for a batch) goes as it is, on
// accessd.facts.<site>.<kind>. The message id (Nats-Msg-Id) is
// "<origin>/<kind>/<seq>", for a batch "<origin>/facts/<seq of its last
// fact>", so JetStream drops a repeat within the duplicate window. An
// edge is the only writer of its stream, so every publication expects
// the stream's last sequence: if one fails, those after it fail too, and
// facts are stored in seq order without holes a retry would fill out of
// order. After a restart the node reads the newest stored message (its
// seq is its last fact's) and does not send again what is already
// there; a repeat in other batches (other ids) is skipped by the hub's
// marks. The hub's own facts (order outcomes) go one to a message. A hub
// must be upgraded before its edges: one from before batches refuses
// them (kind) and never applies their facts.
//
// The hub consumes the aggregate with its durable consumer and puts the
// deliveries back in stream order (a delivery lost on the way would come
// again only after ack_wait; after two seconds the node resets the
// consumer to it instead). For each run (up to 1000 messages or 1 MiB)
// it checks every message (a malformed or foreign message, a site not in
// cluster.sites, a subject or Nats-Msg-Id that disagrees with the
// envelope: counted by reason and acknowledged, never applied; a batch
// with one bad fact is refused whole), takes the facts of each batch,
// drops facts at or below their origin's mark, and calls
// [FactApplier.ApplyFacts] once. The applier writes the facts and the new
// marks ([MarksOf]: per origin, the last seq and its time) in ONE store
// transaction. A fact delivered again — hub restart, redelivery, a
// republication after the duplicate window — is at or below the mark
// recorded with it and is skipped: nothing is applied twice, whatever
// JetStream does. Messages (a fact or a batch each) that the stream's
// limits drop before the hub applied them are counted
// (accessd_cluster_fact_messages_dropped_total) and logged.
//
// # Inventory
//
// The hub publishes each import as one batch ([Node.PublishInventory]):
// the new value (or removal) of every changed access on its own subject,
// then, once all are stored, a commit naming the batch. The stream keeps
// only the newest message of each subject, so it always holds the whole
// inventory and a new edge, or one cut off for a month, reads exactly the
// current state and nothing more. Every edge mirrors the stream and reads
// its mirror with an ordered consumer from after the mark its store
// holds. Changes wait until their batch's commit (a commit also completes
// the origin's earlier batches whose commits the stream has replaced);
// committed changes are applied, the newest per access, in ONE
// transaction with the new mark ([InventoryApplier]), when the edge has
// read everything there is or 10 000 changes are ready. The mark stays
// before any change still waiting, so a restart reads it again; applying
// a change again is harmless (it is the whole access). An edge that
// catches up while the hub keeps importing may, for accesses changed
// again meanwhile, show a newer value than the batch it applied; it
// never applies half a batch.
//
// # Orders
//
// An order placed at the hub goes on ORDERS ([Node.EnqueueOrder]). Every
// hub instance with an [OrderHandler] pulls from the one "runner"
// consumer, so each order is delivered to one instance; the node keeps it
// alive while the handler runs and acknowledges it when the handler
// returns nil (the outcome fact published first), defers it on [Later],
// drops it on [Reject]. If an instance dies mid-order the order goes to
// another after ack_wait: handlers are idempotent by order id.
//
// # Operations
//
// [Node.Status] (refreshed every status_interval) gives the role, the
// links and leaf connections, every stream's messages and bytes, every
// consumer's pending messages, the mirror's and sources' lag, an edge's
// unforwarded facts, and per listed site (hub) the last fact applied,
// when, and whether the site is stale: no contact (leaf node, source
// heartbeat or fact) for longer than cluster.staleness. [Node.StaleSites]
// and the OnStale/OnFresh callbacks serve /readyz and the link states
// that must turn "unknown since T". Metrics (accessd_cluster_…) go to
// the Registerer in [Deps]; see metrics.go for the list.
//
// # Trust
//
// With tls.ca_file, the leaf-node and client listeners require a
// certificate signed by that CA and edges check the hub's; without it
// they are allowed only on loopback. Any edge holding such a certificate
// is trusted with the hub's account: per-site leaf users (certificate
// subject mapped to a user whose permissions cover only its own
// subjects) are not done yet.
package cluster
