package option82

import (
	"net/netip"
	"strconv"
)

// Field is one line of a human-readable description of an option.
type Field struct {
	Code  Code
	Name  string // e.g. "circuit-id", "vendor-specific/broadband-forum/actual-data-rate-upstream"
	Value string // text when printable or known, else "0x" + lower-case hex
}

// Describe renders every sub-option of o for people (accessctl, debug logs
// at the operator's request). vendors may be nil. Malformed vendor-specific
// data is shown as hex with the parse error as its value suffix.
func Describe(o Option, vendors *Vendors) []Field {
	out := make([]Field, 0, len(o.Subs))
	for _, s := range o.Subs {
		if s.Code == VendorSpecific {
			out = describeVendor(out, s.Data, vendors)
			continue
		}
		out = append(out, Field{Code: s.Code, Name: s.Code.String(), Value: describeValue(s.Code, s.Data)})
	}
	return out
}

func describeValue(c Code, d []byte) string {
	switch c {
	case CircuitID, RemoteID, SubscriberID, RelayID, AccessNetworkName, AccessPointName, OperatorRealm:
		return textOrHex(d)
	case LinkSelection, ServerIDOverride:
		if len(d) == 4 {
			return netip.AddrFrom4([4]byte(d)).String()
		}
	case RelayAgentFlags:
		if len(d) == 1 {
			s := "0x" + string(AppendHex(nil, d, false))
			if d[0]&0x80 != 0 {
				s += " (unicast)"
			}
			return s
		}
	case RelaySourcePort:
		if len(d) == 0 {
			return "(present)"
		}
	}
	return "0x" + string(AppendHex(nil, d, false))
}

func describeVendor(out []Field, data []byte, vendors *Vendors) []Field {
	blocks, err := ParseVendor(data)
	if err != nil {
		return append(out, Field{Code: VendorSpecific, Name: VendorSpecific.String(),
			Value: "0x" + string(AppendHex(nil, data, false)) + " (" + err.Error() + ")"})
	}
	for _, b := range blocks {
		space, known := vendors.Lookup(b.Enterprise)
		prefix := VendorSpecific.String() + "/"
		if known && space.Name != "" {
			prefix += space.Name
		} else {
			prefix += "enterprise(" + strconv.FormatUint(uint64(b.Enterprise), 10) + ")"
		}
		items, err := b.Items()
		if err != nil {
			out = append(out, Field{Code: VendorSpecific, Name: prefix,
				Value: "0x" + string(AppendHex(nil, b.Data, false)) + " (" + err.Error() + ")"})
			continue
		}
		for _, it := range items {
			name, value, ok := "", "", false
			if known && space.Item != nil {
				name, value, ok = space.Item(it.Code, it.Data)
			}
			if !ok {
				name, value = "item("+strconv.Itoa(int(it.Code))+")", textOrHex(it.Data)
			}
			out = append(out, Field{Code: VendorSpecific, Name: prefix + "/" + name, Value: value})
		}
	}
	return out
}

// textOrHex returns d as text when every byte is printable ASCII, else "0x"
// followed by lower-case hex.
func textOrHex(d []byte) string {
	if len(d) > 0 && IsPrintable(d) {
		return string(d)
	}
	return "0x" + string(AppendHex(nil, d, false))
}

// IsPrintable reports whether every byte of d is printable ASCII (0x20–0x7E).
func IsPrintable(d []byte) bool {
	for _, c := range d {
		if c < 0x20 || c > 0x7e {
			return false
		}
	}
	return true
}
