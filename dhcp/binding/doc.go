// Package binding is the pure state machine of DHCP bindings (client ⇔ IP ⇔
// access). It does no I/O and keeps no state: the store hands it the
// current binding of a client and the binding holding the observed IP, and
// stores what it returns.
//
// # Key
//
// A binding is keyed by the client's MAC (chaddr, Ethernet only). The
// client-id (option 61) is optional, absent from many relay copies' clients
// and from Kea rows; the MAC is in every source and is what the NOC and the
// neighbour table speak.
//
// # States
//
//   - tentative: a REQUEST naming an IP (option 50 or ciaddr) was seen by a
//     relay copy (or by snoop, before the server's answer). It lives
//     Config.TentativeLifetime unless confirmed.
//   - bound: confirmed by an ACK seen by snoop (expiry = now + option 51, or
//     Config.DefaultLeaseTime without it), a Kea lease row (its expire), or
//     a renewal: a REQUEST with ciaddr from the same MAC for the IP it
//     already holds (expiry extended by the last known lease time, or
//     Config.DefaultLeaseTime).
//   - released: RELEASE for the held IP from the binding's MAC, through
//     the binding's circuit (below), or a Kea row with valid_lifetime 0.
//   - expired: the lease end passed (Sweep), a Kea expired-reclaimed row, a
//     NAK ending a tentative binding, or the IP taken over by another MAC.
//   - declined: DECLINE for the held IP from the binding's MAC, through the
//     binding's circuit, or a Kea declined row.
//
// tentative and bound are active; the others end the binding and close its
// history interval.
//
// A RELEASE or DECLINE ends a binding only when it names the binding's
// MAC and IP and comes through its circuit: a relayed packet must carry
// the binding's circuit in its option 82 (a relay adds the client port's;
// a forged packet sent through another port carries that port's). A
// snooped packet without option 82 is the client's own unicast to the DHCP
// server, which the server acts on by MAC and address alone: accessd does
// the same. Anything else is refused (Result.Refused) and changes nothing.
//
// # Events and history
//
// Apply and Sweep return events: started, confirmed, ip-changed (same MAC,
// new IP), mac-moved (same MAC seen on another access), ip-taken-over
// (another MAC takes an IP held by an active binding, which ends), ip-claimed
// (another MAC asks for an IP held by a bound binding without evidence that
// the server freed it: an INIT-REBOOT REQUEST; the holder stays, the
// claimer does not get the IP) and ended. A history Interval (IP, MAC,
// access, from, to) is closed whenever an active binding ends or changes IP
// or access; the open interval is the active binding itself (from =
// Binding.Since).
//
// Take-over rule: a claim by another MAC takes the IP from its holder when
// the claim is a confirmation (ACK, Kea lease, renewal with ciaddr), when the
// claim is a SELECTING REQUEST (option 50 with a server identifier: the
// server offered the IP, so it considers it free), or when the holder is
// only tentative.
//
// Ordering: the daemon applies a client's packets in arrival order. An
// observation older than the binding's LastSeen (a Kea row read at start-up,
// say) may still confirm the same IP or extend its expiry, but never moves
// the binding to another IP or access.
package binding
