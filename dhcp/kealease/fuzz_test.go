package kealease

import (
	"errors"
	"os"
	"strings"
	"testing"
)

// FuzzReader: any text never panics; every row error is a *RowError with a
// line inside the text, and every lease has a valid IPv4 address.
func FuzzReader(f *testing.F) {
	for _, name := range []string{"testdata/kea-2.2-lab.csv", "testdata/kea-2.6-handmade.csv"} {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b))
	}
	f.Add("address,hwaddr,valid_lifetime,expire\n10.0.0.1,,0,0\n")
	f.Fuzz(func(t *testing.T, s string) {
		rd := NewReader(strings.NewReader(s))
		lines := strings.Count(s, "\n") + 1
		for rd.Next() {
			l := rd.Lease()
			if !l.Address.Is4() || l.Line < 2 || l.Line > lines {
				t.Fatalf("lease %+v", l)
			}
			_, _, _ = l.Option82()
		}
		for _, e := range rd.RowErrors() {
			if e.Line < 1 || e.Line > lines || !errors.Is(e, ErrRow) {
				t.Fatalf("row error %v", e)
			}
		}
	})
}
