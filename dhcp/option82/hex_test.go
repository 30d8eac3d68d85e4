package option82

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"testing"
)

// TestHexNibbles holds the decoding table to DecodeHex's documented
// spelling: upper- and lower-case digits, the separators, nothing else.
func TestHexNibbles(t *testing.T) {
	if len(hexNibbles) != 256 {
		t.Fatalf("hexNibbles has %d entries, want 256", len(hexNibbles))
	}
	for c := range 256 {
		var want byte
		switch {
		case '0' <= c && c <= '9':
			want = byte(c - '0')
		case 'a' <= c && c <= 'f':
			want = byte(c - 'a' + 10)
		case 'A' <= c && c <= 'F':
			want = byte(c - 'A' + 10)
		case strings.ContainsRune(" \t\n\r:-", rune(c)):
			want = hexSep
		default:
			want = hexBad
		}
		if got := hexNibbles[c]; got != want {
			t.Errorf("hexNibbles[%#x] = %#x, want %#x", c, got, want)
		}
	}
}

// FuzzDecodeHexReference: the table-driven decoder answers every text
// as the branching one it replaced (decodeHexReference) did: the same
// bytes, or the same error naming the same position.
func FuzzDecodeHexReference(f *testing.F) {
	for _, tc := range validTLVs {
		f.Add(tc.hex)
	}
	for _, s := range []string{"", "0x", "0X", "5 2", "52:16", "52-16 01\t\r\n", "zz", "0x5201", "5", "5\xff", "g0", "0g", "52:"} {
		f.Add(s)
	}
	dst := make([]byte, 0, 8) // reused, grown as a Scratch's is not
	f.Fuzz(func(t *testing.T, s string) {
		want, wantErr := decodeHexReference(s)
		got, err := appendDecodeHex(dst, s)
		if fmt.Sprint(err) != fmt.Sprint(wantErr) {
			t.Fatalf("appendDecodeHex(%q) error %v, want %v", s, err, wantErr)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("appendDecodeHex(%q) = %x, want %x", s, got, want)
		}
		if err == nil {
			dst = got
		}
	})
}

// decodeHexReference is DecodeHex as it was before its table: a
// comparison per character range.
func decodeHexReference(s string) ([]byte, error) {
	i := 0
	if len(s) >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') {
		i = 2
	}
	var out []byte
	for i < len(s) {
		c := s[i]
		if refIsSep(c) {
			i++
			continue
		}
		hi, ok := refUnhex(c)
		if !ok {
			return nil, perr(i, -1, ErrHex, "unexpected "+strconv.QuoteRune(rune(c)))
		}
		if i+1 >= len(s) {
			return nil, perr(i, -1, ErrHex, "odd number of hex digits")
		}
		lo, ok := refUnhex(s[i+1])
		if !ok {
			if refIsSep(s[i+1]) {
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

func refIsSep(c byte) bool {
	switch c {
	case ' ', '\t', '\n', '\r', ':', '-':
		return true
	}
	return false
}

func refUnhex(c byte) (byte, bool) {
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
