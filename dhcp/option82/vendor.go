package option82

import (
	"encoding/binary"
	"strconv"
)

// Vendor-specific sub-option (9), RFC 4243: the data is a sequence of
// blocks, each "enterprise-number(4) data-len(1) vendor-data(data-len)", and
// each vendor-data is itself a sequence of "code(1) len(1) data" items whose
// meaning belongs to that enterprise. Sub-option 9 may appear more than once;
// so may an enterprise inside it.

// Enterprise numbers (IANA Private Enterprise Numbers) with built-in names.
const (
	EnterpriseCisco          uint32 = 9
	EnterpriseBroadbandForum uint32 = 3561 // formerly ADSL/DSL Forum; TR-101
	EnterpriseHuawei         uint32 = 2011
	EnterpriseH3C            uint32 = 25506
	EnterpriseJuniper        uint32 = 2636
	EnterpriseZyxel          uint32 = 890
	EnterpriseDLink          uint32 = 171
)

// VendorBlock is one enterprise's part of a vendor-specific sub-option.
type VendorBlock struct {
	Enterprise uint32
	Data       []byte // aliases the input
}

// VendorItem is one item of a VendorBlock's data.
type VendorItem struct {
	Code uint8
	Data []byte
}

// ParseVendor splits a vendor-specific sub-option's data into its blocks.
// Offsets in errors are relative to data.
func ParseVendor(data []byte) ([]VendorBlock, error) {
	var out []VendorBlock
	for i := 0; i < len(data); {
		if i+5 > len(data) {
			return nil, perr(i, int(VendorSpecific), ErrTruncated,
				"vendor block header needs 5 bytes, "+strconv.Itoa(len(data)-i)+" left")
		}
		ent := binary.BigEndian.Uint32(data[i:])
		l := int(data[i+4])
		start := i + 5
		if start+l > len(data) {
			return nil, perr(i, int(VendorSpecific), ErrLengthPastEnd,
				"enterprise "+strconv.FormatUint(uint64(ent), 10)+" data length "+strconv.Itoa(l)+", "+strconv.Itoa(len(data)-start)+" bytes left")
		}
		out = append(out, VendorBlock{Enterprise: ent, Data: data[start : start+l : start+l]})
		i = start + l
	}
	if len(out) == 0 {
		return nil, perr(0, int(VendorSpecific), ErrEmpty, "no vendor block")
	}
	return out, nil
}

// Items splits the block's data into code/length/value items. Offsets in
// errors are relative to the block's data.
func (v VendorBlock) Items() ([]VendorItem, error) {
	var out []VendorItem
	d := v.Data
	for i := 0; i < len(d); {
		if i+2 > len(d) {
			return nil, perr(i, int(VendorSpecific), ErrTruncated, "vendor item without length byte")
		}
		l := int(d[i+1])
		if i+2+l > len(d) {
			return nil, perr(i, int(VendorSpecific), ErrLengthPastEnd,
				"vendor item "+strconv.Itoa(int(d[i]))+" length "+strconv.Itoa(l)+", "+strconv.Itoa(len(d)-i-2)+" bytes left")
		}
		out = append(out, VendorItem{Code: d[i], Data: d[i+2 : i+2+l : i+2+l]})
		i += 2 + l
	}
	return out, nil
}

// AppendVendor encodes blocks as the data of a vendor-specific sub-option.
func AppendVendor(dst []byte, blocks ...VendorBlock) ([]byte, error) {
	for _, b := range blocks {
		if len(b.Data) > 255 {
			return dst, perr(0, int(VendorSpecific), ErrTooLong, "vendor data of "+strconv.Itoa(len(b.Data))+" bytes")
		}
		dst = binary.BigEndian.AppendUint32(dst, b.Enterprise)
		dst = append(dst, byte(len(b.Data)))
		dst = append(dst, b.Data...)
	}
	return dst, nil
}

// VendorSpace describes one enterprise's item space for Describe.
type VendorSpace struct {
	// Name is the enterprise's name, e.g. "broadband-forum".
	Name string
	// Item returns the name of an item code and its value as text; ok=false
	// means the space does not know the code (it is then shown as
	// "item(N)" with hex data).
	Item func(code uint8, data []byte) (name, value string, ok bool)
}

// Vendors maps enterprise numbers to their item spaces. It is a plain value
// built by NewVendors and extended with Register; there is no global registry.
type Vendors struct {
	spaces map[uint32]VendorSpace
}

// NewVendors returns a registry with the built-in spaces: Broadband Forum
// (3561, the TR-101 / RFC 4679 access loop attributes) and Cisco (9, name
// only: Cisco does not publish its item codes), plus names for other common
// switch vendors.
func NewVendors() *Vendors {
	v := &Vendors{spaces: make(map[uint32]VendorSpace)}
	v.Register(EnterpriseBroadbandForum, VendorSpace{Name: "broadband-forum", Item: broadbandForumItem})
	v.Register(EnterpriseCisco, VendorSpace{Name: "cisco"})
	v.Register(EnterpriseHuawei, VendorSpace{Name: "huawei"})
	v.Register(EnterpriseH3C, VendorSpace{Name: "h3c"})
	v.Register(EnterpriseJuniper, VendorSpace{Name: "juniper"})
	v.Register(EnterpriseZyxel, VendorSpace{Name: "zyxel"})
	v.Register(EnterpriseDLink, VendorSpace{Name: "d-link"})
	return v
}

// Register adds or replaces the space of an enterprise number.
func (v *Vendors) Register(enterprise uint32, s VendorSpace) { v.spaces[enterprise] = s }

// Lookup returns the space of an enterprise number.
func (v *Vendors) Lookup(enterprise uint32) (VendorSpace, bool) {
	if v == nil {
		return VendorSpace{}, false
	}
	s, ok := v.spaces[enterprise]
	return s, ok
}

// broadbandForumItem names the Broadband Forum vendor items. Codes 1 and 2
// repeat circuit-id and remote-id; 0x81–0x8E are the DSL line attributes of
// TR-101 / RFC 4679 (rates in kbit/s, delays in ms, 4 bytes each); 0x90 is
// the access loop encapsulation (3 bytes: data link, encaps 1, encaps 2).
func broadbandForumItem(code uint8, data []byte) (string, string, bool) {
	u32 := func(unit string) string {
		if len(data) != 4 {
			return "0x" + string(AppendHex(nil, data, false))
		}
		return strconv.FormatUint(uint64(binary.BigEndian.Uint32(data)), 10) + " " + unit
	}
	switch code {
	case 1:
		return "agent-circuit-id", textOrHex(data), true
	case 2:
		return "agent-remote-id", textOrHex(data), true
	case 0x81:
		return "actual-data-rate-upstream", u32("kbit/s"), true
	case 0x82:
		return "actual-data-rate-downstream", u32("kbit/s"), true
	case 0x83:
		return "minimum-data-rate-upstream", u32("kbit/s"), true
	case 0x84:
		return "minimum-data-rate-downstream", u32("kbit/s"), true
	case 0x85:
		return "attainable-data-rate-upstream", u32("kbit/s"), true
	case 0x86:
		return "attainable-data-rate-downstream", u32("kbit/s"), true
	case 0x87:
		return "maximum-data-rate-upstream", u32("kbit/s"), true
	case 0x88:
		return "maximum-data-rate-downstream", u32("kbit/s"), true
	case 0x89:
		return "minimum-data-rate-upstream-low-power", u32("kbit/s"), true
	case 0x8A:
		return "minimum-data-rate-downstream-low-power", u32("kbit/s"), true
	case 0x8B:
		return "maximum-interleaving-delay-upstream", u32("ms"), true
	case 0x8C:
		return "actual-interleaving-delay-upstream", u32("ms"), true
	case 0x8D:
		return "maximum-interleaving-delay-downstream", u32("ms"), true
	case 0x8E:
		return "actual-interleaving-delay-downstream", u32("ms"), true
	case 0x90:
		return "access-loop-encapsulation", "0x" + string(AppendHex(nil, data, false)), true
	}
	return "", "", false
}
