package api_test

import (
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stadsnat/accessd/api"
)

var wildcard = regexp.MustCompile(`\{([^{}.$]+)(\.\.\.)?\}`)

// routed is where a request goes: its pattern and wildcard values.
func routed(pattern string, r *http.Request) string {
	out := pattern
	for _, m := range wildcard.FindAllStringSubmatch(pattern, -1) {
		out += " " + m[1] + "=" + api.PathValue(r, m[1])
	}
	return out
}

// Every request the fast routes take goes where the ServeMux sends it,
// with the same wildcard value: tried for every route the daemon's groups
// mount, with the values and paths that the mux cleans, unescapes or
// redirects, other methods, and neighbouring paths.
func TestFastRoutesAgreeWithTheMux(t *testing.T) {
	f := newFixture(t)
	patterns := api.MountedPatterns(f.h)
	taken := checkFastAgrees(t, patterns)
	// The look-ups are what the fast routes are for.
	for _, p := range []string{"GET /api/2.3/option82/{hex}", "GET /onapi/2.6/option82/{hex}", "GET /onapi/2.6/dhcplookup/{$}"} {
		if !slices.Contains(patterns, p) {
			t.Errorf("pattern %q is not mounted", p)
		} else if !taken[p] {
			t.Errorf("the fast routes never took %q", p)
		}
	}
}

// Atlas's two GET paths are fast routes too, though POST shares the API's
// path, and go where the mux sends them: the router the look-ups' figures
// measure, with Atlas mounted.
func TestFastRoutesTakeAtlas(t *testing.T) {
	patterns := api.MountedPatterns(lookupRouter(t, 5000))
	taken := checkFastAgrees(t, patterns)
	for _, p := range []string{"GET /atlas/api", "GET /atlas/bounce"} {
		if !slices.Contains(patterns, p) {
			t.Errorf("pattern %q is not mounted", p)
		} else if !taken[p] {
			t.Errorf("the fast routes never took %q", p)
		}
	}
}

// The same with patterns that compete: a literal under a wildcard's
// prefix, other methods (which take no GET request: they do not compete;
// a pattern without a method does), subtrees, a trailing {$} beside a wildcard (the
// exact path is the more specific: it is taken), a
// "..." wildcard, a wildcard in the middle.
func TestFastRoutesLeaveCompetingPatternsToTheMux(t *testing.T) {
	taken := checkFastAgrees(t, []string{"GET /a/{x}", "GET /a/b", "GET /c/{y}", "POST /c/{y}", "/d/", "GET /d/{z}",
		"GET /e/{$}", "GET /e/{w}", "GET /f", "GET /f/", "GET /g/{v...}", "GET /h/{p}/i", "GET /j/{k}", "GET /l/{$}",
		"GET /m/{n}", "/m/{n}", "GET /o", "POST /o", "HEAD /o", "DELETE /o/x", "GET /q", "/q"})
	for p, want := range map[string]bool{"GET /a/{x}": false, "GET /c/{y}": true, "GET /m/{n}": false, "GET /o": true, "GET /q": false, "GET /d/{z}": false, "GET /e/{$}": true,
		"GET /g/{v...}": false, "GET /h/{p}/i": false, "GET /j/{k}": true, "GET /l/{$}": true} {
		if taken[p] != want {
			t.Errorf("fast route for %q: %v, want %v", p, taken[p], want)
		}
	}
}

// checkFastAgrees tries requests on patterns and returns the patterns
// the fast routes took.
func checkFastAgrees(t *testing.T, patterns []string) map[string]bool {
	t.Helper()
	mux := http.NewServeMux()
	for _, p := range patterns {
		mux.HandleFunc(p, func(w http.ResponseWriter, r *http.Request) { w.Header().Set("X-Routed", routed(p, r)) })
	}
	values := []string{"ABC123", "a-b_c", "0", "a.b", "..", ".", "%41", "a%2Fb", "x/y", "a%20b", "ÅÄÖ", "{hex}", "-", "_", "b"}
	var paths []string
	for _, p := range patterns {
		_, path, ok := strings.Cut(p, " ")
		if !ok {
			path = p
		}
		path = strings.TrimSuffix(path, "{$}")
		for _, v := range values {
			base := wildcard.ReplaceAllString(path, v)
			paths = append(paths, base, strings.TrimSuffix(base, "/"), base+"/", base+"x", "/"+base, base+"?a=1",
				strings.Replace(base, "/", "//", 2), strings.Replace(base, "/", "/./", 2), strings.ToUpper(base))
		}
	}
	taken := map[string]bool{}
	for _, path := range paths {
		for _, method := range []string{"GET", "HEAD", "POST", "DELETE"} {
			req := httptest.NewRequest(method, "http://accessd.test"+path, nil)
			pattern, ok := api.FastPick(patterns, req)
			if !ok {
				continue
			}
			fast := routed(pattern, req)
			w := httptest.NewRecorder()
			mux.ServeHTTP(w, httptest.NewRequest(method, "http://accessd.test"+path, nil))
			if got := w.Header().Get("X-Routed"); w.Code != http.StatusOK || got != fast {
				t.Errorf("%s %s: fast route %q, the mux %d %q", method, path, fast, w.Code, got)
			}
			taken[pattern] = true
		}
	}
	return taken
}

// The fast routes do not set wildcard values: every handler under api/
// reads them with web.PathValue, never Request.PathValue, which would
// find nothing for a request a fast route took.
func TestHandlersReadWildcardsWithWebPathValue(t *testing.T) {
	direct := regexp.MustCompile(`\.PathValue\(`)
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") ||
			path == filepath.Join("internal", "web", "route.go") {
			return err
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for i, line := range strings.Split(string(src), "\n") {
			if direct.MatchString(line) && !strings.Contains(line, "web.PathValue(") && !strings.HasPrefix(strings.TrimSpace(line), "//") {
				t.Errorf("%s:%d reads a wildcard with Request.PathValue: use web.PathValue", path, i+1)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
