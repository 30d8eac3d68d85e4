package api

import (
	"net/http"

	"github.com/stadsnat/accessd/api/internal/web"
)

// MountedPatterns are the patterns a router made by New mounts.
func MountedPatterns(h http.Handler) []string { return h.(handler).patterns }

// FastPick routes r with the fast routes New would build from patterns;
// it returns the pattern taken and whether one was.
func FastPick(patterns []string, r *http.Request) (string, bool) {
	var cands []fastRoute
	for _, p := range patterns {
		if c, ok := candidate(p, http.NotFoundHandler()); ok {
			cands = append(cands, c)
		}
	}
	if _, ok := newFastRoutes(cands, patterns).route(r); ok {
		return r.Pattern, true
	}
	return "", false
}

// PathValue is how the groups' handlers read a wildcard (web.PathValue).
func PathValue(r *http.Request, name string) string { return web.PathValue(r, name) }
