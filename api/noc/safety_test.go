package noc_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/stadsnat/accessd/api/internal/web"
	"github.com/stadsnat/accessd/api/noc"
	"github.com/stadsnat/accessd/api/noc/noctest"
)

// allowedTags are every element the pages may have: no script, style,
// iframe, object, embed or base can come from anywhere.
var allowedTags = setOf("html", "head", "meta", "title", "link", "body", "header", "nav", "a", "form", "label", "input", "select",
	"option", "button", "main", "h1", "h2", "h3", "p", "span", "section", "dl", "dt", "dd", "table", "thead", "tbody", "tr", "th",
	"td", "strong", "ol", "ul", "li", "time", "footer", "figure", "figcaption", "svg", "rect", "path", "text")

// allowedAttrs are every attribute the pages may have: no event handler
// (on…) and no style.
var allowedAttrs = setOf("class", "id", "href", "rel", "action", "method", "role", "for", "name", "type", "value", "size", "maxlength",
	"placeholder", "aria-label", "aria-labelledby", "selected", "colspan", "datetime", "lang", "charset", "content", "viewbox", "xmlns",
	"x", "y", "width", "height", "d", "text-anchor")

func setOf(s ...string) map[string]bool {
	m := map[string]bool{}
	for _, x := range s {
		m[x] = true
	}
	return m
}

// checkSafe parses a page as a browser would and fails on any element or
// attribute outside the allowlists, and on any link or form that leaves
// /noc/ (a javascript: URL, another site).
func checkSafe(t *testing.T, name string, body string) {
	t.Helper()
	z := html.NewTokenizer(strings.NewReader(body))
	for {
		switch z.Next() {
		case html.ErrorToken:
			if z.Err() != io.EOF {
				t.Errorf("%s: %v", name, z.Err())
			}
			return
		case html.StartTagToken, html.SelfClosingTagToken:
			tok := z.Token()
			if !allowedTags[tok.Data] {
				t.Errorf("%s: element <%s>", name, tok.Data)
			}
			for _, a := range tok.Attr {
				if !allowedAttrs[a.Key] {
					t.Errorf("%s: <%s %s=%q>", name, tok.Data, a.Key, a.Val)
				}
				if (a.Key == "href" || a.Key == "action") && !strings.HasPrefix(a.Val, "/noc/") && a.Val != "data:," {
					t.Errorf("%s: <%s %s=%q> leaves /noc/", name, tok.Data, a.Key, a.Val)
				}
			}
		}
	}
}

// TestPagesAreSafe: every page, with the hostile access in the source,
// has only the markup the templates write. The hostile values show up as
// text.
func TestPagesAreSafe(t *testing.T) {
	f := noctest.Sample(now)
	h := newHandler(t, f, nil)
	paths := []string{"/noc/access/EVIL1", "/noc/?q=EVIL1&kind=circuit", "/noc/?q=10.20.0.66", "/noc/?q=10.20.0.67",
		"/noc/?q=02:00:5e:00:ee:01", "/noc/?q=%3Cscript%3E", "/noc/?q=%22%3E%3Cimg+src%3Dx%3E&kind=address",
		"/noc/?q=javascript:alert(1)", "/noc/?q=%3Cscript%3E&kind=ip", "/noc/access/javascript:alert(1)"}
	for _, tc := range goldenCases {
		if tc.method == "GET" && tc.src == nil {
			paths = append(paths, tc.path)
		}
	}
	for _, p := range paths {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", p, nil))
		checkSafe(t, p, rec.Body.String())
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/noc/access/EVIL1", nil))
	if !strings.Contains(rec.Body.String(), "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;") {
		t.Error("the hostile script is not shown as text")
	}
}

// FuzzPageSafe: an access with any value in its fields renders as a page
// with only the templates' markup.
func FuzzPageSafe(f *testing.F) {
	for _, s := range []string{`<script>alert(1)</script>`, `"><img src=x onerror=alert(1)>`, "javascript:alert(1)", "</textarea><svg onload=x>",
		"]]><!--", "{{.}}", "\x00", "<a href='javascript:x'>"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e := noctest.Hostile(now)
		e.Access.StreetName, e.Access.City, e.Access.Option82, e.Access.LastOption82 = s, s, s, s
		e.Link.Switch, e.Link.Cause, e.Orders[0].Message, e.History[0].Access = s, s, s, s
		src := noctest.New()
		src.Put(e)
		h := newHandler(t, src, nil)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/noc/access/EVIL1", nil))
		if rec.Code != 200 {
			t.Fatalf("%d", rec.Code)
		}
		checkSafe(t, "access page", rec.Body.String())
	})
}

// TestMount mounts the group as the router is to: HTTP Basic for users
// with the noc API, the group's error pages for 401 and 403.
func TestMount(t *testing.T) {
	h := newHandler(t, noctest.Sample(now), nil)
	users := web.NewUsers([]web.User{{Name: "noc", Password: "pw", APIs: []string{noc.Group}}, {Name: "sp", Password: "pw", APIs: []string{"pi-api"}}})
	mux := http.NewServeMux()
	mux.Handle(noc.Prefix, web.BasicAuth(users, noc.Group, h.WriteError, h))
	for _, tc := range []struct {
		user, pass string
		status     int
	}{{"", "", 401}, {"noc", "wrong", 401}, {"nobody", "pw", 401}, {"sp", "pw", 403}, {"noc", "pw", 200}} {
		req := httptest.NewRequest("GET", "/noc/access/ALS10001", nil)
		if tc.user != "" {
			req.SetBasicAuth(tc.user, tc.pass)
		}
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, req)
		if rec.Code != tc.status {
			t.Errorf("%s/%s: %d, want %d", tc.user, tc.pass, rec.Code, tc.status)
		}
		for k, v := range wantHeaders {
			if rec.Header().Get(k) != v {
				t.Errorf("%s/%s: %s %q", tc.user, tc.pass, k, rec.Header().Get(k))
			}
		}
		if tc.status == 401 && !strings.HasPrefix(rec.Header().Get("WWW-Authenticate"), "Basic realm=") {
			t.Errorf("401 without WWW-Authenticate")
		}
		if ct := rec.Header().Get("Content-Type"); ct != "text/html; charset=utf-8" {
			t.Errorf("%s/%s: Content-Type %q", tc.user, tc.pass, ct)
		}
		if tc.status != 200 && strings.Contains(rec.Body.String(), "ALS10001") {
			t.Errorf("%s/%s: the refusal shows the access", tc.user, tc.pass)
		}
	}
}

// TestPageWeight: the heaviest pages there can be (every list longer than
// a page shows, long values; a search that finds more accesses than it
// lists) stay under 50 KB.
func TestPageWeight(t *testing.T) {
	const limit = 50 << 10
	full, many := newHandler(t, noctest.Full(now), nil), newHandler(t, noctest.Generate(5000, now), nil)
	for _, p := range []string{"/noc/", "/noc/access/FULL1", "/noc/switches", "/noc/switches?trouble=1", "/noc/circuits",
		"/noc/?q=" + noctest.GenIP(1000).String(), "many /noc/?q=Storgatan", "many /noc/?q=" + noctest.GenIP(7).String()} {
		h := full
		if m, ok := strings.CutPrefix(p, "many "); ok {
			h, p = many, m
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", p, nil))
		if rec.Code != 200 {
			t.Errorf("%s: %d", p, rec.Code)
		}
		t.Logf("%-40s %6d bytes", p, rec.Body.Len())
		if rec.Body.Len() > limit {
			t.Errorf("%s: %d bytes, over %d", p, rec.Body.Len(), limit)
		}
	}
}

// greedy is a Source that answers more than it was asked for.
type greedy struct{ *noctest.Fake }

func (g greedy) Search(ctx context.Context, q noc.Query) (noc.Result, error) {
	var r noc.Result
	for i := range 500 {
		r.Accesses = append(r.Accesses, noc.AccessRef{ID: noctest.GenID(i), Address: "Storgatan 1"})
		r.Bindings = append(r.Bindings, noc.Binding{MAC: noctest.GenMAC(i), IP: noctest.GenIP(i), State: "bound", Access: noctest.GenID(i)})
		r.Intervals = append(r.Intervals, noc.Interval{IP: noctest.GenIP(i), MAC: noctest.GenMAC(i), Access: noctest.GenID(i), From: now})
		r.Unknown = append(r.Unknown, noc.UnknownCircuit{Key: noctest.GenSwitch(i) + " ge-0/0/1", Reason: "no access"})
	}
	return r, nil
}

func (g greedy) Link(ctx context.Context, id string, limit int) (noc.Link, error) {
	l, err := g.Fake.Link(ctx, id, 1000)
	l.Transitions = slices.Repeat(l.Transitions, 100)
	return l, err
}

func (g greedy) Bindings(ctx context.Context, id string) ([]noc.Binding, error) {
	r, _ := g.Search(ctx, noc.Query{})
	return r.Bindings, nil
}

func (g greedy) History(ctx context.Context, id string, limit int) ([]noc.Interval, bool, error) {
	r, _ := g.Search(ctx, noc.Query{})
	return r.Intervals, true, nil
}

func (g greedy) Services(ctx context.Context, id string) ([]noc.Service, error) {
	s, err := g.Fake.Services(ctx, id)
	return slices.Repeat(s, 200), err
}

func (g greedy) Orders(ctx context.Context, id string, limit, eventLimit int) ([]noc.Order, bool, error) {
	os, _, err := g.Fake.Orders(ctx, id, 1000, 1000)
	os = slices.Repeat(os, 100)
	for i := range os {
		os[i].Events = slices.Repeat(os[i].Events, 50)
	}
	return os, false, err
}

// TestPagesBoundWhateverTheSource: a Source that answers more than the
// page asked for still gives pages under 50 KB that say there is more.
func TestPagesBoundWhateverTheSource(t *testing.T) {
	h := newHandler(t, greedy{noctest.Sample(now)}, nil)
	for _, tc := range []struct{ path, more string }{
		{"/noc/?q=10.20.0.15", "Older intervals exist"},
		{"/noc/?q=10.20.0.15", "More bindings than shown"},
		{"/noc/?q=10.20.0.15", "More unknown circuits than shown"},
		{"/noc/?q=10.20.0.15", "More accesses match"},
		{"/noc/access/ALS10001", "More active bindings than shown"},
		{"/noc/access/ALS10001", "More services than shown"},
		{"/noc/access/ALS10001", "Older orders exist"},
		{"/noc/access/ALS10001", "older events not shown"},
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", tc.path, nil))
		t.Logf("%-22s %6d bytes", tc.path, rec.Body.Len())
		if rec.Code != 200 || rec.Body.Len() > 50<<10 || !strings.Contains(rec.Body.String(), tc.more) {
			t.Errorf("%s: %d, %d bytes, want %q", tc.path, rec.Code, rec.Body.Len(), tc.more)
		}
	}
}
