package cluster

import (
	"math"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// resequencer puts the hub's facts back in stream order. A durable
// consumer delivers a message again only after ack_wait (a delivery lost
// on the way, e.g. around a reconnection) and meanwhile delivers later
// ones; applying those first would raise their origin's mark above the
// earlier fact, which would then be skipped as applied. So messages are
// held until every earlier message of the stream has been taken, and
// taken in runs without holes. A run whose application fails is put back
// and tried again from here, with no redelivery. The consumer's
// max_ack_pending bounds what is held.
type resequencer struct {
	next  uint64 // the stream sequence to take next
	held  map[uint64]jetstream.Msg
	since time.Time // when it was first seen stuck (fillHole)
}

func newResequencer(next uint64) *resequencer {
	return &resequencer{next: max(next, 1), held: map[uint64]jetstream.Msg{}}
}

// add holds a message delivered at stream sequence seq; one before next
// was taken already (a redelivery) and is dropped, a repeat replaces.
func (r *resequencer) add(seq uint64, m jetstream.Msg) {
	if seq >= r.next {
		r.held[seq] = m
	}
}

// run takes up to max held messages from next on, without a hole.
func (r *resequencer) run(max int) []jetstream.Msg { return r.runUpTo(max, math.MaxInt) }

// runUpTo is run that stops too after the message that reaches maxBytes
// of data.
func (r *resequencer) runUpTo(max, maxBytes int) []jetstream.Msg {
	var out []jetstream.Msg
	size := 0
	for len(out) < max && size < maxBytes {
		m, ok := r.held[r.next]
		if !ok {
			break
		}
		delete(r.held, r.next)
		out = append(out, m)
		size += len(m.Data())
		r.next++
	}
	return out
}

// putBack returns a run taken from start that could not be applied.
func (r *resequencer) putBack(start uint64, run []jetstream.Msg) {
	for i, m := range run {
		r.held[start+uint64(i)] = m
	}
	r.next = start
}

// stuck reports messages held behind a missing one.
func (r *resequencer) stuck() bool {
	_, ok := r.held[r.next]
	return len(r.held) > 0 && !ok
}

// skip passes over k missing messages the stream no longer holds.
func (r *resequencer) skip(k uint64) {
	r.next += k
	for seq := range r.held {
		if seq < r.next {
			delete(r.held, seq)
		}
	}
}
