package option82

import "strconv"

// DecodeHex decodes hex text into bytes. It accepts upper- and lower-case
// digits, an optional "0x"/"0X" prefix (Kea writes one) and, between bytes
// only, any mix of spaces, tabs, newlines, colons and dashes ("52:16:01",
// "52 16 01", "5216 01"). A separator inside a byte ("5 2"), an odd number of
// digits or any other character is an ErrHex *ParseError whose Offset is the
// character offset in s. Empty text is ErrEmpty.
func DecodeHex(s string) ([]byte, error) { return appendDecodeHex(nil, s) }

// appendDecodeHex is DecodeHex appending to dst, which it grows only when
// it lacks room.
func appendDecodeHex(dst []byte, s string) ([]byte, error) {
	i := 0
	if len(s) >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') {
		i = 2
	}
	out := dst[:0]
	if cap(out) < (len(s)-i)/2 {
		out = make([]byte, 0, (len(s)-i)/2)
	}
	for i < len(s) {
		c := s[i]
		if isSep(c) {
			i++
			continue
		}
		hi, ok := unhex(c)
		if !ok {
			return nil, perr(i, -1, ErrHex, "unexpected "+strconv.QuoteRune(rune(c)))
		}
		if i+1 >= len(s) {
			return nil, perr(i, -1, ErrHex, "odd number of hex digits")
		}
		lo, ok := unhex(s[i+1])
		if !ok {
			if isSep(s[i+1]) {
				return nil, perr(i+1, -1, ErrHex, "separator inside a byte")
			}
			return nil, perr(i+1, -1, ErrHex, "unexpected "+strconv.QuoteRune(rune(s[i+1])))
		}
		out = append(out, hi<<4|lo)
		i += 2
	}
	if len(out) == 0 {
		return nil, perr(0, -1, ErrEmpty, "no hex digits")
	}
	return out, nil
}

func isSep(c byte) bool {
	switch c {
	case ' ', '\t', '\n', '\r', ':', '-':
		return true
	}
	return false
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// AppendHex appends the hex digits of b to dst, upper- or lower-case, with
// no separators.
func AppendHex(dst, b []byte, upper bool) []byte {
	digits := "0123456789abcdef"
	if upper {
		digits = "0123456789ABCDEF"
	}
	for _, x := range b {
		dst = append(dst, digits[x>>4], digits[x&0xf])
	}
	return dst
}
