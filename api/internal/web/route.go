package web

import (
	"net/http"
	"strings"
)

// API group names: the metrics group of a route and, for the service
// providers' APIs, the users[].apis name a caller needs.
const (
	GroupPIV1   = "pi-v1"
	GroupPIAPI  = "pi-api"
	GroupONAPI  = "on-api"
	GroupAtlas  = "atlas"
	GroupImport = "import"
	GroupHealth = "health"
	GroupNOC    = "noc"
)

// Route is one endpoint of an API group, as the router mounts it. Every
// group is a value built with its dependencies that lists its routes; the
// router mounts them all the same way (metrics, authentication, error
// format) and no group reaches into another.
type Route struct {
	// Pattern is "METHOD /path". A path ending in "/" matches only itself
	// ("{$}" is added) unless Subtree is set.
	Pattern string
	Subtree bool
	// Group is the route's metrics group (GroupPIAPI, …).
	Group string
	// Auth is the users[].apis name a caller must have, checked with HTTP
	// Basic; empty when the handler authenticates itself or the route is
	// open.
	Auth string
	// Permit, when set, is asked after HTTP Basic whether the
	// authenticated user may call the route (PI-API's pi_versions): its
	// error is the answer.
	Permit func(User) error
	// NoUser marks a handler that never reads the user (UserFrom): the
	// router does not put the user into the request's context, which
	// costs a copy of the request on every call (the look-ups).
	NoUser bool
	// SelfAuth marks a route whose handler authenticates its callers
	// itself (an api-key, an API user): the router throttles its failed
	// logins as HTTP Basic's, and the handler reports each with
	// AuthFailed.
	SelfAuth bool
	// OnlyIfGranted mounts the route only when some user has Auth in its
	// apis: otherwise its path is not served at all (the router's 404),
	// so a group nobody may use is off.
	OnlyIfGranted bool
	// Errors writes the refusals of the authentication and the errors
	// Handle returns, in the group's format (JSONCause, PlainText).
	Errors ErrorWriter
	// Handle serves the route and returns its errors; Handler is used
	// instead when Handle is nil, and writes its own answers.
	Handle  HandlerFunc
	Handler http.Handler
	// Endpoint is the route's entry in ON-API's endpoint list; nil when
	// it is not listed.
	Endpoint *Endpoint
}

// SP is a route of a service providers' API (PI-API, ON-API): HTTP Basic
// for group, errors as {"cause": …}.
func SP(group, pattern string, h HandlerFunc) Route {
	return Route{Pattern: pattern, Group: group, Auth: group, Errors: JSONCause, Handle: h}
}

// Group is a set of routes the router mounts.
type Group interface {
	Routes() []Route
}

// Indexer is a group that also serves an index of what every group
// mounted (ON-API's endpoint list): the router passes it all routes and
// mounts what it returns after them.
type Indexer interface {
	Index(all []Route) []Route
}

// Endpoint is one entry of ON-API's endpoint list (GET /onapi/2.6/): the
// one API that lists what it serves.
type Endpoint struct {
	Name              string   `json:"name"`
	Endpoint          string   `json:"endpoint"`
	Version           string   `json:"version"`
	Documentation     string   `json:"documentation"`
	Note              string   `json:"note,omitempty"`
	UnsupportedFields []string `json:"unsupportedFields,omitempty"`
}

// PathValue is r.PathValue(name), also for a request the router's fast
// routes took: they set r.Pattern but not the value (SetPathValue makes a
// map on every request), and a fast route's one wildcard is the whole
// final segment, the rest of the path after the pattern's prefix.
// Handlers of the API groups read their wildcards with it.
func PathValue(r *http.Request, name string) string {
	if v := r.PathValue(name); v != "" {
		return v
	}
	sp := strings.IndexByte(r.Pattern, ' ')
	if sp < 0 {
		return "" // no method, no path: no wildcard the fast routes take
	}
	pat := r.Pattern[sp+1:]
	i := strings.LastIndexByte(pat, '{')
	// pat[i:] is "{name}", compared without building it.
	if i < 0 || len(pat)-i != len(name)+2 || pat[len(pat)-1] != '}' || pat[i+1:len(pat)-1] != name ||
		!strings.HasPrefix(r.URL.Path, pat[:i]) {
		return ""
	}
	return r.URL.Path[i:]
}
