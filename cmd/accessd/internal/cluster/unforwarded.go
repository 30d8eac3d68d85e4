package cluster

import (
	"context"
	"errors"
	"slices"
	"sync"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/stadsnat/accessd/cmd/accessd/internal/cluster/wire"
)

// maxCountReads bounds the messages one status refresh reads to learn
// how many facts they hold; only batches are read (a fact alone is one).
const maxCountReads = 500

// factCounts is how many facts the messages of an edge's facts stream
// hold (a batch holds many), so that its status counts facts, in the
// stream and among those the hub has not copied, not messages. It keeps
// only the messages that hold other than one fact (a stream of single
// facts, as before batches, costs nothing). The edge notes each message
// it stores; of those stored before this process, the batches are read
// from the stream once the node is ready (never before: a start is not
// made to wait for a count), up to maxCountReads at each status refresh,
// those the hub has not copied first.
//
// Approximate until then: a batch not read yet counts as one fact, so
// the stream's Facts and UnforwardedFacts are lower bounds (exact once
// every batch stored before the start is read; the unforwarded tail is
// exact first). A message deleted from the middle of the stream by hand
// after it was read, or among those the hub has not copied, is noticed
// only when the stream's front passes it.
type factCounts struct {
	mu      sync.Mutex
	multi   map[uint64]int // stream sequence → facts, when not one
	started bool           // unread is set
	lowPut  uint64         // the first sequence put, 0 before any
	unread  []span         // stored before this process, not read yet; in order, disjoint
	budget  int            // messages read per refresh; 0 is maxCountReads
	reads   int            // messages read so far
}

// span is the stream sequences lo..hi.
type span struct{ lo, hi uint64 }

// put notes that the message this process stored at stream sequence seq
// holds k facts.
func (fc *factCounts) put(seq uint64, k int) {
	fc.mu.Lock()
	defer fc.mu.Unlock()
	if fc.lowPut == 0 {
		fc.lowPut = seq
	}
	fc.note(seq, k)
}

func (fc *factCounts) note(seq uint64, k int) {
	if k == 1 {
		delete(fc.multi, seq)
		return
	}
	if fc.multi == nil {
		fc.multi = map[uint64]int{}
	}
	fc.multi[seq] = k
}

// trim sets the stream's bounds: it forgets the messages before first
// (the stream dropped them) and, the first time, notes first..last (up to
// the first put) as not read yet.
func (fc *factCounts) trim(first, last uint64) {
	fc.mu.Lock()
	defer fc.mu.Unlock()
	if !fc.started {
		fc.started = true
		hi := last
		if fc.lowPut > 0 {
			hi = min(hi, fc.lowPut-1)
		}
		if first > 0 && first <= hi {
			fc.unread = []span{{first, hi}}
		}
	}
	for seq := range fc.multi {
		if seq < first {
			delete(fc.multi, seq)
		}
	}
	if first > 0 {
		fc.doneLocked(0, first-1)
	}
}

// next is the unread sequences to read next: those after the last one
// the hub copied (after, when known) first, then from the oldest.
func (fc *factCounts) next(after uint64, known bool) (span, bool) {
	fc.mu.Lock()
	defer fc.mu.Unlock()
	if len(fc.unread) == 0 {
		return span{}, false
	}
	if known {
		for _, sp := range fc.unread {
			if sp.hi > after {
				return span{max(sp.lo, after+1), sp.hi}, true
			}
		}
	}
	return fc.unread[0], true
}

// read notes that the messages lo..hi are read: seq, when not 0, holds k
// facts, and any other holds one (or is gone).
func (fc *factCounts) read(lo, hi, seq uint64, k int) {
	fc.mu.Lock()
	defer fc.mu.Unlock()
	if seq != 0 {
		fc.note(seq, k)
	}
	fc.reads++
	fc.doneLocked(lo, hi)
}

// doneLocked takes lo..hi out of the unread sequences.
func (fc *factCounts) doneLocked(lo, hi uint64) {
	var out []span
	for _, sp := range fc.unread {
		if sp.hi < lo || sp.lo > hi {
			out = append(out, sp)
			continue
		}
		if sp.lo < lo {
			out = append(out, span{sp.lo, lo - 1})
		}
		if sp.hi > hi {
			out = append(out, span{hi + 1, sp.hi})
		}
	}
	fc.unread = out
}

// limit is how many messages a refresh reads.
func (fc *factCounts) limit() int {
	fc.mu.Lock()
	defer fc.mu.Unlock()
	if fc.budget > 0 {
		return fc.budget
	}
	return maxCountReads
}

// sum counts the facts of the messages from..to.
func (fc *factCounts) sum(from, to uint64) int64 {
	if from == 0 || from > to {
		return 0
	}
	fc.mu.Lock()
	defer fc.mu.Unlock()
	return int64(to-from+1) + fc.extraLocked(from, to)
}

// total counts the facts of the stream's messages, first..last of which
// it holds msgs (some may have been deleted from the middle).
func (fc *factCounts) total(first, last, msgs uint64) int64 {
	if msgs == 0 {
		return 0
	}
	fc.mu.Lock()
	defer fc.mu.Unlock()
	return int64(msgs) + fc.extraLocked(first, last)
}

// extraLocked is the facts beyond one per message of from..to.
func (fc *factCounts) extraLocked(from, to uint64) int64 {
	var extra int64
	for seq, k := range fc.multi {
		if seq >= from && seq <= to {
			extra += int64(k) - 1
		}
	}
	return extra
}

// edgeFacts counts the facts in this edge's stream (into its
// StreamStatus) and those after the last message the hub was seen to
// have copied (the stream's last sequence less the lag the hub reports,
// kept while the hub is away); the latter is -1 while unknown. It reads
// batches stored before this process only once the node is ready.
func (n *Node) edgeFacts(ctx context.Context, c *conn, streams []StreamStatus, hubLag int64) (unforwarded int64) {
	i := slices.IndexFunc(streams, func(s StreamStatus) bool { return s.Name == StreamFacts })
	if i < 0 {
		return -1
	}
	ss := &streams[i]
	first, last := ss.FirstSeq, ss.LastSeq
	if ss.Messages == 0 {
		first = last + 1
	}
	st := &n.st
	st.mu.Lock()
	if hubLag >= 0 {
		st.forwarded = last - min(uint64(hubLag), last)
		st.forwardedKnown = true
	}
	after, known := st.forwarded, st.forwardedKnown
	st.mu.Unlock()
	n.counts.trim(first, last)
	if n.ready.Load() {
		n.readCounts(ctx, c, after, known)
	}
	ss.Facts = uint64(n.counts.total(first, last, ss.Messages))
	if !known {
		return -1
	}
	return n.counts.sum(max(min(after, last)+1, first), last)
}

// readCounts reads up to the counts' limit of batches not read yet,
// after (the hub's copy) first when known. A read asks for the next
// batch from an unread sequence on, so the facts alone in between cost
// nothing.
func (n *Node) readCounts(ctx context.Context, c *conn, after uint64, known bool) {
	sp, ok := n.counts.next(after, known)
	if !ok {
		return
	}
	s, err := c.js.Stream(ctx, StreamFacts)
	if err != nil {
		n.log.Debug("cannot count the facts of stored batches", "stream", StreamFacts, "err", err)
		return
	}
	batches := factSubject(n.opts.Site, wire.KindFacts)
	for range n.counts.limit() {
		raw, err := s.GetMsg(ctx, sp.lo, jetstream.WithGetMsgSubject(batches))
		switch {
		case errors.Is(err, jetstream.ErrMsgNotFound) || err == nil && raw.Sequence > sp.hi:
			n.counts.read(sp.lo, sp.hi, 0, 0) // no batch in sp
		case err != nil:
			n.log.Debug("cannot count the facts of stored batches", "stream", StreamFacts, "seq", sp.lo, "err", err)
			return
		default:
			n.counts.read(sp.lo, raw.Sequence, raw.Sequence, wire.FactCount(raw.Data))
		}
		if sp, ok = n.counts.next(after, known); !ok {
			return
		}
	}
}
