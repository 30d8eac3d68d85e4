package web

import (
	"net/http/httptest"
	"testing"
)

// PathValue of a request a fast route took (r.Pattern set, no value):
// the final segment when the pattern ends in that wildcard, else "".
func TestPathValueFromPattern(t *testing.T) {
	for _, tc := range []struct{ pattern, path, name, want string }{
		{"GET /api/2.3/option82/{hex}", "/api/2.3/option82/5216", "hex", "5216"},
		{"GET /api/2.3/option82/{hex}", "/api/2.3/option82/5216", "he", ""},
		{"GET /api/2.3/option82/{hex}", "/api/2.3/option82/5216", "hexx", ""},
		{"GET /api/2.3/option82/{hex}", "/api/2.3/option82/5216", "", ""},
		{"GET /api/2.3/option82/{hex}", "/api/2.2/option82/5216", "hex", ""},
		{"GET /a/{id}/link", "/a/x/link", "id", ""},
		{"GET /a/{id}x", "/a/x", "id", ""},
		{"/a/{id}", "/a/x", "id", ""}, // no method: not a fast route's
		{"GET /a/", "/a/x", "id", ""},
		{"", "/a/x", "id", ""},
		{"GET /{x}", "/v", "x", "v"},
	} {
		r := httptest.NewRequest("GET", tc.path, nil)
		r.Pattern = tc.pattern
		if got := PathValue(r, tc.name); got != tc.want {
			t.Errorf("PathValue of %q at %q, %q = %q, want %q", tc.path, tc.pattern, tc.name, got, tc.want)
		}
	}
}

// authorization reads what r.Header.Get("Authorization") reads.
func TestAuthorizationIsHeaderGet(t *testing.T) {
	for _, vs := range [][]string{nil, {}, {""}, {"Basic eDp5"}, {"Basic eDp5", "Basic other"}} {
		r := httptest.NewRequest("GET", "/", nil)
		if vs != nil {
			r.Header["Authorization"] = vs
		}
		r.Header["authorization"] = []string{"not canonical: Get does not see it"}
		if got, want := authorization(r), r.Header.Get("Authorization"); got != want {
			t.Errorf("authorization of %q = %q, Header.Get's %q", vs, got, want)
		}
	}
}
