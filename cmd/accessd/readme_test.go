package main_test

import (
	"bufio"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stadsnat/accessd/internal/testkit"
)

// readmeAddr is the demo's HTTP address as the README writes it.
const readmeAddr = "127.0.0.1:8067"

// example is one command of the README.
type example struct {
	Line int
	Cmd  string
}

// inlineCode is a `code span` of a Markdown line.
var inlineCode = regexp.MustCompile("`([^`]+)`")

// readmeExamples returns every command example of the README that runs
// curl or accessctl: each line of a code block (indented or fenced) that
// starts with one, and each code span that does. A syntax summary must not
// be written as such a span or line: everything extracted is run.
func readmeExamples(t *testing.T, path string) []example {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []example
	isCmd := func(s string) bool { return strings.HasPrefix(s, "curl ") || strings.HasPrefix(s, "accessctl ") }
	fenced := false
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if strings.HasPrefix(strings.TrimSpace(line), "```") {
			fenced = !fenced
			continue
		}
		if code, ok := strings.CutPrefix(line, "    "); ok || fenced {
			if !ok {
				code = line
			}
			if c := strings.TrimSpace(code); isCmd(c) {
				out = append(out, example{n, c})
			}
			continue
		}
		for _, m := range inlineCode.FindAllStringSubmatch(line, -1) {
			if isCmd(m[1]) {
				out = append(out, example{n, m[1]})
			}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestREADMEExamples runs every curl and accessctl example of the README,
// in order, against the demo (`accessd -demo`, built from this tree) as a
// new user would, and fails on an error or a non-2xx answer: the README
// cannot drift from what accessd does. The commands run in a shell as
// written, with the demo's address for 127.0.0.1:8067, accessctl built
// from this tree first in PATH and finding the demo's socket itself, in a
// directory holding testdata/demo. curl's answer status is read from its
// header dump (-D, added); a redirect passes only where the example asks
// curl for it (%{redirect_url}: the bounce URL) and it says status=ok.
func TestREADMEExamples(t *testing.T) {
	exs := readmeExamples(t, filepath.Join("..", "..", "README.md"))
	if len(exs) < 25 {
		t.Fatalf("only %d curl and accessctl examples found in the README: the extraction is broken", len(exs))
	}
	if _, err := exec.LookPath("curl"); err != nil {
		testkit.Missing(t, "curl is not installed (Debian: apt-get install curl)")
	}
	d := startDemo(t)
	// An answer covers the changes made before the start of its second
	// (store.beginAnswer): the demo's inventory, imported as it started,
	// shows in an incremental export once that second has passed, as
	// ON-API's events.md prescribes. A reader typing the examples is
	// slower than that; the test waits for it.
	time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(time.Second + 50*time.Millisecond)))
	work := t.TempDir()
	csv, err := os.ReadFile(filepath.Join("..", "..", "testdata", "demo", "accesses.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(work, "testdata", "demo"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(work, "testdata", "demo", "accesses.csv"), csv, 0o644); err != nil {
		t.Fatal(err)
	}
	host := strings.TrimPrefix(d.base, "http://")
	for i, ex := range exs {
		cmd := strings.ReplaceAll(ex.Cmd, readmeAddr, host)
		dump := filepath.Join(work, "headers")
		os.Remove(dump)
		sh := exec.Command("sh", "-c", `curl() { command curl -sS -D "$CURL_HEADERS" "$@"; }; `+cmd)
		sh.Dir = work
		sh.Env = append(os.Environ(), d.env...)
		sh.Env = append(sh.Env, "PATH="+d.bins.Dir+string(os.PathListSeparator)+os.Getenv("PATH"), "CURL_HEADERS="+dump, "ACCESSD_SOCKET=")
		out, err := sh.CombinedOutput()
		t.Logf("README.md:%d: %s\n%s", ex.Line, ex.Cmd, truncate(string(out), 400))
		if err != nil {
			t.Errorf("README.md:%d (example %d): %s\nfailed: %v\n%s", ex.Line, i+1, ex.Cmd, err, out)
			continue
		}
		if strings.HasPrefix(ex.Cmd, "curl ") {
			checkCurlStatus(t, ex, dump, string(out))
		}
	}
	// What the examples changed and ran was logged by the demo without
	// an error.
	time.Sleep(100 * time.Millisecond)
	if log := d.proc.Log(); strings.Contains(log, "level=ERROR") {
		t.Errorf("the demo logged errors while the README's examples ran")
	}
}

// checkCurlStatus fails unless the last response of a curl example was a
// 2xx (or the bounce URL's redirect with status=ok where the example asks
// for the redirect).
func checkCurlStatus(t *testing.T, ex example, dump, out string) {
	t.Helper()
	b, err := os.ReadFile(dump)
	if err != nil {
		t.Errorf("README.md:%d: %s: no response headers: %v", ex.Line, ex.Cmd, err)
		return
	}
	var status, location string
	for _, l := range strings.Split(string(b), "\n") {
		l = strings.TrimSpace(l)
		if strings.HasPrefix(l, "HTTP/") {
			if f := strings.Fields(l); len(f) > 1 {
				status, location = f[1], ""
			}
		}
		if v, ok := strings.CutPrefix(strings.ToLower(l), "location: "); ok {
			location = l[len(l)-len(v):]
		}
	}
	switch {
	case strings.HasPrefix(status, "2"):
	case (status == "302" || status == "303") && strings.Contains(ex.Cmd, "redirect_url"):
		u, err := url.Parse(location)
		if err != nil || u.Query().Get("status") != "ok" {
			t.Errorf("README.md:%d: %s\nredirected to %q, want status=ok", ex.Line, ex.Cmd, location)
		}
	default:
		t.Errorf("README.md:%d: %s\nanswered %s, want 2xx:\n%s", ex.Line, ex.Cmd, status, truncate(out, 600))
	}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
