package cluster

import (
	"testing"
)

// The facts of a stream whose messages 1..4 were stored before this
// process (3 holds a batch of 10, read later) and 5..6 by it (a batch of
// 7, a fact alone), after the stream dropped message 1.
func TestFactCounts(t *testing.T) {
	var fc factCounts
	fc.put(5, 7)
	fc.put(6, 1)
	fc.trim(1, 6)
	if sp, ok := fc.next(0, false); !ok || sp != (span{1, 4}) {
		t.Fatalf("first read %v %v, want 1..4", sp, ok)
	}
	if got, want := fc.sum(1, 6), int64(1+1+1+1+7+1); got != want {
		t.Errorf("before reading 3: %d facts, want %d (an unread message counts one)", got, want)
	}
	fc.read(1, 3, 3, 10) // the next batch from 1 on is at 3
	if sp, ok := fc.next(0, false); !ok || sp != (span{4, 4}) {
		t.Fatalf("next read %v %v, want 4..4", sp, ok)
	}
	fc.read(4, 4, 0, 0) // no batch from 4 on
	if sp, ok := fc.next(0, false); ok {
		t.Fatalf("reads %v again", sp)
	}
	if got, want := fc.sum(2, 6), int64(1+10+1+7+1); got != want {
		t.Errorf("messages 2..6 hold %d facts, want %d", got, want)
	}
	if got, want := fc.total(1, 6, 5), int64(1+1+10+7+1); got != want {
		t.Errorf("5 messages of 1..6 (one deleted) hold %d facts, want %d", got, want)
	}
	if got, want := fc.sum(4, 6), int64(1+7+1); got != want {
		t.Errorf("messages 4..6 hold %d facts, want %d", got, want)
	}
	if got := fc.sum(7, 6); got != 0 {
		t.Errorf("no message holds %d facts", got)
	}
	fc.trim(6, 6) // 2..5 left the stream
	if got := fc.sum(6, 6); got != 1 || len(fc.multi) != 0 {
		t.Errorf("message 6 holds %d facts, %d batches remembered; want 1 and none", got, len(fc.multi))
	}
	if fc.reads != 2 {
		t.Errorf("%d reads, want 2", fc.reads)
	}
}

// The messages the hub has not copied (after 6 of 1..10, all stored
// before this process) are read first, then the rest from the oldest.
func TestFactCountsReadTheUnforwardedFirst(t *testing.T) {
	var fc factCounts
	fc.trim(1, 10)
	want := func(after uint64, known bool, lo, hi uint64) {
		t.Helper()
		if sp, ok := fc.next(after, known); !ok || sp != (span{lo, hi}) {
			t.Fatalf("next(%d, %v) = %v %v, want %d..%d", after, known, sp, ok, lo, hi)
		}
	}
	want(6, true, 7, 10)
	want(6, false, 1, 10) // the hub's copy unknown: from the oldest
	fc.read(7, 8, 8, 3)
	want(6, true, 9, 10)
	if got, want := fc.sum(7, 10), int64(1+3+1+1); got != want {
		t.Errorf("unforwarded %d facts, want %d", got, want)
	}
	fc.read(9, 10, 0, 0)
	want(6, true, 1, 6) // the tail is read: the rest
	fc.trim(3, 10)
	want(6, true, 3, 6)
	fc.read(3, 6, 0, 0)
	if sp, ok := fc.next(6, true); ok {
		t.Fatalf("reads %v again", sp)
	}
	if got, want := fc.total(3, 10, 8), int64(8+2); got != want {
		t.Errorf("messages 3..10 hold %d facts, want %d", got, want)
	}
}
