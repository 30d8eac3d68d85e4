package option82

import (
	"bytes"
	"iter"
	"strconv"
)

// TLVCode is the DHCP option code of the relay agent information option.
const TLVCode = 82

// SubOption is one sub-option as the relay sent it.
type SubOption struct {
	Code Code
	Data []byte
}

// Option is one relay agent information option (one relay hop): its
// sub-options in wire order, duplicates kept, and the raw value bytes.
type Option struct {
	Subs []SubOption
	// Raw is the option value exactly as received (nil for a built option).
	Raw []byte
}

// Parse parses an option 82 value: the bytes after the code and length
// octets. The result aliases value.
func Parse(value []byte) (Option, error) {
	subs, err := AppendParse(nil, value)
	if err != nil {
		return Option{}, err
	}
	return Option{Subs: subs, Raw: value}, nil
}

// AppendParse appends the sub-options of value to dst and returns the
// extended slice; it allocates only when dst lacks capacity. On error it
// returns dst unchanged (truncated to its original length) and a *ParseError
// whose Offset is relative to value.
func AppendParse(dst []SubOption, value []byte) ([]SubOption, error) {
	return appendParse(dst, value, 0)
}

func appendParse(dst []SubOption, value []byte, base int) ([]SubOption, error) {
	n0 := len(dst)
	if len(value) == 0 {
		return dst, perr(base, -1, ErrEmpty, "")
	}
	for i := 0; i < len(value); {
		code := value[i]
		if code == 0 || code == 255 {
			return dst[:n0], perr(base+i, int(code), ErrReservedCode, "")
		}
		if i+1 >= len(value) {
			return dst[:n0], perr(base+i, int(code), ErrTruncated, "code byte without length byte")
		}
		l := int(value[i+1])
		start := i + 2
		if start+l > len(value) {
			return dst[:n0], perr(base+i, int(code), ErrLengthPastEnd,
				"length "+strconv.Itoa(l)+", "+strconv.Itoa(len(value)-start)+" bytes left")
		}
		dst = append(dst, SubOption{Code: Code(code), Data: value[start : start+l : start+l]})
		i = start + l
	}
	return dst, nil
}

// ParseTLV parses one or more concatenated option 82 TLVs ("52 LL value...").
// Each TLV becomes one Option; the results alias b.
func ParseTLV(b []byte) ([]Option, error) {
	if len(b) == 0 {
		return nil, perr(0, -1, ErrEmpty, "no option 82 TLV")
	}
	var opts []Option
	for i := 0; i < len(b); {
		if b[i] != TLVCode {
			return nil, perr(i, -1, ErrNotOption82, "option code "+strconv.Itoa(int(b[i])))
		}
		if i+1 >= len(b) {
			return nil, perr(i, -1, ErrTruncated, "option code without length byte")
		}
		l := int(b[i+1])
		start := i + 2
		if start+l > len(b) {
			return nil, perr(i, -1, ErrLengthPastEnd,
				"option length "+strconv.Itoa(l)+", "+strconv.Itoa(len(b)-start)+" bytes left")
		}
		if l == 0 {
			return nil, perr(i, -1, ErrEmpty, "option length 0")
		}
		value := b[start : start+l : start+l]
		subs, err := appendParse(nil, value, start)
		if err != nil {
			return nil, err
		}
		opts = append(opts, Option{Subs: subs, Raw: value})
		i = start + l
	}
	return opts, nil
}

// ParseHex parses the hex text form of one or more option 82 TLVs, as the
// PI-API and ON-API carry it (e.g. "5216010765746820302F31..."). See
// DecodeHex for the accepted spelling; error offsets count characters.
func ParseHex(s string) ([]Option, error) {
	b, err := DecodeHex(s)
	if err != nil {
		return nil, err
	}
	opts, err := ParseTLV(b)
	if err != nil {
		return nil, err
	}
	return opts, nil
}

// First returns the data of the first sub-option with the given code.
func (o Option) First(code Code) ([]byte, bool) {
	for _, s := range o.Subs {
		if s.Code == code {
			return s.Data, true
		}
	}
	return nil, false
}

// All yields the data of every sub-option with the given code, in order.
func (o Option) All(code Code) iter.Seq[[]byte] {
	return func(yield func([]byte) bool) {
		for _, s := range o.Subs {
			if s.Code == code && !yield(s.Data) {
				return
			}
		}
	}
}

// CircuitID returns the first circuit-id sub-option (1).
func (o Option) CircuitID() ([]byte, bool) { return o.First(CircuitID) }

// RemoteID returns the first remote-id sub-option (2).
func (o Option) RemoteID() ([]byte, bool) { return o.First(RemoteID) }

// First returns the data of the first sub-option with the given code across
// several options (relay hops), in order.
func First(opts []Option, code Code) ([]byte, bool) {
	for _, o := range opts {
		if d, ok := o.First(code); ok {
			return d, true
		}
	}
	return nil, false
}

// Clone returns a deep copy of o that shares no memory with the parsed input.
func (o Option) Clone() Option {
	c := Option{Subs: make([]SubOption, len(o.Subs)), Raw: bytes.Clone(o.Raw)}
	for i, s := range o.Subs {
		c.Subs[i] = SubOption{Code: s.Code, Data: bytes.Clone(s.Data)}
	}
	return c
}
