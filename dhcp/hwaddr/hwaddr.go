// Package hwaddr provides MAC, a comparable, allocation-free 6-byte Ethernet
// hardware address, with one canonical text form: lower-case hex pairs joined by
// colons, e.g. "00:1a:2b:3c:4d:5e".
//
// net.HardwareAddr is a slice (it allocates and cannot be a map key); the DHCP
// hot path and the binding indexes need a value type.
package hwaddr

import (
	"errors"
	"fmt"
)

// MAC is an IEEE 802 MAC-48 address.
type MAC [6]byte

// ErrSyntax is the reason of every parse failure.
var ErrSyntax = errors.New("invalid MAC address")

const hexDigits = "0123456789abcdef"

// FromBytes returns the MAC held in b, which must be exactly 6 bytes long.
func FromBytes(b []byte) (MAC, bool) {
	var m MAC
	if len(b) != len(m) {
		return m, false
	}
	copy(m[:], b)
	return m, true
}

// IsZero reports whether m is 00:00:00:00:00:00.
func (m MAC) IsZero() bool { return m == MAC{} }

// String returns the canonical form "00:1a:2b:3c:4d:5e".
func (m MAC) String() string {
	var b [17]byte
	return string(m.appendTo(b[:0]))
}

// AppendText implements encoding.TextAppender.
func (m MAC) AppendText(b []byte) ([]byte, error) { return m.appendTo(b), nil }

// MarshalText implements encoding.TextMarshaler.
func (m MAC) MarshalText() ([]byte, error) { return m.appendTo(make([]byte, 0, 17)), nil }

// UnmarshalText implements encoding.TextUnmarshaler with the forms Parse accepts.
func (m *MAC) UnmarshalText(b []byte) error {
	v, err := Parse(string(b))
	if err != nil {
		return err
	}
	*m = v
	return nil
}

func (m MAC) appendTo(b []byte) []byte {
	for i, x := range m {
		if i > 0 {
			b = append(b, ':')
		}
		b = append(b, hexDigits[x>>4], hexDigits[x&0xf])
	}
	return b
}

// Parse accepts, case-insensitively, "00:1a:2b:3c:4d:5e", "00-1a-2b-3c-4d-5e",
// Cisco's "001a.2b3c.4d5e" and bare "001a2b3c4d5e".
func Parse(s string) (MAC, error) {
	var m MAC
	var digits [12]byte
	n := 0
	switch {
	case len(s) == 17 && (s[2] == ':' || s[2] == '-'):
		sep := s[2]
		for i := 0; i < 17; i++ {
			if i%3 == 2 {
				if s[i] != sep {
					return m, syntaxError(s, i)
				}
				continue
			}
			digits[n] = s[i]
			n++
		}
	case len(s) == 14 && s[4] == '.' && s[9] == '.':
		for i := 0; i < 14; i++ {
			if i == 4 || i == 9 {
				continue
			}
			digits[n] = s[i]
			n++
		}
	case len(s) == 12:
		copy(digits[:], s)
		n = 12
	default:
		return m, fmt.Errorf("%w %q: want 6 bytes as aa:bb:cc:dd:ee:ff, aa-bb-cc-dd-ee-ff, aabb.ccdd.eeff or aabbccddeeff", ErrSyntax, s)
	}
	for i := range m {
		hi, ok1 := unhex(digits[2*i])
		lo, ok2 := unhex(digits[2*i+1])
		if !ok1 || !ok2 {
			return MAC{}, fmt.Errorf("%w %q: byte %d is not hex", ErrSyntax, s, i)
		}
		m[i] = hi<<4 | lo
	}
	return m, nil
}

func syntaxError(s string, i int) error {
	return fmt.Errorf("%w %q: unexpected %q at offset %d", ErrSyntax, s, s[i], i)
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
