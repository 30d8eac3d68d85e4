package piv1

import (
	"bufio"
	"bytes"
	"testing"
	"unicode/utf8"
)

// escapeByRune is the escaping as it was, rune by rune through a
// bufio.Writer: the reference of FuzzAppendEscaped.
func escapeByRune(bw *bufio.Writer, s string) {
	last := 0
	for i := 0; i < len(s); {
		r, width := utf8.DecodeRuneInString(s[i:])
		var esc string
		switch {
		case r == '&':
			esc = "&amp;"
		case r == '<':
			esc = "&lt;"
		case r == '>':
			esc = "&gt;"
		case r == '\r':
			esc = "&#xD;"
		case r == utf8.RuneError && width == 1, !isXMLChar(r):
			esc = "\uFFFD"
		default:
			i += width
			continue
		}
		bw.WriteString(s[last:i])
		bw.WriteString(esc)
		i += width
		last = i
	}
	bw.WriteString(s[last:])
}

// appendEscaped writes what the rune-by-rune escaping wrote.
func FuzzAppendEscaped(f *testing.F) {
	for _, s := range []string{"", "Storgatan", "Göteborg", "a&b<c>d", "x\ry\nz\tw", "\x00\x1f\x7f", "\xff\xfe", "\uFFFD", "\uFFFE", "😀", "\xed\xa0\x80", "Ändrad väg 7 B"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var want bytes.Buffer
		bw := bufio.NewWriter(&want)
		escapeByRune(bw, s)
		bw.Flush()
		if got := appendEscaped([]byte("x"), s); string(got[1:]) != want.String() {
			t.Fatalf("appendEscaped(%q) = %q, want %q", s, got[1:], want.String())
		}
	})
}
