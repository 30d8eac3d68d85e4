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
// how many facts they hold.
const maxCountReads = 2000

// factCounts is how many facts the messages of an edge's facts stream
// hold (a batch holds many), so that its status counts facts, in the
// stream and among those the hub has not copied, not messages. It keeps
// only the messages that hold other than one fact (a stream of single
// facts, as before batches, costs nothing). The edge notes each message
// it stores; those stored before this process are read from the stream,
// a few thousand at each status refresh, and count as one fact until
// read.
type factCounts struct {
	mu      sync.Mutex
	multi   map[uint64]int // stream sequence → facts, when not one
	started bool           // unread is set
	lowPut  uint64         // the first sequence put, 0 before any
	unread  [2]uint64      // [lo, hi]: stored before this process, not read yet
}

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

// toRead forgets the messages before first (the stream dropped them) and
// returns up to limit of those not read yet.
func (fc *factCounts) toRead(first, last uint64, limit int) []uint64 {
	fc.mu.Lock()
	defer fc.mu.Unlock()
	if !fc.started {
		fc.started = true
		hi := last
		if fc.lowPut > 0 {
			hi = min(hi, fc.lowPut-1)
		}
		fc.unread = [2]uint64{first, hi}
	}
	for seq := range fc.multi {
		if seq < first {
			delete(fc.multi, seq)
		}
	}
	fc.unread[0] = max(fc.unread[0], first)
	var out []uint64
	for seq := fc.unread[0]; seq <= fc.unread[1] && len(out) < limit; seq++ {
		out = append(out, seq)
	}
	return out
}

// read notes a message read from the stream, in order from the first
// unread one.
func (fc *factCounts) read(seq uint64, k int) {
	fc.mu.Lock()
	defer fc.mu.Unlock()
	fc.note(seq, k)
	if seq == fc.unread[0] {
		fc.unread[0]++
	}
}

// sum counts the facts of the messages from..to.
func (fc *factCounts) sum(from, to uint64) int64 {
	if from == 0 || from > to {
		return 0
	}
	fc.mu.Lock()
	defer fc.mu.Unlock()
	facts := int64(to - from + 1)
	for seq, k := range fc.multi {
		if seq >= from && seq <= to {
			facts += int64(k) - 1
		}
	}
	return facts
}

// edgeFacts counts the facts in this edge's stream (into its
// StreamStatus) and those after the last message the hub was seen to
// have copied (the stream's last sequence less the lag the hub reports,
// kept while the hub is away); the latter is -1 while unknown.
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
	n.readCounts(ctx, c, n.counts.toRead(first, last, maxCountReads))
	ss.Facts = uint64(n.counts.sum(first, last))
	st := &n.st
	st.mu.Lock()
	if hubLag >= 0 {
		st.forwarded = last - min(uint64(hubLag), last)
		st.forwardedKnown = true
	}
	after, known := st.forwarded, st.forwardedKnown
	st.mu.Unlock()
	if !known {
		return -1
	}
	return n.counts.sum(max(min(after, last)+1, first), last)
}

// readCounts reads the messages at seqs and notes their facts.
func (n *Node) readCounts(ctx context.Context, c *conn, seqs []uint64) {
	if len(seqs) == 0 {
		return
	}
	s, err := c.js.Stream(ctx, StreamFacts)
	if err != nil {
		return
	}
	for _, seq := range seqs {
		k := 0
		raw, err := s.GetMsg(ctx, seq)
		switch {
		case errors.Is(err, jetstream.ErrMsgNotFound): // gone, or never there: no fact
		case err != nil:
			return
		default:
			k = 1 // a message that does not decode is one the hub refuses
			if m, err := wire.Decode(raw.Data); err == nil {
				k = len(m.Facts())
			}
		}
		n.counts.read(seq, k)
	}
}
