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

// TestEachParam: the parameters in the query's order, names as sent, a
// duplicate in another case refused when folding; a query without
// escapes walks with no allocation.
func TestEachParam(t *testing.T) {
	r := httptest.NewRequest("GET", "/x?IPv4CircuitId=a&&ipv4remoteid=b%2Fc&flag", nil)
	var got [][2]string
	if err := EachParam(r, true, func(k, v string) error { got = append(got, [2]string{k, v}); return nil }); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([][2]string{{"IPv4CircuitId", "a"}, {"ipv4remoteid", "b/c"}, {"flag", ""}}, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	stop := errors.New("stop")
	n := 0
	if err := EachParam(r, true, func(string, string) error { n++; return stop }); err != stop || n != 1 {
		t.Errorf("an error of f: %v after %d calls, want it after 1", err, n)
	}
	plain := httptest.NewRequest("GET", "/x?ipv4CircuitId=ge-0&ipv4RemoteId=10.20.0.9", nil)
	var c, rid string
	if a := testing.AllocsPerRun(100, func() {
		EachParam(plain, true, func(k, v string) error {
			if k == "ipv4CircuitId" {
				c = v
			} else {
				rid = v
			}
			return nil
		})
	}); a != 0 || c != "ge-0" || rid != "10.20.0.9" {
		t.Errorf("%v allocations (%q, %q), want 0", a, c, rid)
	}
	many := httptest.NewRequest("GET", "/x?a=1&b=2&c=3&d=4&e=5&f=6&g=7&h=8&i=9&j=10&B=11", nil)
	if err := EachParam(many, true, func(string, string) error { return nil }); err == nil {
		t.Error("a duplicate past the eighth parameter was not seen")
	}
}
