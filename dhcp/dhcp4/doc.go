// Package dhcp4 is accessd's hot-path decoder of BOOTP/DHCPv4 packets, as
// they arrive from a relay (relay copy), on the wire (snoop) or in a test.
//
// insomniacslk/dhcp's dhcpv4.FromBytes builds a map of every option and
// copies every address; at the target (decode a typical relayed
// packet in ≤ 1 µs with ≤ 5 allocations, sustain 100,000 packets/s) that is
// too slow, so this package walks the bytes itself and keeps only what
// accessd uses. insomniacslk remains the builder of packets in tests and in
// cmd/dhcpload, and the differential oracle of the fuzz target.
//
// Decode returns a new *Packet (3 allocations with one option 82 instance);
// Packet.Decode reuses a Packet and its slices (0 allocations in steady
// state). Byte slices in a Packet (Hostname, ClientID, option 82 data) alias
// the input buffer: copy what must outlive it.
//
// # Options
//
//   - Pad (0) is skipped; End (255) ends an option area. A missing End is
//     accepted when the options run exactly to the end of the packet (we are
//     a passive observer: the server decides what it accepts).
//   - Overload (52, RFC 2132 9.3): value 1 continues the options in the file
//     field, 2 in sname, 3 in both; areas are read in RFC 3396 order (options,
//     file, sname). A 52 outside the options field is ignored; a value other
//     than 1-3 is ErrOptionLength.
//   - RFC 3396 long options: repeated hostname (12) or client-id (61) are
//     concatenated. A repeated fixed-size option (50, 51, 53, 54) concatenates
//     to an invalid length and is ErrOptionLength.
//   - Option 82 occurrences are kept as separate instances (one per relay
//     hop, as option82.ParseTLV does) when each one parses on its own;
//     otherwise (an RFC 3396 split inside a sub-option) they are concatenated
//     and parsed as one. Either way the flattened sub-option list is what RFC
//     3396 prescribes. A malformed option 82 fails the whole packet with
//     ErrOption82 wrapping the *option82.ParseError (errors.As works), with
//     the offset translated into the packet.
//
// Hostname is personal data (it often names the customer): keep it out of
// logs.
package dhcp4
