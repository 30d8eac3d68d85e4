// Package lookup answers "which access has this Option 82?": the one
// resolver behind PI-API's option82/{hex}, ON-API's option82/{hex} and
// dhcplookup/, accessctl lookup option82, and the DHCP service's own
// circuit matching. Every path applies the same rules, so the same hex
// gets the same answer wherever it is asked.
//
// # Empty sub-options
//
// RFC 3046 section 2.0 allows a sub-option of length zero. A zero-length
// circuit-id or remote-id identifies nothing, so it counts as absent, as
// if the relay had not sent it: PI-API's option82 look-up sends "only the
// sub-options the DHCP log has" (if the log has only a remote-id, the call
// has only a remote-id), and ON-API's dhcpIdentifier omits "fields with
// unknown or missing value". An empty sub-option never hides a later one
// with data (option82.FirstNonEmpty), an Option 82 whose only identity
// sub-options are empty names no circuit (not found), and adding or
// removing empty circuit-id or remote-id sub-options never changes an
// answer (FuzzResolve checks it).
//
// # Steps
//
// Resolve tries, in order, and answers with the first step that finds
// exactly one access:
//
//  1. the inventory by the text of the circuit-id and remote-id, instance
//     by instance in hop order (store.Inventory.AccessByCircuit: both
//     must match, or one alone when exactly one access has it);
//  2. the live bindings, when the DHCP service runs: an Option 82 with the
//     same identity as a packet that resolved to an access (the packet
//     chose its decoder profile by giaddr, which an API request does not
//     carry); see LiveKey;
//  3. the decoder profiles: each configured profile on its own (its
//     matchers do not apply without a giaddr) and the built-in default
//     decode the Option 82, render their key template and look the key up
//     (MatchCircuit) — binary vendor formats (Cisco, Huawei, …) match here.
//
// A text look-up (dhcplookup's ipv4CircuitId / ipv4RemoteId) is the
// Option 82 a relay would send with those two sub-options (TextOption):
// it gets the answer of that Option 82's hex.
//
// Several accesses from one step are store.ErrAmbiguous; nothing found is
// store.ErrNotFound (both wrapped). When no step answers, an ambiguous
// step is reported before a step that found nothing.
package lookup
