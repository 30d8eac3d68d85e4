// Package store is accessd's one local store: a single bbolt file under the
// state directory that holds the access inventory and everything accessd
// learns about it. Every API answer is one read transaction on it, so the
// box keeps answering when its uplink is down.
//
// # Bucket tree
//
// Keys of ordered data are fixed-width big-endian integers so that a range
// scan is a cursor seek. Records are JSON. An index is written in the same
// transaction as its record. Values are copied out before a transaction ends.
//
//	meta/
//	  schema_version          ⇒ uint64: the schema the file is at (see migrations.go)
//	  created                 ⇒ int64 unix nanoseconds: when the file was made
//	  last_stamp              ⇒ int64 unix nanoseconds: newest access modification time
//	  access_count            ⇒ uint64: live (not removed) accesses
//	  tombstone_count         ⇒ uint64: removed accesses still remembered
//	  dhcp_commit_seq         ⇒ uint64: DHCP group commits so far (binding.go)
//	accesses/                 (sequence: the access change sequence)
//	  AccessId                ⇒ accessRecord: the access, its change sequence,
//	                            created/modified times and the removed flag
//	access_mtime/             the change feed of accesses, "changed since T" is a seek
//	  mtime(8) | seq(8)       ⇒ AccessId   (one entry per access: its latest change)
//	access_option82/          unique
//	  Option82 text           ⇒ AccessId   (live accesses only)
//	access_circuit/           unique
//	  circuit-id 0x00 remote-id ⇒ AccessId (live accesses only)
//	access_circuit_id/        not unique: "is this circuit-id alone unique?"
//	  circuit-id 0x00 AccessId  ⇒ ∅
//	access_remote_id/         not unique: "is this remote-id alone unique?"
//	  remote-id 0x00 AccessId   ⇒ ∅
//	orders/                   (sequence: order numbers; orders_tx.go)
//	  seq(8)                  ⇒ Order (JSON)
//	order_id/                 maps: OrderId ⇒ seq(8)
//	order_key/                maps: idempotency key (Atlas: order 0x00 socket 0x00 service_uid) ⇒ seq(8)
//	order_access/             maps: AccessId 0x00 seq(8) ⇒ ∅
//	order_owner/              maps: owner 0x00 seq(8) ⇒ ∅
//	order_open/               maps: seq(8) ⇒ ∅ for RECEIVED and IN_PROGRESS orders
//	order_due/                the scheduler's queue; maps: due unix ns(8) | seq(8) ⇒ ∅ (RECEIVED only)
//	order_events/             (sequence: event numbers) the change log of orders and services
//	  seq(8)                  ⇒ OrderEvent (JSON), immutable
//	order_feed/               PI-API orderevents/; maps: owner 0x00 event seq(8) ⇒ ∅ (DONE_* only)
//	order_state_feed/         ON-API orderevents/; maps: owner 0x00 event seq(8) ⇒ ∅ (every state change)
//	order_history/            maps: order seq(8) | event seq(8) ⇒ ∅
//	order_stats/              maps: OrderState ⇒ uint64 count
//	services/                 active services
//	  AccessId 0x00 SubscriptionId ⇒ Service (JSON)
//	service_sub/              maps: SubscriptionId ⇒ AccessId
//	service_owner/            maps: owner 0x00 AccessId 0x00 SubscriptionId ⇒ ∅
//	dhcp_bindings/            the DHCP bindings (binding*.go), one per client
//	  MAC(6)                  maps: MAC ⇒ BindingRecord (binary, see binding_record.go; any state)
//	dhcp_binding_ip/          maps: IPv4(4) ⇒ MAC(6)   (active bindings only: tentative, bound)
//	dhcp_binding_access/      maps: AccessId 0x00 MAC(6) ⇒ ∅   (active bindings only)
//	dhcp_history/             "who had this IP at time T" is a prefix scan
//	  IPv4(4) | from(8) | MAC(6) ⇒ interval: to, access, circuit key (binary)
//	dhcp_history_to/          the retention purge; maps: to(8) | history key ⇒ ∅
//	dhcp_events/              (sequence: event numbers)
//	  seq(8)                  ⇒ BindingEvent (JSON): mac-moved, ip-taken-over, ip-claimed, ip-changed, circuit-conflict
//	dhcp_unknown_circuits/    maps: circuit key ⇒ UnknownCircuit (JSON), bounded by dhcp.unknown_circuits_max
//	dhcp_last_option82/       maps: AccessId ⇒ LastOption82 (JSON): the last Option 82 hex seen on it
//	ports/                    link state of the polled switch ports (port*.go), written by the PortWriter
//	  address 0x00 port name  ⇒ PortRecord (JSON): admin/oper/link, speed, since, polled at, source, reachability
//	port_history/             bounded history of each port
//	  address 0x00 port name  ⇒ PortHistory (JSON): the last transitions and the flap times of the last day
//
// The DHCP writer commits all of the dhcp_ buckets in one transaction per group commit
// and counts its commits in meta/dhcp_commit_seq (uint64).
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
// # Change stamps and Last-Modified
//
// HTTP dates have whole seconds. An export's Last-Modified is the newest
// modification time truncated to the second (L); the store then makes sure
// every later change gets a stamp of at least L+1s, so "changed since L" can
// never miss a change made in the same second as L. Write transactions and
// the start of an export serialise on one mutex to make that exact.
package store
