// Package dhcp is the root of accessd's DHCPv4 / Option 82 code. It holds no
// code itself; each sub-package has one job:
//
//   - hwaddr: the 6-byte Ethernet MAC address type shared by the others.
//   - option82: the RFC 3046 relay agent information codec (our own, because
//     general DHCP libraries merge repeated sub-options and hide malformed ones).
//   - circuit: decoder profiles that turn sub-options into a canonical circuit
//     and key templates that render the circuit as an inventory key.
//   - dhcp4: the hot-path BOOTP/DHCPv4 packet decoder.
//   - kealease: the streaming parser of Kea's memfile lease CSV.
//   - binding: the pure binding state machine (tentative, bound, released,
//     expired, declined) with move/take-over events and history intervals.
//   - neigh: IPv4 neighbour-table look-up (IP to MAC) over rtnetlink.
//
// None of these packages does I/O except neigh; the daemon wires them to its
// packet sources and to the store.
package dhcp
