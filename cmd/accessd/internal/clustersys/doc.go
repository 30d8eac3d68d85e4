// Package clustersys is accessd's cluster subsystem: it wires the node of
// package cluster (NATS JetStream, embedded or external) to the store and
// the other subsystems, by role.
//
// With cluster.role standalone (the default) it builds nothing: no NATS,
// no store hooks, so a single box appends no entry and does no extra work
// in any transaction.
//
// # Edge
//
//   - Facts: store hooks (store.ChangeHooks, owner "cluster") append an
//     outbox entry (sink cluster-facts) for every binding the DHCP
//     writer's group commit writes, every port change of the port
//     writer's batches (with the access on the port), every unknown
//     circuit and every order outcome, inside the transaction of the
//     change; each is checked by the wire's rules there (one it refuses
//     is left out, counted and logged). The fact sink (sink.go) publishes
//     them, their JSON as the outbox holds it, in outbox order with
//     PublishFacts (the outbox sequence is the fact's seq) and releases
//     them from the outbox only once JetStream has surely synced them
//     (cluster.SyncInterval); it resumes at min(cursor, LastPublished).
//   - Inventory: the node mirrors the hub's inventory stream and the
//     applier (inventory.go) applies each batch with the import's checks,
//     all or nothing, with the stream position. A batch that fails them
//     here is refused whole and the edge goes on (see invApplier); local
//     imports are refused (store.FollowingError) on every path.
//
// # Hub
//
//   - Facts of the sites: the applier (apply.go) writes bindings, unknown
//     circuits, link states and order outcomes of every listed site into
//     the store with the marks in one transaction, and hands the bindings
//     to the DHCP service's working set (the answers read it): the hub
//     answers option82, dhcplookup, leaseinfo, the bounce URL and link
//     status (Links, links.go) for every site. A fact from a site not in
//     cluster.sites is refused by the node and counted. The DHCP service
//     follows (ingest.Config.Follow): the sites end their bindings.
//   - Inventory: after each import transaction (every path) the publisher
//     reads the store's change feed after the position it published up to
//     and publishes each transaction's changes as one batch.
//   - Orders (orders.go): placed with any instance, queued in the outbox
//     in the order's transaction, put on the work queue, taken by one
//     instance, carried out there through the activation hook, the
//     outcome reported as a fact every instance records. The hook runs at
//     the hub for the whole network; orders are not forwarded to edges.
//   - Staleness: a site without contact for cluster.staleness is stale:
//     its links answer UNKNOWN since its last contact, /readyz stays
//     ready and names it (ReadyNotes).
//
// accessctl cluster shows the node's status, the fact sink and the
// inventory (status.go).
package clustersys
