// Package option82 is accessd's own codec for the DHCPv4 Relay Agent
// Information option (option 82, RFC 3046).
//
// General DHCP libraries merge repeated sub-options and turn malformed ones
// into nil; accessd must keep exactly what the relay sent, so this package
// walks the bytes itself:
//
//   - Parse / AppendParse read one option value (the bytes after code and
//     length) into its sub-options, in order, duplicates kept. SubOption.Data
//     and Option.Raw alias the input (no copy); use Option.Clone to keep them.
//   - ParseTLV reads one or more complete "52 LL value" blocks, as the PI-API
//     and ON-API option82 hex carries them; several concatenated blocks are one
//     Option each (one per relay hop).
//   - ParseHex reads the hex text form (see DecodeHex for what it tolerates).
//   - Option.Append, Option.AppendTLV, EncodeTLV and FormatHex encode back:
//     for every input Parse accepts, encoding returns exactly the input bytes.
//   - Code names every assigned sub-option; ParseVendor and Vendors decode the
//     RFC 4243 vendor-specific sub-option (9) by enterprise number; Describe
//     renders an option for people.
//
// # What is an error
//
// Errors are *ParseError values carrying the byte offset and a sentinel
// reason usable with errors.Is:
//
//   - ErrEmpty: an option value of zero bytes. RFC 3046 section 2.0: at least
//     one sub-option must be present, so the minimum length is two.
//   - ErrTruncated: a sub-option code byte with no length byte after it.
//   - ErrLengthPastEnd: a sub-option (or TLV) length running past the end.
//   - ErrReservedCode: sub-option code 0 or 255. Pad and End exist in the DHCP
//     option space, not in the sub-option space; a relay that pads sub-options
//     is broken and accepting a 0 would silently shift every later field.
//   - ErrNotOption82: a TLV whose code is not 82 (ParseTLV, ParseHex).
//   - ErrHex: a malformed hex text (ParseHex, DecodeHex).
//
// A sub-option of length zero is NOT an error: RFC 3046 section 2.0 says "A
// sub-option length may be zero", and RFC 8357's relay source port sub-option
// (19) is defined with length 0. A zero-length option value is.
//
// Nothing here panics on any input; the fuzz targets check that, and that
// parse → encode → parse is the identity.
package option82
