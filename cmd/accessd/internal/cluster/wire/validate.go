package wire

import (
	"encoding/hex"
	"fmt"
	"math"
	"net"
	"net/netip"
	"time"
	"unicode"
	"unicode/utf8"
)

// Bounds of strings.
const (
	maxShort = 64   // identifiers, enums
	maxText  = 256  // names, circuit texts
	maxLong  = 2048 // messages, option 82 hex
)

// validator collects the first failure of a message; path is the JSON path
// of the object being checked.
type validator struct {
	path string
	err  *Error
	root *validator
}

func (v *validator) top() *validator {
	if v.root != nil {
		return v.root
	}
	return v
}

// in returns a validator for a nested object.
func (v *validator) in(field string) *validator {
	return &validator{path: v.field(field), root: v.top()}
}

func (v *validator) field(f string) string {
	if v.path == "" || f == "" {
		return v.path + f
	}
	return v.path + "." + f
}

func (v *validator) fail(field, format string, args ...any) {
	t := v.top()
	if t.err == nil {
		t.err = &Error{Reason: ReasonInvalid, Field: v.field(field), Err: fmt.Errorf(format, args...)}
	}
}

// name checks a site or instance name.
func (v *validator) name(field, s string) {
	if !ValidName(s) {
		v.fail(field, "%q is not [A-Za-z0-9_-]{1,64}", clip(s))
	}
}

// text checks an optional string: UTF-8, no control characters, at most max bytes.
func (v *validator) text(field, s string, max int) {
	if len(s) > max {
		v.fail(field, "longer than %d bytes", max)
		return
	}
	if !utf8.ValidString(s) {
		v.fail(field, "not UTF-8")
		return
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			v.fail(field, "has a control character")
			return
		}
	}
}

// required checks a string that must be present.
func (v *validator) required(field, s string, max int) {
	if s == "" {
		v.fail(field, "missing")
		return
	}
	v.text(field, s, max)
}

// oneOf checks an enumerated string.
func (v *validator) oneOf(field, s string, allowed ...string) {
	for _, a := range allowed {
		if s == a {
			return
		}
	}
	v.fail(field, "%q is not one of %q", clip(s), allowed)
}

// Times must lie where unix nanoseconds (the store's clock) reach.
var (
	minTime = time.Unix(0, 0)
	maxTime = time.Unix(0, math.MaxInt64)
)

// time checks a required time.
func (v *validator) time(field string, t time.Time) {
	if t.IsZero() {
		v.fail(field, "missing")
		return
	}
	v.optTime(field, t)
}

// optTime checks an optional time.
func (v *validator) optTime(field string, t time.Time) {
	if !t.IsZero() && (t.Before(minTime) || t.After(maxTime)) {
		v.fail(field, "%s is not between 1970 and 2262", t.Format(time.RFC3339))
	}
}

// mac checks a required MAC address in canonical form.
func (v *validator) mac(field, s string) {
	if s == "" {
		v.fail(field, "missing")
		return
	}
	hw, err := net.ParseMAC(s)
	if err != nil || len(hw) != 6 || hw.String() != s {
		// The value is personal data: not quoted into logs.
		v.fail(field, "not a MAC address of the form aa:bb:cc:dd:ee:ff")
	}
}

// ipv4 checks an optional IPv4 address.
func (v *validator) ipv4(field, s string) {
	if s == "" {
		return
	}
	a, err := netip.ParseAddr(s)
	if err != nil || !a.Is4() || a.String() != s {
		v.fail(field, "not an IPv4 address (dotted quad)") // personal data: not quoted
	}
}

// hexUpper checks optional upper-case hex of whole bytes.
func (v *validator) hexUpper(field, s string) {
	if s == "" {
		return
	}
	if len(s) > maxLong {
		v.fail(field, "longer than %d characters", maxLong)
		return
	}
	b, err := hex.DecodeString(s)
	if err != nil || fmt.Sprintf("%X", b) != s {
		v.fail(field, "not upper-case hex of whole bytes")
	}
}

// token checks a string that becomes a subject token: [A-Za-z0-9_-]{1,64}.
func (v *validator) token(field, s string) {
	if !ValidName(s) {
		v.fail(field, "%q is not [A-Za-z0-9_-]{1,64}", clip(s))
	}
}
