package atlas

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"
)

// query finds a repeated parameter wherever it is — among the first ones
// it scans, beyond them where it keeps the names in a map, and across the
// two — and agrees with net/url's parse on every query it accepts.
func TestQueryRepeats(t *testing.T) {
	many := func(n int) []string {
		var ps []string
		for i := range n {
			ps = append(ps, fmt.Sprintf("p%d=%d", i, i))
		}
		return ps
	}
	for _, tc := range []struct {
		name string
		ps   []string
		dup  string // the parameter named as repeated; "" = accepted
	}{
		{"few", many(3), ""},
		{"exactly the scan", many(dupScan), ""},
		{"many", many(3 * dupScan), ""},
		{"repeat among the first", append(many(5), "p2=x"), "p2"},
		{"repeat of a first one beyond them", append(many(2*dupScan), "p3=x"), "p3"},
		{"repeat of a later one", append(many(2*dupScan), "p20=x"), "p20"},
		{"repeat at the switch", append(many(dupScan), "p0=x"), "p0"},
		{"escaped repeat", append(many(20), "p%31=x"), "p1"},
	} {
		raw := strings.Join(tc.ps, "&")
		q, err := query(raw, nil)
		var pe *ParamError
		switch {
		case tc.dup == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.dup != "" && (!errors.As(err, &pe) || pe.Param != tc.dup || !strings.Contains(pe.Error(), "more than once")):
			t.Errorf("%s: err = %v, want %s given more than once", tc.name, err, tc.dup)
		case tc.dup == "":
			want, _ := url.ParseQuery(raw)
			if len(q) != len(want) {
				t.Errorf("%s: %d parameters, url.ParseQuery %d", tc.name, len(q), len(want))
			}
			for k, vs := range want {
				if v, ok := q.lookup(k); !ok || v != vs[0] {
					t.Errorf("%s: %s = %q, %v; want %q", tc.name, k, v, ok, vs[0])
				}
			}
		}
	}
}

// The values query keeps as sent are what net/url decodes: query refuses
// exactly the values url.QueryUnescape refuses, appendUnescaped decodes
// the others to the same bytes, and the bounce's return_url, matched as
// sent, gets the answer of Match on url.QueryUnescape's decoding.
func FuzzUnescape(f *testing.F) {
	for _, s := range append(returnSeeds, "a+b%20c", "%", "%4", "%zz", "%%41", "%41%", "+%2B+", "%e2%82%ac", strings.Repeat("%41", 700)) {
		f.Add(s)
	}
	al := NewAllowList(parseURLs(f, []string{"https://tg.example.se/serviceguide"}))
	f.Fuzz(func(t *testing.T, s string) {
		want, err := url.QueryUnescape(s)
		valid, plain := scanEscapes(s)
		if valid != (err == nil) || valid && plain != !strings.ContainsAny(s, "%+") || plain && want != s {
			t.Fatalf("scanEscapes(%q) = %v, %v; url.QueryUnescape gives %q, %v", s, valid, plain, want, err)
		}
		if err != nil {
			return
		}
		if got := string(appendUnescaped([]byte("x"), s)); got != "x"+want {
			t.Fatalf("appendUnescaped(%q) = %q, want %q", s, got[1:], want)
		}
		for range 2 { // (the second time from the accepted URLs)
			tg, err := al.matchEscaped(s)
			wt, werr := al.match(want)
			if (err == nil) != (werr == nil) || err == nil && *tg != *wt {
				t.Fatalf("matchEscaped(%q) = %v, %v; Match of %q: %v, %v", s, tg, err, want, wt, werr)
			}
		}
	})
}

// query decodes exactly the names and values that have escapes or '+'
// (the others are their own decoding) to what net/url decodes, and keeps
// net/url's errors for bad escapes.
func TestQueryDecodesOnlyWhatIsEscaped(t *testing.T) {
	raw := "a=x+y&b=%41%2b&c=plain&d%31=1&e+f=2&g=&h"
	q, err := query(raw, nil)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := url.ParseQuery(raw)
	if len(q) != len(want) {
		t.Fatalf("%d parameters, url.ParseQuery %d", len(q), len(want))
	}
	for _, p := range q {
		if p.plain != !strings.ContainsAny(p.raw, "%+") {
			t.Errorf("%s: plain %v for %q", p.name, p.plain, p.raw)
		}
		if v, ok := q.lookup(p.name); !ok || v != want.Get(p.name) {
			t.Errorf("%s = %q, %v; url.ParseQuery %q", p.name, v, ok, want.Get(p.name))
		}
	}
	for _, bad := range []string{"a%zz=1", "a=%4", "a=1&b%=2", "a=%%41"} {
		var pe *ParamError
		if _, err := query(bad, nil); !errors.As(err, &pe) || !strings.Contains(pe.Msg, "bad escape") {
			t.Errorf("query(%q): %v, want a bad escape", bad, err)
		}
	}
}

// port_status's call, as Atlas sends it, is parsed without an allocation.
func TestParseCallAllocates0(t *testing.T) {
	raw := "method=port_status&socket=ABC-123-4567&api_user=atlas&api_key=secretkey"
	if a := testing.AllocsPerRun(100, func() {
		if c, err := ParseCall(raw); err != nil || c.Socket != "ABC-123-4567" || c.APIKey != "secretkey" {
			t.Fatalf("ParseCall = %+v, %v", c, err)
		}
	}); a != 0 {
		t.Errorf("ParseCall allocates %v times", a)
	}
}
