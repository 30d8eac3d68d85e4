package api

import "testing"

// plainSegment takes each byte as its rule says: letters, digits, '-'
// and '_', nothing else (UTF-8 and escapes go to the mux).
func TestPlainSegmentBytes(t *testing.T) {
	if len(plainBytes) != 128 {
		t.Fatalf("plainBytes has %d entries, want 128", len(plainBytes))
	}
	for c := range 256 {
		want := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_'
		s := string([]byte{'x', byte(c), 'y'})
		if got := plainSegment(s); got != want {
			t.Errorf("plainSegment(%q) = %v, want %v", s, got, want)
		}
	}
	if plainSegment("") {
		t.Error(`plainSegment("") = true: an empty segment is not a wildcard's value`)
	}
}
