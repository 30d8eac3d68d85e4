package option82

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func seedValues(f *testing.F) {
	for _, tc := range validTLVs {
		b, err := DecodeHex(tc.hex)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		if len(b) > 2 {
			f.Add(b[2:]) // the value of the first TLV
		}
	}
	for _, tc := range errCases {
		b, _ := DecodeHex(tc.hex)
		f.Add(b)
	}
}

// FuzzRoundTrip: whatever Parse accepts encodes back to the same bytes and
// parses to the same sub-options; whatever it refuses is a *ParseError with an
// offset inside the input.
func FuzzRoundTrip(f *testing.F) {
	seedValues(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		o, err := Parse(b)
		if err != nil {
			checkErr(t, err, len(b))
			return
		}
		enc, err := o.Append(nil)
		if err != nil {
			t.Fatalf("Append of parsed option: %v", err)
		}
		if !bytes.Equal(enc, b) {
			t.Fatalf("round trip: %x -> %x", b, enc)
		}
		o2, err := Parse(enc)
		if err != nil {
			t.Fatalf("re-parse: %v", err)
		}
		if diff := cmp.Diff(o.Subs, o2.Subs, cmpopts.EquateEmpty()); diff != "" {
			t.Fatalf("re-parse (-want +got):\n%s", diff)
		}
		_ = Describe(o, NewVendors())
		if len(b) <= 255 {
			tlv, err := o.AppendTLV(nil)
			if err != nil {
				t.Fatalf("AppendTLV: %v", err)
			}
			if _, err := ParseTLV(tlv); err != nil {
				t.Fatalf("ParseTLV of encoded TLV: %v", err)
			}
		}
	})
}

// FuzzParseTLV: concatenated TLVs round-trip too.
func FuzzParseTLV(f *testing.F) {
	seedValues(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		opts, err := ParseTLV(b)
		if err != nil {
			checkErr(t, err, len(b))
			return
		}
		enc, err := EncodeTLV(opts...)
		if err != nil {
			t.Fatalf("EncodeTLV: %v", err)
		}
		if !bytes.Equal(enc, b) {
			t.Fatalf("round trip: %x -> %x", b, enc)
		}
	})
}

// FuzzParseHex: the hex parser never panics, reports offsets inside the text,
// agrees with ParseTLV on the decoded bytes, and parses into a reused
// Scratch exactly as into new memory.
func FuzzParseHex(f *testing.F) {
	for _, tc := range validTLVs {
		f.Add(tc.hex)
	}
	for _, s := range []string{"", "0x", "5 2", "52:16", "zz", "0x5201"} {
		f.Add(s)
	}
	var sc Scratch // reused across inputs, as a look-up's pool does
	f.Fuzz(func(t *testing.T, s string) {
		opts, err := ParseHex(s)
		inSc, scErr := sc.ParseHex(s)
		if diff := cmp.Diff(err, scErr, cmp.Comparer(func(a, b error) bool { return fmt.Sprint(a) == fmt.Sprint(b) })); diff != "" {
			t.Fatalf("Scratch.ParseHex error (-ParseHex +Scratch):\n%s", diff)
		}
		if err != nil {
			checkErr(t, err, len(s))
			return
		}
		if diff := cmp.Diff(opts, inSc, cmpopts.EquateEmpty()); diff != "" {
			t.Fatalf("Scratch.ParseHex (-ParseHex +Scratch):\n%s", diff)
		}
		h, err := FormatHex(opts...)
		if err != nil {
			t.Fatalf("FormatHex: %v", err)
		}
		again, err := ParseHex(h)
		if err != nil {
			t.Fatalf("ParseHex(FormatHex) %q: %v", h, err)
		}
		if diff := cmp.Diff(opts, again, cmpopts.EquateEmpty()); diff != "" {
			t.Fatalf("(-want +got):\n%s", diff)
		}
	})
}

func FuzzVendor(f *testing.F) {
	f.Add([]byte{0, 0, 0x0d, 0xe9, 6, 0x81, 4, 0, 0, 4, 0})
	f.Add([]byte{0, 0, 0, 9, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		blocks, err := ParseVendor(b)
		if err != nil {
			checkErr(t, err, len(b))
			return
		}
		enc, err := AppendVendor(nil, blocks...)
		if err != nil || !bytes.Equal(enc, b) {
			t.Fatalf("vendor round trip %x -> %x (%v)", b, enc, err)
		}
		for _, bl := range blocks {
			_, _ = bl.Items()
		}
		_ = Describe(Option{Subs: []SubOption{{Code: VendorSpecific, Data: b}}}, NewVendors())
	})
}

func checkErr(t *testing.T, err error, n int) {
	t.Helper()
	var pe *ParseError
	if !errors.As(err, &pe) {
		t.Fatalf("error %v is %T, not *ParseError", err, err)
	}
	if pe.Offset < 0 || (n > 0 && pe.Offset >= n) || (n == 0 && pe.Offset != 0) {
		t.Fatalf("offset %d outside input of %d: %v", pe.Offset, n, err)
	}
	if pe.Reason == nil {
		t.Fatalf("no reason: %v", err)
	}
}
