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
	return appendParseTLV(nil, nil, b)
}

// appendParseTLV is ParseTLV into opts and subs (each reset), which it
// grows only when they lack room.
func appendParseTLV(opts []Option, all []SubOption, b []byte) ([]Option, error) {
	if len(b) == 0 {
		return nil, perr(0, -1, ErrEmpty, "no option 82 TLV")
	}
	// Count first, so that the options and all their sub-options take
	// one allocation each at most. On bad input the count falls short and
	// append grows as it must; the parse below reports the fault.
	nopt, nsub := countTLV(b)
	if opts = opts[:0]; cap(opts) < nopt {
		opts = make([]Option, 0, nopt)
	}
	if all = all[:0]; cap(all) < nsub {
		all = make([]SubOption, 0, nsub)
	}
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
		n0 := len(all)
		var err error
		if all, err = appendParse(all, value, start); err != nil {
			return nil, err
		}
		// Each option's sub-options end at their own capacity: an append
		// to one never writes into the next.
		opts = append(opts, Option{Subs: all[n0:len(all):len(all)], Raw: value})
		i = start + l
	}
	return opts, nil
}

// countTLV counts the option 82 TLVs in b and their sub-options, as far
// as they are well formed.
func countTLV(b []byte) (opts, subs int) {
	for i := 0; i+1 < len(b) && b[i] == TLVCode; {
		start, end := i+2, i+2+int(b[i+1])
		if end > len(b) {
			break
		}
		opts++
		for j := start; j+1 < end; j += 2 + int(b[j+1]) {
			subs++
		}
		i = end
	}
	return opts, subs
}

// ParseHex parses the hex text form of one or more option 82 TLVs, as the
// PI-API and ON-API carry it (e.g. "5216010765746820302F31..."). See
// DecodeHex for the accepted spelling; error offsets count characters.
func ParseHex(s string) ([]Option, error) {
	b, err := DecodeHex(s)
	if err != nil {
		return nil, err
	}
	return ParseTLV(b)
}

// Scratch is room to parse the hex of option 82 in without allocating, for
// what relays send (a few hops, a few sub-options each, 255 bytes a hop):
// a look-up answering per request keeps one in a sync.Pool. Larger input
// is parsed all the same, into new memory.
type Scratch struct {
	raw  [scratchRaw]byte
	opts [4]Option
	subs [16]SubOption
}

const scratchRaw = 512

// ParseHex is ParseHex into sc: the options alias sc and are valid until
// sc parses again.
func (sc *Scratch) ParseHex(s string) ([]Option, error) {
	b, err := appendDecodeHex(sc.raw[:0], s)
	if err != nil {
		return nil, err
	}
	return appendParseTLV(sc.opts[:0], sc.subs[:0], b)
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

// FirstNonEmpty returns the data of the first sub-option with the given
// code that carries data. RFC 3046 section 2.0 allows a sub-option of
// length zero; it identifies nothing, so it counts as absent and does not
// hide a later one.
func (o Option) FirstNonEmpty(code Code) ([]byte, bool) {
	for _, s := range o.Subs {
		if s.Code == code && len(s.Data) > 0 {
			return s.Data, true
		}
	}
	return nil, false
}

// FirstNonEmpty returns the data of the first sub-option with the given
// code that carries data, across several options (relay hops) in order.
func FirstNonEmpty(opts []Option, code Code) ([]byte, bool) {
	for _, o := range opts {
		if d, ok := o.FirstNonEmpty(code); ok {
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
