package web

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestIfModifiedSince(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Time
		ok   bool
	}{
		{"Fri, 31 Aug 2012 12:03:28 GMT", time.Date(2012, 8, 31, 12, 3, 28, 0, time.UTC), true},
		{"Friday, 31-Aug-12 12:03:28 GMT", time.Date(2012, 8, 31, 12, 3, 28, 0, time.UTC), true}, // RFC 850
		{"Fri Aug 31 12:03:28 2012", time.Date(2012, 8, 31, 12, 3, 28, 0, time.UTC), true},       // asctime
		{"", time.Time{}, false},
		{"yesterday", time.Time{}, false},
		{"2012-08-31T12:03:28Z", time.Time{}, false},
		// Later than the server's time: invalid (RFC 9110 §13.1.3).
		{"Sat, 01 Sep 2040 00:00:00 GMT", time.Time{}, false},
		{"Tue, 03 Mar 2026 09:30:16 GMT", time.Time{}, false},
		{"Tue, 03 Mar 2026 09:30:15 GMT", time.Date(2026, 3, 3, 9, 30, 15, 0, time.UTC), true},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		if tc.in != "" {
			r.Header.Set("If-Modified-Since", tc.in)
		}
		got, ok := IfModifiedSince(r, time.Date(2026, 3, 3, 9, 30, 15, 500e6, time.UTC))
		if ok != tc.ok || !got.Equal(tc.want) {
			t.Errorf("IfModifiedSince(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func FuzzIfModifiedSince(f *testing.F) {
	for _, s := range []string{"Fri, 31 Aug 2012 12:03:28 GMT", "Friday, 31-Aug-12 12:03:28 GMT", "Fri Aug 31 12:03:28 2012", "", "x", "Mon, 32 Foo 99999 99:99:99 GMT"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("If-Modified-Since", s)
		got, ok := IfModifiedSince(r, time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC))
		if !ok {
			if !got.IsZero() {
				t.Fatalf("not ok but a time: %v", got)
			}
			return
		}
		if got.Location() != time.UTC || got.Nanosecond() != 0 {
			t.Fatalf("%q gave %v: not whole-second UTC", s, got)
		}
		// What we would send back as Last-Modified parses to the same instant.
		back, err := http.ParseTime(got.Format(http.TimeFormat))
		if err != nil || !back.Equal(got) {
			t.Fatalf("%q: %v does not round-trip (%v, %v)", s, got, back, err)
		}
	})
}

func TestUsersConstantTimeCheck(t *testing.T) {
	u := NewUsers([]User{{Name: "a", Password: "secret"}})
	if _, ok := u.Check("a", "secret"); !ok {
		t.Error("right password refused")
	}
	for _, c := range [][2]string{{"a", "Secret"}, {"a", ""}, {"b", "secret"}, {"", ""}} {
		if _, ok := u.Check(c[0], c[1]); ok {
			t.Errorf("Check(%q, %q) accepted", c[0], c[1])
		}
	}
}
