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

// factCounts is how many facts each message of an edge's facts stream
// holds (a batch holds many), by stream sequence: the edge's status
// counts facts, not messages, in its stream and among those the hub has
// not copied. The edge notes each message it stores; one stored before a
// restart is read from the stream once.
type factCounts struct {
	mu sync.Mutex
	n  map[uint64]int
}

// put notes that the message at stream sequence seq holds k facts.
func (fc *factCounts) put(seq uint64, k int) {
	fc.mu.Lock()
	defer fc.mu.Unlock()
	if fc.n == nil {
		fc.n = map[uint64]int{}
	}
	fc.n[seq] = k
}

// known forgets the messages before first and returns the sequences up
// to last it does not know (at most max).
func (fc *factCounts) unknown(first, last uint64, max int) []uint64 {
	fc.mu.Lock()
	defer fc.mu.Unlock()
	for seq := range fc.n {
		if seq < first {
			delete(fc.n, seq)
		}
	}
	var out []uint64
	for seq := first; seq <= last && len(out) < max; seq++ {
		if _, ok := fc.n[seq]; !ok {
			out = append(out, seq)
		}
	}
	return out
}

// sum counts the facts of the messages from..to; one not read yet counts
// as one fact (what every message held before batches).
func (fc *factCounts) sum(from, to uint64) int64 {
	fc.mu.Lock()
	defer fc.mu.Unlock()
	var facts int64
	for seq := from; seq <= to && seq > 0; seq++ {
		if k, ok := fc.n[seq]; ok {
			facts += int64(k)
		} else {
			facts++
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
	n.readCounts(ctx, c, n.counts.unknown(first, last, maxCountReads))
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
				if b, ok := m.Payload.(*wire.Facts); ok {
					k = len(b.Facts)
				}
			}
		}
		n.counts.put(seq, k)
	}
}
