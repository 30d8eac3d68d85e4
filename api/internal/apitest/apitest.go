// Package apitest holds what the API packages' tests share: a response
// rendered as the golden files hold it, and the comparison with a golden
// file under the test's testdata/.
package apitest

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
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

// Golden compares got with testdata/NAME.golden, first rewriting the file
// when update is set (each test package has its own -update flag, named in
// the failure so it can be found).
func Golden(t testing.TB, name, got string, update bool, updateFlag string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run the test with %s to create it)", err, updateFlag)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s (-want +got):\n%s", path, diff)
	}
}
