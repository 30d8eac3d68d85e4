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
		if validEscapes(s) != (err == nil) {
			t.Fatalf("validEscapes(%q) = %v, url.QueryUnescape's error %v", s, validEscapes(s), err)
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
