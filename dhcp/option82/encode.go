package option82

import "strconv"

// Len returns the encoded length of o's value.
func (o Option) Len() int {
	n := 0
	for _, s := range o.Subs {
		n += 2 + len(s.Data)
	}
	return n
}

// Append appends o's value (the sub-options, without the 82/length header)
// to dst. It fails with ErrTooLong for a sub-option longer than 255 bytes and
// with ErrReservedCode for code 0 or 255, so that everything it writes parses
// back. An empty option encodes as no bytes (and would not parse back: see
// ErrEmpty).
func (o Option) Append(dst []byte) ([]byte, error) {
	for i, s := range o.Subs {
		if s.Code == 0 || s.Code == 255 {
			return dst, perr(i, int(s.Code), ErrReservedCode, "sub-option index "+strconv.Itoa(i))
		}
		if len(s.Data) > 255 {
			return dst, perr(i, int(s.Code), ErrTooLong, "sub-option index "+strconv.Itoa(i)+" has "+strconv.Itoa(len(s.Data))+" bytes")
		}
		dst = append(dst, byte(s.Code), byte(len(s.Data)))
		dst = append(dst, s.Data...)
	}
	return dst, nil
}

// AppendTLV appends "52 LL value" to dst. A value longer than 255 bytes or
// with no sub-option is refused: RFC 3396 would split it over several option
// 82 instances, which readers of the PI/ON-API hex take as separate hops.
func (o Option) AppendTLV(dst []byte) ([]byte, error) {
	n := o.Len()
	if n > 255 {
		return dst, perr(0, -1, ErrTooLong, "value of "+strconv.Itoa(n)+" bytes")
	}
	if len(o.Subs) == 0 {
		return dst, perr(0, -1, ErrEmpty, "")
	}
	out := append(dst, TLVCode, byte(n))
	out, err := o.Append(out)
	if err != nil {
		return dst, err
	}
	return out, nil
}

// EncodeTLV encodes opts as concatenated option 82 TLVs, one per option.
func EncodeTLV(opts ...Option) ([]byte, error) {
	var b []byte
	for _, o := range opts {
		var err error
		if b, err = o.AppendTLV(b); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// FormatHex encodes opts as TLVs in upper-case hex without separators, the
// form of the PI-API spec example ("5216010765746820302F31...").
func FormatHex(opts ...Option) (string, error) {
	b, err := EncodeTLV(opts...)
	if err != nil {
		return "", err
	}
	return string(AppendHex(make([]byte, 0, 2*len(b)), b, true)), nil
}
