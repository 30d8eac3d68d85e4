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
//   - source: where packets come from — the passive relay-copy listener, AF_PACKET
//     snooping with a BPF filter, and Kea's lease file followed by polling.
//   - ingest: the binding service — bounded queue, one processor, the working
//     set in memory, one group-committing writer to the store, and the answers
//     (look-ups, leases, history, unknown circuits, the API resolver).
//
// The first seven do no I/O except neigh; source and ingest are the I/O, and
// the daemon's DHCP subsystem (cmd/accessd/internal/dhcpsys) wires them
// together.
package dhcp
