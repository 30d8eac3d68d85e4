package atlas

import (
	"crypto/md5"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"strings"

	"github.com/stadsnat/accessd/api/internal/web"
	"github.com/stadsnat/accessd/store/inventory"
)

// ParamError is a bad query parameter: which, and why.
type ParamError struct {
	Param string
	Msg   string
}

func (e *ParamError) Error() string { return e.Param + ": " + e.Msg }

// The methods of the activation API.
const (
	MethodPortStatus         = "port_status"
	MethodServiceDeliverable = "service_deliverable"
	MethodServiceOrder       = "service_order"
	MethodServiceDeactivate  = "service_deactivate"
)

// Call is one request to the activation API, its parameters checked.
type Call struct {
	Method     string
	Socket     string // the access id
	ServiceUID string
	Date       string // YYYY-MM-DD
	Origin     string // customer | service provider
	Customer   string // Atlas's customer id (digits)
	Order      string // Atlas's order id (digits)
	XSPCID     string // the service provider's customer id (digits)
	APIUser    string
	APIKey     string
}

// maxQuery bounds the query string of an API call or a bounce.
const maxQuery = 4096

// param is one query parameter: its name decoded, its value as sent, its
// escapes checked (decoded when asked for: a value without escapes costs
// nothing, and the bounce decodes return_url on its stack).
type param struct {
	name, raw string
	// plain: raw has no '%' and no '+', and is its own decoding.
	plain bool
}

// params are a query's parameters in the order given, each name once: a
// slice, not a map, since a call has a handful (one allocation a request).
type params []param

// lookup returns the value of the parameter name, if given.
func (q params) lookup(name string) (string, bool) {
	p := q.find(name)
	switch {
	case p == nil:
		return "", false
	case p.plain:
		return p.raw, true
	}
	v, _ := url.QueryUnescape(p.raw) // (query checked its escapes)
	return v, true
}

// lookupRaw returns the value of the parameter name as sent, if given.
func (q params) lookupRaw(name string) (string, bool) {
	if p := q.find(name); p != nil {
		return p.raw, true
	}
	return "", false
}

// find returns the parameter name, nil when not given.
func (q params) find(name string) *param {
	for i := range q {
		if q[i].name == name {
			return &q[i]
		}
	}
	return nil
}

// get is lookup's value ("" when not given).
func (q params) get(name string) string {
	v, _ := q.lookup(name)
	return v
}

// dupScan is how many parameters query checks for repeats by scanning;
// beyond, it keeps their names in a map (a long query stays linear).
const dupScan = 16

// queryRoom is the parameters a call's query holds on the stack: a
// service_order's nine with room to spare.
const queryRoom = 12

// query decodes a raw query strictly into out (grown when it lacks room):
// bad escapes and repeated parameters are errors (a parameter given twice
// is ambiguous).
func query(raw string, out params) (params, error) {
	if len(raw) > maxQuery {
		return nil, &ParamError{"query", fmt.Sprintf("longer than %d bytes", maxQuery)}
	}
	if n := strings.Count(raw, "&") + 1; cap(out) < n {
		out = make(params, 0, n)
	}
	var seen map[string]struct{}
	for rest := raw; rest != ""; {
		var part string
		part, rest, _ = strings.Cut(rest, "&")
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		dk := k
		if _, plain := scanEscapes(k); !plain {
			var err error
			if dk, err = url.QueryUnescape(k); err != nil {
				return nil, &ParamError{"query", fmt.Sprintf("bad escape in parameter name %q", k)}
			}
		}
		if dk == "" {
			return nil, &ParamError{"query", fmt.Sprintf("a parameter without a name: %q", printable(part))}
		}
		valid, plain := scanEscapes(v)
		if !valid {
			return nil, &ParamError{dk, "bad escape in the value"}
		}
		dup := false
		if seen != nil {
			_, dup = seen[dk]
		} else {
			_, dup = out.lookupRaw(dk)
		}
		if dup {
			return nil, &ParamError{dk, "given more than once"}
		}
		if seen == nil && len(out) == dupScan {
			seen = make(map[string]struct{}, 2*dupScan)
			for _, p := range out {
				seen[p.name] = struct{}{}
			}
		}
		if seen != nil {
			seen[dk] = struct{}{}
		}
		out = append(out, param{dk, v, plain})
	}
	return out, nil
}

// ParseCall parses and checks the query of an activation API request.
func ParseCall(rawQuery string) (Call, error) {
	var room [queryRoom]param
	q, err := query(rawQuery, room[:0])
	if err != nil {
		return Call{}, err
	}
	c := Call{Method: q.get("method"), APIUser: q.get("api_user"), APIKey: q.get("api_key")}
	switch c.Method {
	case MethodPortStatus, MethodServiceDeliverable, MethodServiceOrder, MethodServiceDeactivate:
	case "":
		return c, &ParamError{"method", "missing"}
	default:
		return c, &ParamError{"method", fmt.Sprintf("unknown method %q (port_status, service_deliverable, service_order or service_deactivate)", printable(c.Method))}
	}
	if c.Socket, err = text(q, "socket", 64, true); err != nil {
		return c, err
	}
	if c.Method == MethodPortStatus {
		return c, nil
	}
	if c.ServiceUID, err = text(q, "service_uid", 36, true); err != nil {
		return c, err
	}
	switch c.Method {
	case MethodServiceDeliverable:
		c.Origin, err = origin(q, false)
	case MethodServiceOrder:
		if c.Date, err = date(q); err != nil {
			return c, err
		}
		if c.Origin, err = origin(q, true); err != nil {
			return c, err
		}
		// (Three calls, not a loop over pointers into c: those moved c to
		// the heap on every call of every method.)
		if c.Customer, err = number(q, "customer"); err != nil {
			return c, err
		}
		if c.Order, err = number(q, "order"); err != nil {
			return c, err
		}
		c.XSPCID, err = number(q, "xspcid")
	case MethodServiceDeactivate:
		c.Date, err = date(q)
	}
	return c, err
}

// text reads an id parameter (socket, service_uid): printable ASCII
// without spaces, and without '<', '>' or '&', which no id holds and which
// are markup in XML.
func text(q params, name string, maxLen int, required bool) (string, error) {
	v, ok := q.lookup(name)
	if !ok || v == "" {
		if required {
			return "", &ParamError{name, "missing"}
		}
		return "", nil
	}
	if len(v) > maxLen {
		return "", &ParamError{name, fmt.Sprintf("longer than %d characters", maxLen)}
	}
	for i := 0; i < len(v); i++ {
		if v[i] <= ' ' || v[i] >= 0x7f {
			return "", &ParamError{name, fmt.Sprintf("character %#x at offset %d is not printable ASCII", v[i], i)}
		}
		if v[i] == '<' || v[i] == '>' || v[i] == '&' {
			return "", &ParamError{name, fmt.Sprintf("character %q at offset %d is not allowed in an id", v[i], i)}
		}
	}
	return v, nil
}

func date(q params) (string, error) {
	v, ok := q.lookup("date")
	if !ok || v == "" {
		return "", &ParamError{"date", "missing"}
	}
	if _, ok := inventory.ParseDate(v); !ok {
		return "", &ParamError{"date", fmt.Sprintf("%q is not a date YYYY-MM-DD", printable(v))}
	}
	return v, nil
}

// origin reads "customer" or "service provider" (case and an underscore
// for the space do not matter).
func origin(q params, required bool) (string, error) {
	v, ok := q.lookup("origin")
	if !ok || v == "" {
		if required {
			return "", &ParamError{"origin", "missing"}
		}
		return "customer", nil
	}
	switch strings.ToLower(strings.ReplaceAll(strings.TrimSpace(v), "_", " ")) {
	case "customer":
		return "customer", nil
	case "service provider":
		return "service provider", nil
	}
	return "", &ParamError{"origin", fmt.Sprintf("%q: must be customer or service provider", printable(v))}
}

// number reads an optional id of up to 20 digits.
func number(q params, name string) (string, error) {
	v := q.get(name)
	if len(v) > 20 {
		return "", &ParamError{name, "more than 20 digits"}
	}
	for i := 0; i < len(v); i++ {
		if v[i] < '0' || v[i] > '9' {
			return "", &ParamError{name, fmt.Sprintf("%q is not a number", printable(v))}
		}
	}
	return v, nil
}

// printable shortens and sanitises a value for an error message.
func printable(s string) string {
	if len(s) > 40 {
		s = s[:40] + "…"
	}
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == '<' || r == '>' || r == '&' {
			return '?'
		}
		return r
	}, strings.ToValidUTF8(s, "?"))
}

// Bounce is the query of a bounce request.
type Bounce struct {
	ReturnURL string
	APIKey    string
	APISecret string
}

// ParseBounce reads the bounce parameters.
func ParseBounce(rawQuery string) (Bounce, error) {
	b, returnURL, err := parseBounce(rawQuery)
	b.ReturnURL, _ = url.QueryUnescape(returnURL) // (query checked its escapes)
	return b, err
}

// parseBounce is ParseBounce with return_url as sent, escaped, instead of
// in the Bounce.
func parseBounce(rawQuery string) (b Bounce, returnURL string, err error) {
	var room [queryRoom]param
	q, err := query(rawQuery, room[:0])
	if err != nil {
		return Bounce{}, "", err
	}
	returnURL, _ = q.lookupRaw("return_url")
	b = Bounce{APIKey: q.get("api_key"), APISecret: q.get("api_secret")}
	if returnURL == "" { // (decoded, only "" is empty)
		return b, "", &ParamError{"return_url", "missing"}
	}
	if len(b.APIKey) > 64 || len(b.APISecret) > 256 {
		return b, returnURL, &ParamError{"api_key", "too long"}
	}
	return b, returnURL, nil
}

// scanEscapes reports in one pass whether url.QueryUnescape decodes s
// (valid: every '%' starts two hex digits) and whether s is its own
// decoding (plain: no '%' and no '+'), so that no plain name or value is
// decoded.
func scanEscapes(s string) (valid, plain bool) {
	// (IndexByte, not a loop over every byte: an api_key or a return_url
	// is tens of bytes.)
	plain = strings.IndexByte(s, '+') < 0
	for {
		i := strings.IndexByte(s, '%')
		if i < 0 {
			return true, plain
		}
		if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
			return false, false
		}
		plain, s = false, s[i+3:]
	}
}

// appendUnescaped appends s decoded as url.QueryUnescape decodes it ('+'
// is a space); s must have valid escapes.
func appendUnescaped(dst []byte, s string) []byte {
	last := 0 // the runs between escapes are copied whole
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '+' && c != '%' {
			continue
		}
		dst = append(dst, s[last:i]...)
		switch {
		case c == '+':
			dst = append(dst, ' ')
		case i+2 < len(s):
			dst = append(dst, unhex(s[i+1])<<4|unhex(s[i+2]))
			i += 2
		default:
			dst = append(dst, c)
		}
		last = i + 1
	}
	return append(dst, s[last:]...)
}

func unhex(c byte) byte {
	switch {
	case c >= 'a':
		return c - 'a' + 10
	case c >= 'A':
		return c - 'A' + 10
	}
	return c - '0'
}

// BounceKey is what Tjänsteguiden's api_key must be: the lower-case hex
// MD5 of api_user, the API key and api_secret, concatenated.
func BounceKey(apiUser, apiKey, apiSecret string) string {
	sum := md5.Sum([]byte(apiUser + apiKey + apiSecret))
	return hex.EncodeToString(sum[:])
}

// checkBounceKey compares in constant time; hex case does not matter. (It
// is BounceKey without its allocations: every bounce checks one.)
func checkBounceKey(apiUser, apiKey string, b Bounce) bool {
	var buf [512]byte // ParseBounce bounds api_secret to 256 bytes
	sum := md5.Sum(append(append(append(buf[:0], apiUser...), apiKey...), b.APISecret...))
	var want [2 * md5.Size]byte
	hex.Encode(want[:], sum[:])
	var got [2 * md5.Size]byte
	if len(b.APIKey) != len(got) {
		return false // the length of a hex MD5 is no secret
	}
	for i := range got {
		c := b.APIKey[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		got[i] = c
	}
	return subtle.ConstantTimeCompare(want[:], got[:]) == 1
}

// ClientIP is the address of the client: the connection's, or when the
// connection comes from a trusted proxy, the right-most address of
// X-Forwarded-For that is not itself a trusted proxy (web.ClientIP, which
// the failed-login throttling uses too).
func ClientIP(r *http.Request, trusted []netip.Prefix) (netip.Addr, error) {
	return web.ClientIP(r, trusted)
}

func inPrefixes(a netip.Addr, ps []netip.Prefix) bool {
	for _, p := range ps {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
