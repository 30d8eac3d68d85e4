package atlas

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
)

// AllowList holds the return URLs the bounce may redirect to. It keeps
// the return URLs it accepted (Tjänsteguiden sends the same few with every
// visitor), so that a repeated one is not parsed again.
type AllowList struct {
	entries []allowEntry

	mu       sync.RWMutex
	accepted map[string]*target // at most acceptedMax; emptied when full
}

// acceptedMax bounds the return URLs an AllowList keeps (each at most
// 2 KB: ~4 MB at worst, a few KB in practice).
const acceptedMax = 2048

type allowEntry struct {
	scheme, host, port, path string
}

// NewAllowList compiles the configured return URLs (absolute http(s) URLs
// without user info; config validates them). An entry allows its own
// scheme, host and port, and its path and everything below it.
func NewAllowList(urls []*url.URL) *AllowList {
	al := &AllowList{}
	for _, u := range urls {
		al.entries = append(al.entries, allowEntry{
			scheme: strings.ToLower(u.Scheme), host: strings.ToLower(u.Hostname()),
			port: portOr(u.Port(), u.Scheme), path: strings.TrimSuffix(u.Path, "/"),
		})
	}
	return al
}

func portOr(port, scheme string) string {
	if port != "" {
		return port
	}
	if strings.EqualFold(scheme, "https") {
		return "443"
	}
	return "80"
}

// errNotAllowed is the reason for every refused return URL: the detail
// goes to the debug log, never into a redirect.
var errNotAllowed = errors.New("return_url is not an allowed return URL")

// Match checks a return_url as it arrived (decoded once from the query)
// and returns it split for the redirect. It refuses anything that is not
// plainly one of the allowed URLs: another scheme, host or port; a host
// with a trailing dot, percent-escapes, non-ASCII or user info; a path
// outside the allowed one or with dot segments or encoded slashes;
// backslashes, spaces, control characters or bad escapes anywhere. The
// target is shared: callers must not change it.
func (al *AllowList) Match(raw string) (*target, error) {
	al.mu.RLock()
	t, ok := al.accepted[raw]
	al.mu.RUnlock()
	if ok {
		return t, nil
	}
	t, err := al.match(raw)
	if err != nil {
		return nil, err
	}
	al.mu.Lock()
	if al.accepted == nil || len(al.accepted) >= acceptedMax {
		al.accepted = make(map[string]*target)
	}
	al.accepted[strings.Clone(raw)] = t
	al.mu.Unlock()
	return t, nil
}

// matchEscaped is Match of a return_url as the query carries it (its
// escapes checked by query): decoded on the stack, a URL accepted before
// costs no allocation.
func (al *AllowList) matchEscaped(escaped string) (*target, error) {
	var buf [2048]byte
	if len(escaped) > len(buf) {
		// (Decoded, it may still fit the 2,048 bytes match allows.)
		raw, _ := url.QueryUnescape(escaped)
		return al.Match(raw)
	}
	raw := appendUnescaped(buf[:0], escaped)
	al.mu.RLock()
	t, ok := al.accepted[string(raw)]
	al.mu.RUnlock()
	if ok {
		return t, nil
	}
	return al.Match(string(raw))
}

// match is Match without the accepted URLs kept.
func (al *AllowList) match(raw string) (*target, error) {
	if raw == "" {
		return nil, fmt.Errorf("%w: empty", errNotAllowed)
	}
	if len(raw) > 2048 {
		return nil, fmt.Errorf("%w: longer than 2048 bytes", errNotAllowed)
	}
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if !urlByte(c) {
			return nil, fmt.Errorf("%w: byte %#x at offset %d", errNotAllowed, c, i)
		}
		if c == '%' && (i+2 >= len(raw) || !isHex(raw[i+1]) || !isHex(raw[i+2])) {
			return nil, fmt.Errorf("%w: bad escape at offset %d", errNotAllowed, i)
		}
	}
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok {
		return nil, fmt.Errorf("%w: not an absolute URL", errNotAllowed)
	}
	authority := rest
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		authority = rest[:i]
	}
	if strings.ContainsAny(authority, "@%") || authority == "" {
		return nil, fmt.Errorf("%w: user info, escapes or no host in %q", errNotAllowed, authority)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errNotAllowed, err)
	}
	if u.Opaque != "" || u.User != nil || u.Host != authority {
		return nil, fmt.Errorf("%w: ambiguous authority", errNotAllowed)
	}
	host, port := strings.ToLower(u.Hostname()), portOr(u.Port(), u.Scheme)
	if strings.HasSuffix(host, ".") {
		return nil, fmt.Errorf("%w: host ends with a dot", errNotAllowed)
	}
	if u.RawPath != "" {
		lp := strings.ToLower(u.RawPath)
		if strings.Contains(lp, "%2f") || strings.Contains(lp, "%5c") {
			return nil, fmt.Errorf("%w: encoded slash in the path", errNotAllowed)
		}
	}
	for seg := range strings.SplitSeq(u.Path, "/") {
		if seg == "." || seg == ".." {
			return nil, fmt.Errorf("%w: dot segment in the path", errNotAllowed)
		}
	}
	for _, e := range al.entries {
		if !strings.EqualFold(scheme, e.scheme) || host != e.host || port != e.port {
			continue
		}
		if e.path == "" || u.Path == e.path || strings.HasPrefix(u.Path, e.path+"/") {
			t := &target{}
			t.base, t.fragment, _ = strings.Cut(raw, "#")
			t.base, t.query, _ = strings.Cut(t.base, "?")
			return t, nil
		}
	}
	return nil, fmt.Errorf("%w: no entry for %s://%s:%s%s", errNotAllowed, scheme, host, port, u.Path)
}

// urlByte reports whether c may appear in a URL as RFC 3986 allows it
// unescaped (unreserved, reserved, and '%' for escapes).
func urlByte(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("-._~:/?#[]@!$&'()*+,;=%", c) >= 0
}

func isHex(c byte) bool {
	return ('0' <= c && c <= '9') || ('a' <= c && c <= 'f') || ('A' <= c && c <= 'F')
}

// target is an allowed return URL split for the redirect.
type target struct {
	base, query, fragment string
}

// redirectKeys are the parameters the bounce adds; the same keys in
// return_url's own query are dropped so that the answer is unambiguous.
var redirectKeys = []string{"status", "message", "uid", "accessId", "api_key", "api_secret"}

// with returns the URL with params added after the URL's own query (whose
// other parameters are kept byte for byte), each value query-escaped.
func (t *target) with(params [][2]string) string {
	var b strings.Builder
	n := len(t.base) + len(t.query) + len(t.fragment) + 2
	for _, kv := range params {
		n += len(kv[0]) + len(kv[1]) + 2
	}
	b.Grow(n + n/4) // the escapes of a message; one allocation
	b.WriteString(t.base)
	b.WriteByte('?')
	n = 0
	if t.query != "" {
		for p := range strings.SplitSeq(t.query, "&") {
			if p == "" {
				continue
			}
			k, _, _ := strings.Cut(p, "=")
			if dk, err := url.QueryUnescape(k); err == nil && isRedirectKey(dk) {
				continue
			}
			if n > 0 {
				b.WriteByte('&')
			}
			b.WriteString(p)
			n++
		}
	}
	for _, kv := range params {
		if n > 0 {
			b.WriteByte('&')
		}
		b.WriteString(url.QueryEscape(kv[0]))
		b.WriteByte('=')
		b.WriteString(url.QueryEscape(kv[1]))
		n++
	}
	if t.fragment != "" {
		b.WriteByte('#')
		b.WriteString(t.fragment)
	}
	return b.String()
}

func isRedirectKey(k string) bool {
	for _, r := range redirectKeys {
		if k == r {
			return true
		}
	}
	return false
}
