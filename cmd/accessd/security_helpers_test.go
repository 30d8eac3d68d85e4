package main_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// httpClient is the security tests' client: a bounded wait, so a daemon
// that stops answering fails the test instead of hanging it.
var httpClient = &http.Client{Timeout: 10 * time.Second}

// contains reports whether s contains every one of subs.
func contains(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}

// mustRequest is a GET with HTTP Basic credentials.
func mustRequest(t *testing.T, method, url, user, pass string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth(user, pass)
	return req
}

// readAll reads and closes a response's body.
func readAll(resp *http.Response) (string, error) {
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}

// metricLine is the value of the metric line that starts with name
// (with its labels) in a /metrics body, -1 when absent.
func metricLine(body, name string) float64 {
	for l := range strings.Lines(body) {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(l), name+" "); ok {
			var v float64
			if _, err := fmt.Sscan(rest, &v); err == nil {
				return v
			}
		}
	}
	return -1
}
