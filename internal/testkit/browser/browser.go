// Package browser drives a real headless Chromium from Go tests with
// chromedp, for the tests of accessd's web pages (the NOC pages, served by
// a test server or by the real daemon): a browser of its own per test (a
// new empty profile, nothing that reaches out to the network), tabs that
// report what a page must not cause (console errors, uncaught exceptions,
// failed loads, Content Security Policy violations), tabs with JavaScript
// off, reading the DOM without script, navigation that checks the status,
// HTTP Basic credentials, and screenshots.
//
// Like the rest of testkit it skips where it cannot run (-short, no
// chromium in PATH) and fails instead under ACCESSD_REQUIRE_INTEGRATION=1
// (CI installs Debian's chromium with .ci/install-deps). It is a package of
// its own so that only the tests that drive a browser link chromedp.
package browser

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"image/png"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/audits"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/dom"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/stadsnat/accessd/internal/testkit"
)

// EnvScreenshots=1 writes screenshots (as ACCESSD_UPDATE_GOLDEN=1 does)
// without rewriting golden files.
const EnvScreenshots = "ACCESSD_SCREENSHOTS"

// Start starts a headless Chromium of its own for the test and returns a
// context for its first tab; the browser ends with the test.
func Start(t *testing.T) context.Context {
	t.Helper()
	testkit.SkipShort(t, "browser test")
	path, err := exec.LookPath("chromium")
	if err != nil {
		testkit.Missing(t, "no chromium in PATH (Debian: apt-get install chromium; .ci/install-deps installs it)")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(cancelAlloc)
	bctx, cancelBrowser := chromedp.NewContext(allocCtx)
	t.Cleanup(cancelBrowser)
	if err := chromedp.Do(bctx); err != nil { // starts the browser
		testkit.Missing(t, "chromium %s does not start: %v", path, err)
	}
	return bctx
}

// Problems collects what tabs report that a page must not cause: console
// errors and warnings, uncaught exceptions, browser log errors (a failed
// load, a CSP violation) and Content Security Policy issues.
type Problems struct {
	mu   sync.Mutex
	list []string
}

func (p *Problems) add(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.list = append(p.list, fmt.Sprintf(format, args...))
}

// Take returns the problems so far and forgets them.
func (p *Problems) Take() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	l := p.list
	p.list = nil
	return l
}

// Wait waits up to 5 s until there is a problem (the browser reports some
// a little after the load) and fails the test if none comes.
func (p *Problems) Wait(t *testing.T, what string) {
	t.Helper()
	for range 50 {
		p.mu.Lock()
		n := len(p.list)
		p.mu.Unlock()
		if n > 0 {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Errorf("no report of %s: the problem listener sees nothing", what)
}

// Tab is what NewTab opens.
type Tab struct {
	NoScript bool // pages run no JavaScript
	// User and Password, when set, go with every request as HTTP Basic.
	User, Password string
}

// NewTab opens a tab of browser that reports its problems into p.
func NewTab(t *testing.T, browser context.Context, p *Problems, o Tab) context.Context {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browser)
	t.Cleanup(cancel)
	err := chromedp.Listen(ctx, func(ev any) {
		switch ev := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeWarning || ev.Type == runtime.ConsoleAPICalledTypeAssert {
				p.add("console.%s: %v", ev.Type, ev.Args)
			}
		case *runtime.EventExceptionThrown:
			p.add("exception: %s", ev.ExceptionDetails.Text)
		case *log.EventEntryAdded:
			if ev.Entry.Level == log.EntryLevelError || ev.Entry.Level == log.EntryLevelWarning || ev.Entry.Source == log.EntrySourceSecurity {
				p.add("log %s/%s: %s (%s)", ev.Entry.Source, ev.Entry.Level, ev.Entry.Text, ev.Entry.URL)
			}
		case *audits.EventIssueAdded:
			if ev.Issue.Code == audits.InspectorIssueCodeContentSecurityPolicyIssue {
				p.add("CSP issue: %+v", ev.Issue.Details.ContentSecurityPolicyIssueDetails)
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, audits.Enable, cdp.Empty{}); err != nil {
		t.Fatal(err)
	}
	if o.NoScript {
		if _, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
			t.Fatal(err)
		}
	}
	if o.User != "" {
		auth := "Basic " + base64.StdEncoding.EncodeToString([]byte(o.User+":"+o.Password))
		if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
			t.Fatal(err)
		}
		if _, err := chromedp.Call(ctx, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{Headers: network.Headers{"Authorization": auth}}); err != nil {
			t.Fatal(err)
		}
	}
	return ctx
}

// OuterHTML reads the first element matching css through the DOM domain,
// which needs no script in the page.
func OuterHTML(t *testing.T, ctx context.Context, css string) string {
	t.Helper()
	nodes, err := chromedp.Run(ctx, chromedp.Nodes(chromedp.CSS(css)))
	if err != nil {
		t.Fatalf("%s: %v", css, err)
	}
	res, err := chromedp.Call(ctx, dom.GetOuterHTML, dom.GetOuterHTMLParams{NodeID: nodes[0].NodeID})
	if err != nil {
		t.Fatalf("%s: %v", css, err)
	}
	return res.OuterHTML
}

// Navigate loads url and fails unless it answers want.
func Navigate(t *testing.T, ctx context.Context, url string, want int64) {
	t.Helper()
	resp, err := chromedp.Run(ctx, chromedp.NavigateResponse(url))
	if err != nil {
		t.Fatalf("%s: %v", url, err)
	}
	if resp.Status != want {
		t.Fatalf("%s: %d, want %d", url, resp.Status, want)
	}
}

// Follow runs an action that navigates (a click, Enter in a form, a
// reload), waits for the page and fails unless it answered 200.
func Follow(t *testing.T, ctx context.Context, what string, a chromedp.Action[chromedp.Void]) {
	t.Helper()
	resp, err := chromedp.RunResponse(ctx, a)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if resp.Status != 200 {
		t.Fatalf("%s: %s answered %d", what, resp.URL, resp.Status)
	}
}

// Shoot takes a full-page PNG of url and checks it is an image of a page.
func Shoot(t *testing.T, ctx context.Context, url string) []byte {
	t.Helper()
	Navigate(t, ctx, url, 200)
	buf, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot of %s: %v", url, err)
	}
	img, err := png.Decode(bytes.NewReader(buf))
	if err != nil {
		t.Fatalf("screenshot of %s: %v", url, err)
	}
	if b := img.Bounds(); b.Dx() < 800 || b.Dy() < 300 {
		t.Errorf("screenshot of %s is %v", url, b)
	}
	return buf
}

// Screenshot is Shoot, and with ACCESSD_UPDATE_GOLDEN=1 or
// ACCESSD_SCREENSHOTS=1 it writes the PNG to path (relative to the test's
// package directory).
func Screenshot(t *testing.T, ctx context.Context, url, path string) {
	t.Helper()
	buf := Shoot(t, ctx, url)
	if !testkit.UpdateGolden() && os.Getenv(EnvScreenshots) != "1" {
		return
	}
	if err := os.WriteFile(path, buf, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s (%d bytes)", path, len(buf))
}
