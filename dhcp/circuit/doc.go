// Package circuit turns the relay agent sub-options of a DHCP packet into a
// canonical circuit and renders the circuit as an inventory key.
//
// # Profiles
//
// A Profile is a plain value (the config package builds it from YAML): a
// name, matchers (giaddr prefixes and/or a remote-id regular expression), a
// Format, a port offset and a key template. NewDecoder validates and compiles
// a list of profiles; Decoder.Decode picks the FIRST profile whose matchers
// all match (a profile without matchers matches every packet) and falls back
// to the built-in default profile ("default": text format, key
// "{remote_id} {circuit_id}") when none does.
//
// Matchers: GIAddr matches when the packet's giaddr lies in any of the
// prefixes (an unrelayed packet has giaddr 0.0.0.0, which only 0.0.0.0/0 and
// 0.0.0.0/32 contain). RemoteID is matched against the raw bytes of the first
// non-empty remote-id sub-option, or against the empty string when there is
// none (so `^$` selects relays that send no remote-id, or an empty one); it
// is meant for text remote-ids: select binary relays by giaddr.
//
// # Formats
//
// The circuit-id and remote-id sub-options are the first non-empty ones
// found across all option 82 instances, in hop order (the relay nearest the
// client first). A zero-length sub-option (RFC 3046 section 2.0 allows one)
// identifies nothing: it counts as absent and does not hide a later one. A
// packet with neither is ErrNoIdentity.
//
//   - text: circuit-id is printable ASCII text (trailing NULs trimmed, RFC 2132
//     section 2); anything else is ErrNotText.
//   - cisco and dlink: circuit-id "00 04 VLAN(2) module(1) port(1)" or, when
//     configured as a string, "01 LEN text"; remote-id "00 06 MAC(6)" or "01 LEN
//     text". Source: the PI-API option82-2.png picture and D-Link's DES-3528 /
//     DGS-3700 manuals ("Circuit ID sub-option format: 1 6 0 4 VLAN Module
//     Port", "Remote ID: 2 8 0 6 MAC address").
//   - huawei: Huawei's "extend" format (command reference of "dhcp option82
//     format", CloudEngine): circuit-id "type 0, length 4, S-VLAN (2 bytes),
//     slot (5 bits) + subslot (3 bits), port (1 byte)"; remote-id "type 0,
//     length 6, MAC". Module is "slot/subslot".
//   - zyxel: Zyxel GS/XGS "DHCPv4 Relay Agent Information" (GS1350 / XMG1915
//     user's guides): circuit-id "slot ID (1 byte), port ID (1 byte), VLAN ID (2
//     bytes)" optionally followed by the system name, which becomes Switch;
//     remote-id a MAC (6 bytes) or a string.
//   - tr101: Broadband Forum TR-101 text, "<access-node> eth <slot>/<port>[:<vlan>]"
//     or "<access-node> atm <slot>/<port>:<vpi>.<vci>"; the path may have more
//     levels (rack/frame/slot/subslot/port); Switch is the access node,
//     Module all path levels but the last, Interface "eth 1/2".
//   - juniper: "<media>-<fpc>/<pic>/<port>[.<unit>][:<vlan>]", e.g. ge-0/0/10,
//     ge-0/0/10:100, ge-1/0/1.0:43; a non-numeric VLAN (a VLAN name, Junos's
//     default) leaves VLAN unset. Interface is "ge-0/0/10", Module "fpc/pic".
//   - hex: no interpretation; circuit-id and remote-id become lower-case hex.
//
// Binary formats set CircuitID to the lower-case hex of the circuit-id
// sub-option (lossless; templates can use {module}, {port}, {vlan} instead).
// Remote-ids that are not covered by a format rule render as text when they
// are printable ASCII, as a MAC ("00:1a:2b:3c:4d:5e", lower-case colon hex)
// when they are 6 other bytes, and as lower-case hex otherwise. When a format
// carries no switch name, Switch is the remote-id (the switch's management
// address or MAC).
//
// The port offset is added to every numeric port (Port = wire value +
// PortOffset): a Cisco model that numbers its first port 3 needs -2. A
// negative result is ErrFormat.
//
// # Key templates
//
// A template such as "{remote_id} {circuit_id}" names parts in braces:
// remote_id, circuit_id, switch, module, port, vlan, interface, giaddr,
// circuit_hex, remote_hex ("{{" and "}}" are literal braces). Rendering joins
// the PRESENT parts with the literal text written before each of them and
// drops an absent part together with that separator; the text before the
// first part and after the last is kept when any part is present. So
// remote-id 192.168.248.85 + circuit-id ge-0/0/10 gives
// "192.168.248.85 ge-0/0/10", and a packet without remote-id gives
// "ge-0/0/10". A circuit with no part present renders no key (ok=false): it
// can never match an access. ParseTemplate compiles once; Append renders
// without allocating beyond growing dst.
package circuit
