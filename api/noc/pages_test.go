package noc_test

import (
	"bytes"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stadsnat/accessd/api/internal/apitest"
	"github.com/stadsnat/accessd/api/noc"
	"github.com/stadsnat/accessd/api/noc/noctest"
	"github.com/stadsnat/accessd/internal/testkit"
)

// now is the clock of every page test.
var now = time.Date(2026, 3, 2, 9, 30, 15, 0, time.UTC)

func stockholm(t testing.TB) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Stockholm")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// newHandler serves src with the test clock, logging into log (nil:
// discarded).
func newHandler(t testing.TB, src noc.Source, log *slog.Logger) *noc.Handler {
	t.Helper()
	h, err := noc.New(noc.Options{Source: src, Log: log, Now: func() time.Time { return now }, Location: stockholm(t)})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// goldenCases are the pages and errors the golden files hold.
var goldenCases = []struct {
	name, method, path string
	status             int
	src                func() *noctest.Fake // nil: the Sample
}{
	{"search_form", "GET", "/noc/", 200, nil},
	{"search_ip", "GET", "/noc/?q=10.20.0.15", 200, nil},
	{"search_ip_history_only", "GET", "/noc/?q=10.20.0.77&kind=ip", 200, nil},
	{"search_mac", "GET", "/noc/?q=02-00-5E-00-00-15", 200, nil},
	{"search_address", "GET", "/noc/?q=storgatan+12", 200, nil},
	{"search_option82", "GET", "/noc/?q=" + noctest.Option82Hex("192.0.2.11 ge-0/0/2"), 200, nil},
	{"search_circuit_unknown", "GET", "/noc/?q=192.0.2.12+ge-0%2F0%2F47", 200, nil},
	{"search_nothing", "GET", "/noc/?q=Nowhere", 200, nil},
	{"search_access_redirect", "GET", "/noc/?q=ALS10002", 303, nil},
	{"search_bad_ip", "GET", "/noc/?q=10.20.0.300&kind=ip", 400, nil},
	{"search_bad_kind", "GET", "/noc/?q=x&kind=name", 400, nil},
	{"search_empty_kind", "GET", "/noc/?q=&kind=mac", 400, nil},
	{"access_up", "GET", "/noc/access/ALS10001", 200, nil},
	{"access_down", "GET", "/noc/access/ALS10002", 200, nil},
	{"access_unknown", "GET", "/noc/access/ALS10003", 200, nil},
	{"access_no_port", "GET", "/noc/access/ALS10004", 200, nil},
	{"access_hostile", "GET", "/noc/access/EVIL1", 200, nil},
	{"access_not_found", "GET", "/noc/access/ALS99999", 404, nil},
	{"access_bad_id", "GET", "/noc/access/ALS%3Cb%3E", 400, nil},
	{"access_not_served", "GET", "/noc/access/ALS10001", 200, func() *noctest.Fake {
		f := noctest.Sample(now)
		f.SetOff(noctest.Off{Links: true, DHCP: true, Orders: true})
		return f
	}},
	{"access_source_fails", "GET", "/noc/access/ALS10001", 500, func() *noctest.Fake {
		f := noctest.Sample(now)
		f.Fail(errors.New("store: read access: bbolt: database not open"))
		return f
	}},
	{"switches", "GET", "/noc/switches", 200, nil},
	{"switches_trouble", "GET", "/noc/switches?trouble=1", 200, nil},
	{"switches_page_2", "GET", "/noc/switches?page=2", 200, func() *noctest.Fake { return noctest.Full(now) }},
	{"switches_bad_page", "GET", "/noc/switches?page=0", 400, nil},
	{"circuits", "GET", "/noc/circuits", 200, nil},
	{"not_found", "GET", "/noc/nope", 404, nil},
	{"method_not_allowed", "POST", "/noc/", 405, nil},
}

func TestPagesGolden(t *testing.T) {
	for _, tc := range goldenCases {
		t.Run(tc.name, func(t *testing.T) {
			src := noctest.Sample(now)
			if tc.src != nil {
				src = tc.src()
			}
			resp, got := apitest.Serve(newHandler(t, src, nil), httptest.NewRequest(tc.method, tc.path, nil))
			if resp.StatusCode != tc.status {
				t.Errorf("status %d, want %d", resp.StatusCode, tc.status)
			}
			testkit.Golden(t, filepath.Join("testdata", tc.name+".golden"), got)
		})
	}
}

// wantHeaders are on every answer of the group.
var wantHeaders = map[string]string{
	"Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
	"X-Content-Type-Options":  "nosniff",
	"Referrer-Policy":         "no-referrer",
	"X-Frame-Options":         "DENY",
}

// TestHeadersEverywhere: pages, errors, the redirect and the style sheet
// carry the security headers; everything but the style sheet is not
// cached.
func TestHeadersEverywhere(t *testing.T) {
	h := newHandler(t, noctest.Sample(now), nil)
	paths := []string{cssPath(t, h)}
	for _, tc := range goldenCases {
		if tc.method == "GET" && tc.src == nil {
			paths = append(paths, tc.path)
		}
	}
	for _, p := range paths {
		for _, m := range []string{"GET", "HEAD", "POST", "DELETE"} {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(m, p, nil))
			for k, v := range wantHeaders {
				if got := rec.Header().Get(k); got != v {
					t.Errorf("%s %s: %s %q, want %q", m, p, k, got, v)
				}
			}
			cache := rec.Header().Get("Cache-Control")
			if strings.HasPrefix(p, "/noc/static/") && rec.Code == 200 {
				if cache != "private, max-age=31536000, immutable" {
					t.Errorf("%s %s: Cache-Control %q", m, p, cache)
				}
			} else if cache != "no-store" {
				t.Errorf("%s %s: Cache-Control %q, want no-store", m, p, cache)
			}
			if m == "HEAD" && rec.Body.Len() != 0 {
				t.Errorf("HEAD %s: a body of %d bytes", p, rec.Body.Len())
			}
			if (m == "POST" || m == "DELETE") && rec.Code != http.StatusMethodNotAllowed {
				t.Errorf("%s %s: %d, want 405", m, p, rec.Code)
			}
		}
	}
}

// cssPath is the style sheet's path as the pages link it.
func cssPath(t *testing.T, h http.Handler) string {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/noc/", nil))
	_, rest, ok := strings.Cut(rec.Body.String(), `<link rel="stylesheet" href="`)
	if !ok {
		t.Fatal("the page links no style sheet")
	}
	p, _, _ := strings.Cut(rest, `"`)
	return p
}

func TestStyleSheet(t *testing.T) {
	h := newHandler(t, noctest.Sample(now), nil)
	p := cssPath(t, h)
	if !strings.HasPrefix(p, "/noc/static/noc-") || !strings.HasSuffix(p, ".css") {
		t.Fatalf("style sheet at %q", p)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", p, nil))
	if rec.Code != 200 || rec.Header().Get("Content-Type") != "text/css; charset=utf-8" || !strings.Contains(rec.Body.String(), ".link.down") {
		t.Errorf("GET %s: %d %q, %d bytes", p, rec.Code, rec.Header().Get("Content-Type"), rec.Body.Len())
	}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/noc/static/noc-000000000000.css", nil))
	if rec.Code != 404 {
		t.Errorf("a style sheet of another digest: %d, want 404", rec.Code)
	}
}

// TestNothingLogsSearchValues: the IPs and MACs searched for never reach
// the log, not even at debug level or when the search fails.
func TestNothingLogsSearchValues(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	f := noctest.Sample(now)
	h := newHandler(t, f, log)
	values := []string{"10.20.0.15", "10.20.0.300", "02:00:5e:00:00:15", "02-00-5E-00-00-1G", "10.20.0.99"}
	for _, v := range values {
		for _, kind := range []string{"", "ip", "mac"} {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest("GET", "/noc/?kind="+kind+"&q="+v, nil))
		}
	}
	for _, p := range []string{"/noc/access/10.20.0.15", "/noc/10.20.0.15", "/noc/access/02:00:5e:00:00:15/x"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", p, nil))
	}
	f.Fail(errors.New("store: bbolt: database not open"))
	for _, v := range values {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/noc/?q="+v, nil))
		if rec.Code != 500 {
			t.Errorf("failing source: %d, want 500", rec.Code)
		}
	}
	if !strings.Contains(buf.String(), "database not open") {
		t.Errorf("the source's failure was not logged:\n%s", buf.String())
	}
	for _, v := range values {
		if strings.Contains(strings.ToLower(buf.String()), strings.ToLower(v)) {
			t.Errorf("the log holds %s:\n%s", v, buf.String())
		}
	}
}

// TestSearchKinds: a value is found by the kind its form says, and an
// explicit kind overrides the guess.
func TestSearchKinds(t *testing.T) {
	h := newHandler(t, noctest.Sample(now), nil)
	for _, tc := range []struct {
		query, want string
	}{
		{"q=10.20.0.15", "Searched as IP."},
		{"q=02005e000015", "Searched as MAC (tried MAC, AccessId, address, circuit)."},
		{"q=storgatan", "Searched as address (tried AccessId, address, circuit)."},
		{"q=192.0.2.11+ge-0/0/1", "Searched as circuit (tried circuit, address)."},
		{"q=192.0.2.11+ge-0/0/1&kind=address", "Searched as address."},
		{"q=" + noctest.Option82Hex("192.0.2.11 ge-0/0/1"), "Searched as Option 82 hex (tried Option 82 hex, circuit, address)."},
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/noc/?"+tc.query, nil))
		if rec.Code != 200 || !strings.Contains(rec.Body.String(), tc.want) {
			t.Errorf("%s: %d, want %q in\n%s", tc.query, rec.Code, tc.want, rec.Body.String())
		}
	}
}

// TestNoCustomerData: an order's customer data has no field to reach a
// page through, and the pages say nothing of a customer.
func TestNoCustomerData(t *testing.T) {
	h := newHandler(t, noctest.Sample(now), nil)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/noc/access/ALS10001", nil))
	for _, word := range []string{"customer", "socialSecurity", "e-mail", "email", "phone"} {
		if strings.Contains(strings.ToLower(rec.Body.String()), strings.ToLower(word)) {
			t.Errorf("the access page mentions %q", word)
		}
	}
}
