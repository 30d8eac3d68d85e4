// Package apitest holds what the API packages' tests share: a response
// rendered as the golden files hold it (compare it with testkit.Golden).
package apitest

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
)

// Serve runs req through h and returns the response and its rendering.
func Serve(h http.Handler, req *http.Request) (*http.Response, string) {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	resp := rec.Result()
	return resp, Render(resp)
}

// Render is a response as the golden files hold it: the status line, the
// headers sorted by name (not Date, which varies), a blank line and the
// body. It reads and closes the body.
func Render(resp *http.Response) string {
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var s strings.Builder
	fmt.Fprintf(&s, "HTTP/1.1 %s\n", resp.Status)
	var keys []string
	for k := range resp.Header {
		if k != "Date" {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		fmt.Fprintf(&s, "%s: %s\n", k, strings.Join(resp.Header[k], ", "))
	}
	s.WriteString("\n")
	s.Write(b)
	return s.String()
}
