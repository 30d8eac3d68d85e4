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
	// out has room for every byte the text can hold: n indexes it
	// instead of append's length checks.
	out = out[:cap(out)]
	n := 0
	for i < len(s) {
		hi := hexNibbles[s[i]]
		if hi > 0xf {
			if hi == hexSep {
				i++
				continue
			}
			return nil, perr(i, -1, ErrHex, "unexpected "+strconv.QuoteRune(rune(s[i])))
		}
		if i+1 >= len(s) {
			return nil, perr(i, -1, ErrHex, "odd number of hex digits")
		}
		lo := hexNibbles[s[i+1]]
		if lo > 0xf {
			if lo == hexSep {
				return nil, perr(i+1, -1, ErrHex, "separator inside a byte")
			}
			return nil, perr(i+1, -1, ErrHex, "unexpected "+strconv.QuoteRune(rune(s[i+1])))
		}
		out[n] = hi<<4 | lo
		n++
		i += 2
	}
	if n == 0 {
		return nil, perr(0, -1, ErrEmpty, "no hex digits")
	}
	return out[:n], nil
}

// hexNibbles is, for each byte, its value as a hex digit (0-15), hexSep
// for a separator (space, tab, newline, carriage return, colon, dash) or
// hexBad: one look-up per character instead of a comparison per range.
const hexNibbles = "" +
	"\xff\xff\xff\xff\xff\xff\xff\xff\xff\x10\x10\xff\xff\x10\xff\xff" +
	"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff" +
	"\x10\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x10\xff\xff" +
	"\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x10\xff\xff\xff\xff\xff" +
	"\xff\x0a\x0b\x0c\x0d\x0e\x0f\xff\xff\xff\xff\xff\xff\xff\xff\xff" +
	"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff" +
	"\xff\x0a\x0b\x0c\x0d\x0e\x0f\xff\xff\xff\xff\xff\xff\xff\xff\xff" +
	"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff" +
	"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff" +
	"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff" +
	"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff" +
	"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff" +
	"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff" +
	"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff" +
	"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff" +
	"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff"

// The entries of hexNibbles that are not digits.
const (
	hexSep = 0x10
	hexBad = 0xff
)

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
