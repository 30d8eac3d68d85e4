package web

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParams(t *testing.T) {
	for _, tc := range []struct {
		query string
		fold  bool
		want  map[string]string
		cause string // "" = no error
	}{
		{"", false, map[string]string{}, ""},
		{"since=abc", false, map[string]string{"since": "abc"}, ""},
		{"a=1&&b=%20x", false, map[string]string{"a": "1", "b": " x"}, ""},
		{"flag", false, map[string]string{"flag": ""}, ""},
		{"IPv4CircuitId=a&ipv4remoteid=b", true, map[string]string{"ipv4circuitid": "a", "ipv4remoteid": "b"}, ""},
		{"since=%zz", false, nil, `malformed value of query parameter "since": not URL-encoded`},
		{"%zz=1", false, nil, `malformed query parameter "%zz": not URL-encoded`},
		{"since=1&since=2", false, nil, `query parameter "since" is given more than once`},
		{"ipv4circuitid=a&IPV4CIRCUITID=b", true, nil, `query parameter "ipv4circuitid" is given more than once`},
		{"a=1&A=2", false, map[string]string{"a": "1", "A": "2"}, ""},
	} {
		r := httptest.NewRequest("GET", "/x?"+tc.query, nil)
		got, err := Params(r, tc.fold)
		if tc.cause != "" {
			var e *Error
			if !errors.As(err, &e) || e.Status != http.StatusBadRequest || e.Cause != tc.cause {
				t.Errorf("Params(%q) error = %v, want 400 %q", tc.query, err, tc.cause)
			}
			continue
		}
		if err != nil {
			t.Errorf("Params(%q): %v", tc.query, err)
			continue
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("Params(%q) (-want +got):\n%s", tc.query, diff)
		}
	}
}

func FuzzParams(f *testing.F) {
	for _, s := range []string{"", "since=abc", "a=1&&b=%20x", "since=%zz", "since=1&since=2", "A=1&a=2", "=", "&=&", "%"} {
		f.Add(s, true)
		f.Add(s, false)
	}
	f.Fuzz(func(t *testing.T, q string, fold bool) {
		r := httptest.NewRequest("GET", "/x", nil)
		r.URL.RawQuery = q
		got, err := Params(r, fold)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Status != http.StatusBadRequest {
				t.Fatalf("Params(%q): %v is not a 400", q, err)
			}
			return
		}
		// Every pair url.ParseQuery accepts is there once, with its value.
		for k, vs := range r.URL.Query() {
			if fold {
				continue
			}
			if len(vs) != 1 {
				t.Fatalf("Params(%q) accepted %q given %d times", q, k, len(vs))
			}
			if got[k] != vs[0] {
				t.Fatalf("Params(%q)[%q] = %q, url.Values has %q", q, k, got[k], vs[0])
			}
		}
	})
}
