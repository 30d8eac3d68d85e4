package web

import (
	"net/http"
	"net/url"
	"strings"
)

// Params parses a request's query strictly, for the endpoints whose
// standards define each parameter once: a pair that is not URL-encoded
// (since=%zz) and a parameter given twice are a 400 that names it, where
// url.Values would drop the first silently (the full list instead of the
// events since X) or keep both for the handler to pick one. With fold,
// names are compared and returned lower-cased (ON-API's look-ups take
// them in any case). An empty pair (a&&b) is ignored.
func Params(r *http.Request, fold bool) (map[string]string, error) {
	out := map[string]string{}
	err := EachParam(r, fold, func(key, value string) error {
		if fold {
			key = strings.ToLower(key)
		}
		out[key] = value
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// EachParam is Params calling f with each parameter in turn, in the
// query's order, instead of filling a map: a look-up's query costs no
// allocation but its escaped values'. With fold the names are compared in
// any case but passed to f as sent. An error of f ends the walk and is
// returned.
func EachParam(r *http.Request, fold bool, f func(key, value string) error) error {
	var seenRoom [8]string
	seen := seenRoom[:0]
	for part := range strings.SplitSeq(r.URL.RawQuery, "&") {
		if part == "" {
			continue
		}
		rawKey, rawValue, _ := strings.Cut(part, "=")
		key, err := url.QueryUnescape(rawKey)
		if err != nil {
			return Errorf(http.StatusBadRequest, "malformed query parameter %q: not URL-encoded", Clip(rawKey))
		}
		value, err := url.QueryUnescape(rawValue)
		if err != nil {
			return Errorf(http.StatusBadRequest, "malformed value of query parameter %q: not URL-encoded", Clip(foldKey(key, fold)))
		}
		for _, k := range seen {
			if k == key || fold && strings.EqualFold(k, key) {
				return Errorf(http.StatusBadRequest, "query parameter %q is given more than once", Clip(foldKey(key, fold)))
			}
		}
		seen = append(seen, key)
		if err := f(key, value); err != nil {
			return err
		}
	}
	return nil
}

// foldKey is key as the errors name it: lower-cased when fold.
func foldKey(key string, fold bool) string {
	if fold {
		return strings.ToLower(key)
	}
	return key
}

// Clip shortens a value quoted back in an error cause to 40 bytes.
func Clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}
