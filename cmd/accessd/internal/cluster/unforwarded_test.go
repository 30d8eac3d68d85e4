package cluster

import (
	"slices"
	"testing"
)

// The facts of a stream whose messages 1..4 were stored before this
// process (3 holds a batch of 10, read later) and 5..6 by it (a batch of
// 7, a fact alone), after the stream dropped message 1.
func TestFactCounts(t *testing.T) {
	var fc factCounts
	fc.put(5, 7)
	fc.put(6, 1)
	if got := fc.toRead(1, 6, 2); !slices.Equal(got, []uint64{1, 2}) {
		t.Fatalf("first reads %v, want [1 2]", got)
	}
	fc.read(1, 1)
	fc.read(2, 1)
	if got, want := fc.sum(1, 6), int64(1+1+1+1+7+1); got != want {
		t.Errorf("before reading 3: %d facts, want %d (an unread message counts one)", got, want)
	}
	if got := fc.toRead(2, 6, 10); !slices.Equal(got, []uint64{3, 4}) {
		t.Fatalf("next reads %v, want [3 4]", got)
	}
	fc.read(3, 10)
	fc.read(4, 1)
	if got := fc.toRead(2, 6, 10); len(got) != 0 {
		t.Fatalf("reads %v again", got)
	}
	if got, want := fc.sum(2, 6), int64(1+10+1+7+1); got != want {
		t.Errorf("messages 2..6 hold %d facts, want %d", got, want)
	}
	if got, want := fc.sum(4, 6), int64(1+7+1); got != want {
		t.Errorf("messages 4..6 hold %d facts, want %d", got, want)
	}
	if got := fc.sum(7, 6); got != 0 {
		t.Errorf("no message holds %d facts", got)
	}
	fc.toRead(6, 6, 10) // 2..5 left the stream
	if got := fc.sum(6, 6); got != 1 || len(fc.multi) != 0 {
		t.Errorf("message 6 holds %d facts, %d batches remembered; want 1 and none", got, len(fc.multi))
	}
}
