package hwaddr

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParse(t *testing.T) {
	want := MAC{0x00, 0x1a, 0x2b, 0x3c, 0x4d, 0x5e}
	for _, in := range []string{"00:1a:2b:3c:4d:5e", "00:1A:2B:3C:4D:5E", "00-1a-2b-3c-4d-5e", "001a.2b3c.4d5e", "001A2B3C4D5E"} {
		got, err := Parse(in)
		if err != nil {
			t.Fatalf("Parse(%q): %v", in, err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Parse(%q) (-want +got):\n%s", in, diff)
		}
	}
	if got := want.String(); got != "00:1a:2b:3c:4d:5e" {
		t.Errorf("String() = %q", got)
	}
	for _, in := range []string{"", "00:1a:2b:3c:4d", "00:1a-2b:3c:4d:5e", "0g:1a:2b:3c:4d:5e", "001a2b3c4d5", "001a:2b3c:4d5e"} {
		if _, err := Parse(in); !errors.Is(err, ErrSyntax) {
			t.Errorf("Parse(%q) error = %v, want ErrSyntax", in, err)
		}
	}
}

func TestTextRoundTrip(t *testing.T) {
	m := MAC{0xde, 0xad, 0xbe, 0xef, 0x00, 0x01}
	b, _ := m.MarshalText()
	var got MAC
	if err := got.UnmarshalText(b); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(m, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if _, ok := FromBytes([]byte{1, 2, 3}); ok {
		t.Error("FromBytes accepted 3 bytes")
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"00:1a:2b:3c:4d:5e", "001a.2b3c.4d5e", "001a2b3c4d5e", "xx"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := Parse(s)
		if err != nil {
			return
		}
		again, err := Parse(m.String())
		if err != nil || again != m {
			t.Fatalf("round trip of %q: %v %v", s, again, err)
		}
	})
}
