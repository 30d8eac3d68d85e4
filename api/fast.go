package api

import (
	"net/http"
	"strings"
)

// fastRoutes routes the GET requests of the look-ups, asked thousands of
// times a second, without the ServeMux's matching (path cleaning and
// unescaping and its routing tree: a third of a look-up's time): an exact
// path, or a path prefix followed by one final wildcard segment. It takes
// only requests the mux would give the same handler with the same
// wildcard value — GET, a path that needs no cleaning or unescaping, a
// wildcard value of letters, digits, '-' and '_' — and only routes no
// other pattern competes with; every other request goes to the mux.
type fastRoutes struct {
	exact map[string]fastRoute
	// exactLen[n] reports whether an exact path is n bytes long: a path
	// of another length (a look-up's value makes it long) is not hashed.
	exactLen []bool
	prefix   []fastRoute
}

type fastRoute struct {
	pattern string // as mounted, for r.Pattern
	path    string // the exact path, or the prefix before the wildcard
	name    string // the wildcard's name ("" for an exact path)
	h       http.Handler
}

// candidate returns the fast route of a mounted pattern, if its form is
// one fastRoutes takes.
func candidate(pattern string, h http.Handler) (fastRoute, bool) {
	path, ok := strings.CutPrefix(pattern, http.MethodGet+" /")
	if !ok {
		return fastRoute{}, false
	}
	path = "/" + path
	if p, ok := strings.CutSuffix(path, "{$}"); ok && !strings.ContainsAny(p, "{}") {
		return fastRoute{pattern: pattern, path: p, h: h}, true
	}
	i := strings.LastIndexByte(path, '{')
	if i < 0 {
		if strings.HasSuffix(path, "/") || strings.ContainsAny(path, "}") {
			return fastRoute{}, false // a subtree, or a malformed pattern
		}
		return fastRoute{pattern: pattern, path: path, h: h}, true
	}
	prefix, wild := path[:i], path[i:]
	name, ok := strings.CutSuffix(strings.TrimPrefix(wild, "{"), "}")
	if !ok || !strings.HasSuffix(prefix, "/") || strings.ContainsAny(prefix, "{}") || name == "" ||
		strings.ContainsAny(name, "{}./$") {
		return fastRoute{}, false
	}
	return fastRoute{pattern: pattern, path: prefix, name: name, h: h}, true
}

// newFastRoutes keeps, of the candidates, those whose path no other
// mounted pattern that may take a GET request (GET, or no method) shares:
// an exact path that no such pattern names, a prefix under which no such
// pattern lies. patterns are every pattern mounted on the mux.
func newFastRoutes(cands []fastRoute, patterns []string) *fastRoutes {
	f := &fastRoutes{exact: map[string]fastRoute{}}
	paths := make([]string, len(patterns))
	methods := make([]string, len(patterns))
	for i, p := range patterns {
		if method, rest, ok := strings.Cut(p, " "); ok {
			methods[i], p = method, rest
		}
		paths[i] = p
	}
	for _, c := range cands {
		alone := true
		for i, p := range paths {
			// A pattern of another method than GET (POST beside GET on
			// Atlas's API path) never takes a GET request: it does not
			// compete. One without a method takes every method.
			if patterns[i] == c.pattern || methods[i] != "" && methods[i] != http.MethodGet {
				continue
			}
			if c.name == "" && strings.TrimSuffix(p, "{$}") == c.path ||
				c.name != "" && strings.HasPrefix(p, c.path) {
				alone = false
				break
			}
		}
		switch {
		case !alone:
		case c.name == "":
			f.exact[c.path] = c
			if n := len(c.path); n >= len(f.exactLen) {
				f.exactLen = append(f.exactLen, make([]bool, n+1-len(f.exactLen))...)
			}
			f.exactLen[len(c.path)] = true
		default:
			f.prefix = append(f.prefix, c)
		}
	}
	return f
}

// route returns the handler of r when a fast route takes it.
func (f *fastRoutes) route(r *http.Request) (http.Handler, bool) {
	if r.Method != http.MethodGet || r.URL.RawPath != "" {
		return nil, false
	}
	path := r.URL.Path
	if len(path) < len(f.exactLen) && f.exactLen[len(path)] {
		if c, ok := f.exact[path]; ok {
			r.Pattern = c.pattern
			return c.h, true
		}
	}
	for i := range f.prefix {
		c := &f.prefix[i]
		value, ok := strings.CutPrefix(path, c.path)
		if !ok || !plainSegment(value) {
			continue
		}
		// The value is not set (SetPathValue makes a map per request):
		// handlers read it with web.PathValue, from r.Pattern.
		r.Pattern = c.pattern
		return c.h, true
	}
	return nil, false
}

// plainSegment reports whether s is a non-empty path segment that needs
// no cleaning or unescaping: letters, digits, '-' and '_'.
func plainSegment(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 0x80 || plainBytes[c] != '1' {
			return false
		}
	}
	return true
}

// plainBytes marks with '1' the ASCII bytes of a plain segment (a look-up
// per byte instead of a comparison per range).
const plainBytes = "" +
	"00000000000000000000000000000000" +
	"00000000000001001111111111000000" +
	"01111111111111111111111111100001" +
	"01111111111111111111111111100000"

// handler serves with the fast routes first, then the mux.
type handler struct {
	fast     *fastRoutes
	mux      *http.ServeMux
	patterns []string // every pattern mounted on mux
}

func (h handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if fh, ok := h.fast.route(r); ok {
		fh.ServeHTTP(w, r)
		return
	}
	h.mux.ServeHTTP(w, r)
}
