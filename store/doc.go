// Package store is accessd's one local store: a single bbolt file under the
// state directory that holds the access inventory and everything accessd
// learns about it. Every API answer is one read transaction on it, so the
// box keeps answering when its uplink is down.
//
// # Domains
//
// The file holds several domains; *DB keeps what is common to them (the
// file, its schema and migrations, change stamps, Stats, Backup) and each
// domain is reached through its own view, which is all its subsystem is
// handed (views.go says how to add one):
//
//	db.Inventory()  the accesses: import, export, look-ups     (access.go, import.go, export.go, record.go)
//	db.Bindings()   DHCP: bindings, history, events, circuits  (binding*.go)
//	db.Ports()      SNMP: the link state of switch ports       (port*.go)
//	db.Orders()     orders, services and their change log      (orders*.go, services.go)
//	db.Changes()    the change log of accesses, orders and     (changes.go, events.go)
//	                subscriptions: ON-API's events
//	db.Outbox()     the upstream outbox: entries per sink       (outbox*.go)
//	db.AtlasPortal() the Atlas order portal's state             (atlasportal.go)
//	db.Cluster()    what a hub learns of its sites, and the      (cluster*.go)
//	                positions of the exchange between sites
//
// The store defines the persisted form of everything it keeps and imports
// no domain package (nothing from dhcp/, snmp/ or api/): the domain
// packages convert their values at their edge (for example dhcp/ingest to
// BindingRecord, snmp/linkstate to Link).
//
// # Bucket tree
//
// Keys of ordered data are fixed-width big-endian integers so that a range
// scan is a cursor seek. Records are JSON unless said otherwise. An index
// is written in the same transaction as its record. Values are copied out
// before a transaction ends. Every non-empty value below but meta's is
// sealed with a CRC-32C (see "Integrity").
//
// Core (db.go, stamp.go, migrations.go):
//
//	meta/
//	  schema_version          ⇒ uint64: the schema the file is at (see migrations.go)
//	  created                 ⇒ int64 unix nanoseconds: when the file was made
//	  last_stamp              ⇒ int64 unix nanoseconds: newest access modification time
//	  access_count            ⇒ uint64: live (not removed) accesses
//	  tombstone_count         ⇒ uint64: removed accesses still remembered
//	  unknown_premises_count  ⇒ uint64: live accesses PI V1 cannot show (premises type UNKNOWN)
//	  change_log_horizon      ⇒ int64 unix nanoseconds: the change log is complete after this
//	  catalog_hash            ⇒ the fingerprint of the service catalogue and rules last noted
//	  catalog_stamp           ⇒ int64 unix nanoseconds: when that fingerprint changed
//	  dhcp_commit_seq         ⇒ uint64: DHCP group commits so far (binding.go)
//
// Inventory (Inventory view):
//
//	accesses/                 (sequence: the access change sequence, Inventory.Generation)
//	  AccessId                maps: AccessId ⇒ access record (binary, see record.go): the access,
//	                          its change sequence, created/modified times and the removed flag
//	access_mtime/             the change feed of accesses, "changed since T" is a seek
//	  mtime(8) | seq(8)       maps: modification ⇒ AccessId (one entry per access: its latest change)
//	access_option82/          unique; maps: Option82 text ⇒ AccessId (live accesses only)
//	access_circuit/           unique; maps: circuit-id 0x00 remote-id ⇒ AccessId (live accesses only)
//	access_circuit_id/        not unique, "is this circuit-id alone unique?";
//	                          maps: circuit-id 0x00 AccessId ⇒ ∅
//	access_remote_id/         not unique, "is this remote-id alone unique?";
//	                          maps: remote-id 0x00 AccessId ⇒ ∅
//	access_dates/             the dates on which live accesses become sellable or activatable;
//	                          maps: YYYYMMDD 0x00 AccessId ⇒ ∅ (migration 7)
//
// Change log (Changes view, changes.go; migration 7), ON-API's events:
//
//	change_log/               (sequence: entry numbers)
//	  stamp(8) | seq(8)       maps: change time ⇒ Change (JSON: type, object, id, access, owner),
//	                          one entry per create/update/delete of an access, order or
//	                          subscription, written in the transaction of the change;
//	                          kept ChangeRetention
//
// Orders and services (Orders view, orders_tx.go, orders_feed.go, services.go):
//
//	orders/                   (sequence: order numbers)
//	  seq(8)                  maps: order number ⇒ Order
//	order_id/                 maps: OrderId ⇒ seq(8)
//	order_key/                maps: idempotency key (Atlas: order 0x00 socket 0x00 service_uid) ⇒ seq(8)
//	order_access/             maps: AccessId 0x00 seq(8) ⇒ ∅
//	order_owner/              maps: owner 0x00 seq(8) ⇒ ∅
//	order_open/               maps: seq(8) ⇒ ∅ for RECEIVED and IN_PROGRESS orders
//	order_due/                the scheduler's queue; maps: due unix ns(8) | seq(8) ⇒ ∅ (RECEIVED only)
//	order_events/             (sequence: event numbers) the change log of orders and services
//	  seq(8)                  maps: event number ⇒ OrderEvent, immutable
//	order_feed/               PI-API orderevents/; maps: owner 0x00 event seq(8) ⇒ ∅ (DONE_* only)
//	order_state_feed/         ON-API orderevents/; maps: owner 0x00 event seq(8) ⇒ ∅ (every state change)
//	order_history/            maps: order seq(8) | event seq(8) ⇒ ∅
//	order_stats/              maps: OrderState ⇒ uint64 count
//	services/                 active services; maps: AccessId 0x00 SubscriptionId ⇒ Service
//	                          (sequence: bumped by every write, part of the look-up generation,
//	                          lookupcache.go)
//	service_sub/              maps: SubscriptionId ⇒ AccessId
//	service_owner/            maps: owner 0x00 AccessId 0x00 SubscriptionId ⇒ ∅
//	order_atlas/              maps: Atlas order id (AtlasRef.Order) ⇒ seq(8) of the first order carrying it
//
// The upstream outbox (Outbox view, outbox*.go; migration 9). Entries are
// written by other domains inside their own transactions (ChangeHooks,
// OrderTx.Outbox), each sink reads its own queue after its cursor:
//
//	outbox/                   (sequence: entry numbers, global across sinks)
//	  sink 0x00 seq(8)        maps: pending entry ⇒ record (binary, see outbox_record.go: created, attempts,
//	                          key, idempotency key, kind, payload)
//	outbox_key/               maps: sink 0x00 key 0x00 seq(8) ⇒ ∅   (the pending entries of a key)
//	outbox_latest/            maps: sink 0x00 key ⇒ seq(8): the key's newest state appended (a
//	                          requeued parked entry is an old state and does not move it)
//	outbox_superseded/        compaction's queue, oldest first; maps: seq(8) ⇒ sink, for each
//	                          pending entry a later pending state of its key supersedes
//	outbox_parked/            maps: sink 0x00 seq(8) ⇒ parked record: the entry, when, the error
//	outbox_sinks/             maps: sink ⇒ cursor, pending, parked, bytes, compacted (uvarints)
//	meta/outbox_bytes         ⇒ uint64: OutboxEntry.Size summed over pending and parked entries,
//	                          held against the budget (Outbox.SetBudget)
//
// The Atlas order portal's state (AtlasPortal view, atlasportal.go; no
// personal data):
//
//	atlas_portal/             maps: "last_check" ⇒ YYYY-MM-DD of the last complete poll
//	atlas_portal_orders/      maps: portal order id ⇒ PortalOrder (JSON): local order, portal status, outcome
//
// The cluster (Cluster view, cluster*.go; migration 11, after the sealing
// one: every value below is sealed like the others). A hub writes the
// sites' bindings, unknown circuits and order outcomes into the domains
// above and the rest here, in one transaction with the marks:
//
//	cluster_marks/            maps: origin (site or site:instance) ⇒ seq(8) | at unix ns(8): the last
//	                          fact applied from it, written with the facts (exactly once)
//	cluster_links/            maps: site 0x00 address 0x00 port name ⇒ RemoteLink (JSON): the port's
//	                          state as the site last reported it
//	cluster_link_access/      maps: AccessId ⇒ cluster_links key: the port the site names for the access
//	cluster_state/
//	  inventory_mark          ⇒ uint64(8): the inventory stream position applied up to (edge), written
//	                          with the inventory it applied
//	  inventory_published     ⇒ access_mtime key: this hub's own changes are published up to it
//	  inventory_refused       ⇒ InventoryRefusal (JSON): the last batch refused, and how many were
//	cluster_inv_external/     maps: first seq(8) ⇒ last seq(8): access change sequences a hub instance
//	                          applied from another instance's batches (not published again)
//
// While an edge follows a hub (Inventory.SetFollowing), Import and
// RemoveAccess refuse with a *FollowingError: only the hub's batches
// change its inventory.
//
// DHCP bindings (Bindings view, binding*.go), one binding per client:
//
//	dhcp_bindings/            maps: MAC(6) ⇒ BindingRecord (binary, see binding_record.go; any state)
//	dhcp_binding_ip/          maps: IPv4(4) ⇒ MAC(6)   (active bindings only: tentative, bound)
//	                          (no index by access since migration 12: Bindings.OfAccess reads
//	                          every binding; the daemon answers from its live bindings)
//	dhcp_history/             "who had this IP at time T" is a prefix scan;
//	                          maps: IPv4(4) | from(8) | MAC(6) ⇒ interval: to, access, circuit key (binary)
//	dhcp_history_to/          the retention purge; maps: to(8) | history key ⇒ ∅
//	dhcp_history_access/      "which IPs and MACs did this access have" is a prefix scan (the NOC's
//	                          access page); maps: AccessId 0x00 from(8) | IPv4(4) | MAC(6) ⇒ ∅
//	                          (intervals with an access only; written and purged with dhcp_history)
//	dhcp_events/              (sequence: event numbers)
//	  seq(8)                  maps: event number ⇒ BindingEvent: mac-moved, ip-taken-over,
//	                          ip-claimed, ip-changed, circuit-conflict
//	dhcp_unknown_circuits/    maps: circuit key ⇒ UnknownCircuit, bounded by dhcp.unknown_circuits_max
//	dhcp_last_option82/       maps: AccessId ⇒ LastOption82: the last Option 82 hex seen on it
//
// The DHCP writer commits all of the dhcp_ buckets in one transaction per
// group commit and counts its commits in meta/dhcp_commit_seq (uint64).
//
// Port link state (Ports view, port*.go), written by the PortWriter:
//
//	ports/                    maps: address 0x00 port name ⇒ PortRecord: admin/oper/link, speed,
//	                          since, polled at, source, reachability
//	port_history/             bounded history of each port;
//	                          maps: address 0x00 port name ⇒ PortHistory: the last transitions
//	                          and the flap times of the last day
//
// A port is keyed by the switch's polled address (host:port) and the port
// name as the inventory writes it, never by ifIndex. An access maps to its
// port through its Option82 text ("SWITCH PORT", else its dhcpIdentifier
// remote-id and circuit-id) and the poller's map from switch name to
// address, so inventory changes need no port index of their own.
//
// An access's (circuit-id, remote-id) pair comes from its dhcpIdentifier
// when it has one, else from its Option82 text read with the default key
// template "{remote_id} {circuit_id}": the first word is the remote-id and
// the rest the circuit-id, and a text of one word is a circuit-id alone.
//
// # Removed accesses
//
// A removed access is not deleted: it stays in accesses/ as a tombstone with
// removed=true and a new change stamp, and leaves every lookup index, so an
// incremental (If-Modified-Since) export tells a service provider that it is
// gone. Full exports skip tombstones. In PI V1 a tombstone is sent once more
// with Sellable and Activatable "NO"; in PI-API 2.3 every service of it has
// connection "NO"; in ON-API its accessState is "DISCONNECTED". Tombstones
// older than the configured retention are purged. Importing the same
// AccessId again revives it.
//
// # Integrity
//
// bbolt checksums its meta pages, not its data. The store adds:
//
//   - Before bbolt maps the file, Open checks its size against its meta
//     pages (package internal/storefile): a truncated file would fault
//     (SIGBUS) on the first read past its end. A file no meta page
//     describes, or shorter than its meta page says, is refused with an
//     error that says to restore a backup (accessctl restore); a fault or
//     a bbolt panic while opening is the same error, not a crash.
//   - The marker accessd.db.marker beside the file (written at Open, by the
//     daemon every minute, and at Close) holds the store's identity (its
//     meta/created) and the last transaction seen. A missing or empty file
//     where the marker says a store was is refused: accessd never starts
//     empty over a state directory that held data. A damaged meta page
//     (bbolt opens the other, older one) and a transaction id older than
//     the marker's are logged at error and counted; a different identity
//     is a replaced (restored) file.
//   - Every value carries a CRC-32C (codec.go): a changed byte is a
//     DamageError (an ErrCorrupt) naming the bucket and key, counted in
//     DB.Errors (accessd_store_errors_total{kind}), and the APIs answer 500
//     with its public cause; never the changed value.
//
// # Adding a record type
//
// A new bucket (the upstream outbox, say) gets its checksum by writing
// through the codec, never with bucket.Put on a value of its own:
//
//   - write with put or putJSON (or indexes.set, appendSealed for a slab
//     of values); an index entry whose key is the data keeps a nil value;
//   - read with get, getJSON, or for a value a cursor gives, open,
//     openJSON or decodeJSON[T] with the bucket's name and the key (a
//     binary record: open, then decode, and wrap a decode failure with
//     damaged(ErrKindDecode, …) as openRecord does);
//   - if the bucket exists in files already written, its migration
//     appends after the sealing one (migration 10) and writes sealed
//     values. Migrations up to 9 run on files written before values
//     were sealed: they read and write values as they are (rawJSON,
//     decodeRecord, decodeInterval; indexAtlasOrder is handed the raw
//     sequence), and migration 10 then seals everything, theirs too;
//   - put a value into it in populate (integrity_test.go):
//     TestEveryValueIsSealed then proves every value is sealed.
//
// # Change stamps and Last-Modified
//
// HTTP dates have whole seconds. An answer is cut at the start of its own
// second (its cut-off, DB.beginAnswer): it covers the changes made before
// it, its Last-Modified is the newest of them truncated to the second (or
// the second before the cut-off when there is none), and every later
// write is stamped at or after the cut-off (DB.stamp). So Last-Modified
// is never later than the answer's Date (RFC 9110 §8.8.2.1), and a client
// that sends it back as If-Modified-Since misses no change: one made in
// the answer's own second comes with the next answer, as ON-API's
// events.md prescribes ("up to the previous second"). Write transactions
// and the start of an answer serialise on one mutex to make that exact.
//
// # Change feed
//
// What counts as a change of an access depends on the answer
// (ExportOptions): its own changes (the access_mtime range, every answer);
// the coming of its Sellable or Activatable date at local midnight (the
// access_dates range, for the answers computed from the date: ON-API's
// accessState and services); a new service catalogue (catalog_stamp, a
// change of every access for the answers that list services). Each is a
// range scan or one key, never a full scan, except that a new catalogue
// makes every access changed.
package store
