// Package wire is the versioned format of every message accessd sites
// exchange over NATS JetStream: facts (edge → hub), inventory changes
// (hub → edges) and orders (hub work queue). It is independent of the
// store's types; the daemon converts.
//
// # Envelope
//
// Every message is one JSON object, at most [MaxMessageBytes] long:
//
//	{"v":1,"site":"pop-norr","kind":"binding","seq":42,"id":"pop-norr/binding/42",
//	 "at":"2026-03-01T12:00:00.123Z","payload":{…}}
//
//	v         the format's major version, 1. A receiver refuses a version it
//	          does not know. Within a version fields may be added (receivers
//	          ignore fields they do not know) and kinds may be added (a
//	          receiver counts and skips a kind it does not know); renaming or
//	          removing a field, or changing its meaning, takes a new version.
//	site      the sending site: [A-Za-z0-9_-]{1,64}, also its JetStream domain.
//	instance  optional: the sending accessd instance when a site runs several
//	          (hub instances); same syntax as site.
//	kind      what the payload is (see below).
//	seq       > 0, the sender's sequence. For facts and orders it increases
//	          with every message of the origin (site and instance), over all
//	          kinds; for inventory changes it is the hub's change sequence of
//	          the access and for an inventory commit the batch number.
//	id        "<origin>/<kind>/<seq>", where origin is site or
//	          "site:instance". It is also the message's Nats-Msg-Id header,
//	          so JetStream drops a repeat within its de-duplication window,
//	          and a receiver refuses a message whose header and id differ.
//	at        RFC 3339 time the sender made the message.
//	payload   an object whose shape the kind fixes.
//
// # Kinds
//
// Facts, on subject accessd.facts.<site>.<kind>:
//
//	binding          [Binding]: the state of one DHCP client after a change
//	link             [Link]: the state of one switch port after a change
//	unknown_circuit  [UnknownCircuit]: a circuit that matched no access
//	order_outcome    [OrderOutcome]: an order's new state
//
// A batch of facts (added within version 1), on accessd.facts.<site>.facts:
//
//	facts  [Facts]: {"facts":[<fact>, …]}, each element a complete fact
//	       message as it would travel alone (v, site, kind, seq, id, at,
//	       payload). The batch's seq is its last fact's and its id (and
//	       Nats-Msg-Id) "<origin>/facts/<last seq>". A batch holds at least
//	       one fact, facts only (no batch in a batch), all of the batch's
//	       origin, in strictly increasing seq; the whole message stays
//	       within MaxMessageBytes. A fact that fails its checks refuses the
//	       whole batch. An edge sends its facts so, many to a message (the
//	       costs of a JetStream message are per message, not per byte);
//	       [Batch] builds one from facts already encoded. A receiver of
//	       version 1 from before batches counts them as an unknown kind and
//	       skips them: upgrade a hub before its edges.
//
// Inventory, on accessd.inventory.access.<accessId> and
// accessd.inventory.commit.<origin token>:
//
//	access            [AccessChange]: the new value of an access, or its removal
//	inventory_commit  [InventoryCommit]: the end of a batch (one import)
//
// Orders, on accessd.orders.<site>:
//
//	order  [Order]: an order to carry out
//
// # Values
//
// Times are RFC 3339 with nanoseconds in UTC; an absent time is left out.
// MAC addresses are six lower-case hex pairs joined by ':'. IPv4 addresses
// are dotted quads. Option 82 is upper-case hex of the whole option (the
// PI-API/ON-API form). Strings are UTF-8, bounded (see each type) and hold
// no control characters.
//
// # Validation
//
// [Decode] checks the size, the JSON, the version, the kind, the envelope
// and the payload, and returns an [*Error] whose [Reason] a receiver uses
// as a metric label: a message that fails is counted and skipped, never
// applied. Checks that need a receiver's configuration (is the site listed,
// does the subject name the same site and kind) are the receiver's.
// [DecodeKind] is Decode for a receiver that knows the kind (from the
// subject): it reads the JSON once. A sender holding a payload's JSON
// already (an edge's outbox) sends it as an [Encoded] payload.
package wire
