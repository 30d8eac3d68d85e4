package noc_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/stadsnat/accessd/api/noc"
	"github.com/stadsnat/accessd/api/noc/noctest"
	"github.com/stadsnat/accessd/internal/testkit/browser"
)

// browserServer serves the NOC group over src at /noc/, and two control
// pages that prove the checks can fail: /control/script changes the page
// when script runs; /control/csp breaks the group's CSP.
func browserServer(t *testing.T, src noc.Source) *httptest.Server {
	t.Helper()
	h := newHandler(t, src, nil)
	mux := http.NewServeMux()
	mux.Handle(noc.Prefix, h)
	mux.HandleFunc("GET /control/script", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<!DOCTYPE html><html><head><link rel="icon" href="data:,"></head><body><p id="state">script did not run</p>`+
			`<script>document.getElementById("state").textContent = "script ran"</script></body></html>`)
	})
	mux.HandleFunc("GET /control/csp", func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/noc/", nil)) // the group's headers
		for k, v := range rec.Header() {
			if k != "Content-Length" {
				w.Header()[k] = v
			}
		}
		fmt.Fprint(w, `<!DOCTYPE html><html><head><link rel="icon" href="data:,"><style>p{color:red}</style></head>`+
			`<body><p>inline style and script</p><script>document.title = "x"</script></body></html>`)
	})
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)
	return ts
}

// TestBrowser drives the NOC pages over the in-memory Source in a real
// headless Chromium: search by IP, follow to the access, see the link
// state the source reports change on reload, the same with JavaScript off,
// and no console error or CSP violation anywhere. (cmd/accessd's
// TestNOCBrowser does the same against the real daemon and takes the
// screenshots in docs/.)
func TestBrowser(t *testing.T) {
	b := browser.Start(t)
	src := noctest.Sample(now)
	ts := browserServer(t, src)

	t.Run("controls", func(t *testing.T) {
		// The checks below can fail: a CSP violation is seen, and a
		// script does not run in a tab with scripts off.
		var p browser.Problems
		ctx := browser.NewTab(t, b, &p, browser.Tab{})
		browser.Navigate(t, ctx, ts.URL+"/control/csp", 200)
		p.Wait(t, "a CSP violation on /control/csp")
		var csp bool
		for _, pr := range p.Take() {
			t.Logf("control: %s", pr)
			csp = csp || strings.Contains(pr, "Content Security Policy") || strings.Contains(pr, "CSP issue")
		}
		if !csp {
			t.Error("the control page's inline style and script were not reported as CSP violations")
		}
		browser.Navigate(t, ctx, ts.URL+"/control/script", 200)
		if got := browser.OuterHTML(t, ctx, "#state"); !strings.Contains(got, "script ran") {
			t.Errorf("with scripts on, the control page says %s", got)
		}
		off := browser.NewTab(t, b, &p, browser.Tab{NoScript: true})
		browser.Navigate(t, off, ts.URL+"/control/script", 200)
		if got := browser.OuterHTML(t, off, "#state"); !strings.Contains(got, "script did not run") {
			t.Errorf("with scripts off, the control page says %s", got)
		}
	})

	for _, noScript := range []bool{false, true} {
		name := "scripts on"
		if noScript {
			name = "scripts off"
		}
		t.Run(name, func(t *testing.T) {
			var p browser.Problems
			ctx := browser.NewTab(t, b, &p, browser.Tab{NoScript: noScript})
			searchFollowReload(t, ctx, ts.URL, src)
			browser.Navigate(t, ctx, ts.URL+"/noc/switches", 200)
			if got := browser.OuterHTML(t, ctx, "#switches"); !strings.Contains(got, "UNREACHABLE") {
				t.Errorf("the switches page shows no unreachable switch: %s", got)
			}
			browser.Navigate(t, ctx, ts.URL+"/noc/circuits", 200)
			browser.Navigate(t, ctx, ts.URL+"/noc/access/EVIL1", 200)
			for _, pr := range p.Take() {
				t.Errorf("%s", pr)
			}
			// The error pages: the browser reports only their status.
			browser.Navigate(t, ctx, ts.URL+"/noc/access/NOSUCH1", 404)
			browser.Navigate(t, ctx, ts.URL+"/noc/?kind=ip&q=10.20.0.300", 400)
			for _, pr := range p.Take() {
				if !strings.HasPrefix(pr, "log network/error: Failed to load resource: the server responded with a status of 40") {
					t.Errorf("%s", pr)
				}
			}
		})
	}

	t.Run("screenshots", func(t *testing.T) {
		var p browser.Problems
		ctx := browser.NewTab(t, b, &p, browser.Tab{})
		src.Update("ALS10001", func(e *noctest.Entry) { *e = noctest.Sample(now).Entry("ALS10001") })
		browser.Shoot(t, ctx, ts.URL+"/noc/access/ALS10001")
		browser.Shoot(t, ctx, ts.URL+"/noc/switches")
		for _, pr := range p.Take() {
			t.Errorf("%s", pr)
		}
	})
}

// searchFollowReload searches for an IP with the form, follows the access
// it finds, checks the link state, takes the port DOWN in the source and
// reloads.
func searchFollowReload(t *testing.T, ctx context.Context, base string, src *noctest.Fake) {
	t.Helper()
	src.Update("ALS10001", func(e *noctest.Entry) { *e = noctest.Sample(now).Entry("ALS10001") })
	browser.Navigate(t, ctx, base+"/noc/", 200)
	browser.Follow(t, ctx, "search 10.20.0.15", chromedp.SendKeys(chromedp.ID("q"), "10.20.0.15\n"))
	if got := browser.OuterHTML(t, ctx, "main"); !strings.Contains(got, "Searched as IP") || !strings.Contains(got, "ALS10001") {
		t.Fatalf("the search for the IP did not find ALS10001:\n%s", got)
	}
	browser.Follow(t, ctx, "follow ALS10001", chromedp.Click(chromedp.CSS(`main a[href="/noc/access/ALS10001"]`)))
	if got := browser.OuterHTML(t, ctx, "#link-state"); !strings.Contains(got, ">UP<") || !strings.Contains(got, "1 Gbit/s") {
		t.Fatalf("link state before: %s, want UP 1 Gbit/s", got)
	}
	src.Update("ALS10001", func(e *noctest.Entry) {
		e.Link.State, e.Link.SpeedMbps, e.Link.Oper, e.Link.Since = noc.LinkDown, 0, "down", now
		e.Link.Transitions = append([]noc.Transition{{At: now, Since: now, SinceExact: true, From: noc.LinkUp, To: noc.LinkDown,
			Admin: "up", Oper: "down", Source: "trap", Flap: true}}, e.Link.Transitions...)
	})
	browser.Follow(t, ctx, "reload", chromedp.Reload())
	if got := browser.OuterHTML(t, ctx, "#link-state"); !strings.Contains(got, ">DOWN<") {
		t.Fatalf("link state after the port went down: %s, want DOWN", got)
	}
}
