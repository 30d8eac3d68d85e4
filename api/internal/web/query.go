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
	for part := range strings.SplitSeq(r.URL.RawQuery, "&") {
		if part == "" {
			continue
		}
		rawKey, rawValue, _ := strings.Cut(part, "=")
		key, err := url.QueryUnescape(rawKey)
		if err != nil {
			return nil, Errorf(http.StatusBadRequest, "malformed query parameter %q: not URL-encoded", Clip(rawKey))
		}
		value, err := url.QueryUnescape(rawValue)
		if err != nil {
			return nil, Errorf(http.StatusBadRequest, "malformed value of query parameter %q: not URL-encoded", Clip(key))
		}
		if fold {
			key = strings.ToLower(key)
		}
		if _, dup := out[key]; dup {
			return nil, Errorf(http.StatusBadRequest, "query parameter %q is given more than once", Clip(key))
		}
		out[key] = value
	}
	return out, nil
}

// Clip shortens a value quoted back in an error cause to 40 bytes.
func Clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}
