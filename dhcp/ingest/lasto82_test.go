package ingest

import (
	"testing"
	"time"
)

// The last Option 82 of an access keeps its hex from the change that set
// it: LastOption82 answers it without making a string, and the answer
// follows every change (and only changes).
func TestLastOption82HexFollowsChanges(t *testing.T) {
	s := &Service{set: newSet(10)}
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	if hx, ok := s.LastOption82("A1"); ok || hx != "" {
		t.Fatalf("LastOption82 before any packet = %q, %v", hx, ok)
	}
	raw := []byte{0x52, 0x03, 0x01, 0x01, 0xab}
	if _, changed := s.set.seeOption82("A1", raw, at); !changed {
		t.Fatal("first Option 82 not a change")
	}
	raw[4] = 0xcd // the packet's buffer is reused: the record kept a copy
	if hx, ok := s.LastOption82("A1"); !ok || hx != "52030101AB" {
		t.Fatalf("LastOption82 = %q, %v; want 52030101AB", hx, ok)
	}
	if _, changed := s.set.seeOption82("A1", []byte{0x52, 0x03, 0x01, 0x01, 0xab}, at.Add(time.Second)); changed {
		t.Error("the same Option 82 again is a change")
	}
	if _, changed := s.set.seeOption82("A1", raw, at.Add(2*time.Second)); !changed {
		t.Error("another Option 82 is not a change")
	}
	hx, seen, ok := s.LastOption82Seen("A1")
	if !ok || hx != "52030101CD" || !seen.Equal(at.Add(2*time.Second)) {
		t.Errorf("LastOption82Seen = %q, %v, %v; want 52030101CD at %v", hx, seen, ok, at.Add(2*time.Second))
	}
	if l := newLastOption82([]byte{0x52, 0x01, 0x0f}, at); l.hex != "52010F" || l.hex != hexString(l.raw) {
		t.Errorf("newLastOption82 hex %q", l.hex)
	}
}

func TestLastOption82Allocates0(t *testing.T) {
	s := &Service{set: newSet(10)}
	s.set.seeOption82("A1", []byte{0x52, 0x03, 0x01, 0x01, 0xab}, time.Now())
	if n := testing.AllocsPerRun(100, func() {
		if _, ok := s.LastOption82("A1"); !ok {
			t.Fatal("not found")
		}
	}); n != 0 {
		t.Errorf("LastOption82 allocates %v times", n)
	}
}
