package cluster

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/stadsnat/accessd/cmd/accessd/internal/cluster/wire"
)

// publishWindow is how many messages are in flight at once.
const publishWindow = 1024

// An edge packs consecutive facts into batches (wire kind facts) of up to
// batchFacts facts and batchBytes bytes: JetStream's costs (publication,
// acknowledgement, de-duplication, the file store, forwarding, the hub's
// sourcing and delivery) are per message, hardly per byte.
const (
	batchFacts = 256
	batchBytes = 60 << 10
)

// pubState is what an edge knows of its own facts stream: it is the
// stream's only writer, so it can make every publication expect the
// stream's last sequence. A publication that fails then makes every later
// one in flight fail too, so facts are stored in the order of their seq
// with no gap a retry would fill out of order (the hub would skip a fact
// stored after a later one).
type pubState struct {
	mu       sync.Mutex
	known    bool
	lastSeq  uint64 // the stream's last sequence
	lastFact uint64 // the envelope seq of the newest stored fact
}

// PublishFacts stores facts in this site's facts stream (edge) or the
// hub's aggregate (a hub's own facts, e.g. order outcomes), in order, and
// returns how many of them, from the first, are stored. Facts must have
// increasing Seq; Site and Instance may be left empty (they are the
// node's). A fact at or below the newest stored one is not sent again
// and counts as stored: a caller resuming after a crash may repeat facts.
// On error the caller retries from facts[stored].
func (n *Node) PublishFacts(ctx context.Context, facts []*wire.Message) (stored int, err error) {
	c, err := n.current()
	if err != nil {
		return 0, err
	}
	for i, f := range facts {
		if err := n.stamp(f); err != nil {
			return 0, fmt.Errorf("fact %d: %w", i, err)
		}
		if !f.Kind().IsFact() {
			return 0, fmt.Errorf("fact %d: kind %s is not a fact", i, f.Kind())
		}
		if i > 0 && f.Seq <= facts[i-1].Seq {
			return 0, fmt.Errorf("fact %d: seq %d does not follow %d", i, f.Seq, facts[i-1].Seq)
		}
	}
	if n.opts.Role == Hub {
		return n.publishSequential(ctx, c, facts)
	}
	return n.publishPipelined(ctx, c, facts)
}

// stamp fills in and checks the origin of a message the node sends.
func (n *Node) stamp(m *wire.Message) error {
	if m.Payload == nil {
		return errors.New("no payload")
	}
	if m.Site == "" {
		m.Site, m.Instance = n.opts.Site, n.opts.Instance
	}
	if m.Site != n.opts.Site || m.Instance != n.opts.Instance {
		return fmt.Errorf("origin %s is not this node's %s", m.Origin(), n.opts.origin())
	}
	if m.At.IsZero() {
		m.At = n.deps.Now()
	}
	return nil
}

func (n *Node) publishPipelined(ctx context.Context, c *conn, facts []*wire.Message) (int, error) {
	p := &n.pub
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.known {
		if err := n.syncPubState(ctx, c); err != nil {
			return 0, err
		}
	}
	done := 0
	for done < len(facts) && facts[done].Seq <= p.lastFact {
		done++
	}
	if done > 0 {
		n.m.factsRepeated.Add(float64(done))
	}
	for done < len(facts) {
		k, err := n.publishChunk(ctx, c, facts[done:])
		done += k
		if err != nil {
			p.known = false
			n.m.publishErrors.Inc()
			return done, err
		}
	}
	return done, nil
}

// sent is one message in flight: a batch, or a fact alone.
type sent struct {
	fut   jetstream.PubAckFuture
	id    string
	facts int
	last  uint64 // the seq of its last fact
}

// publishChunk packs facts into batches, sends up to publishWindow
// messages with increasing expected last sequences and waits for every
// acknowledgement; it returns how many facts, from the first, are
// stored. A fact that cannot be encoded ends the chunk before it.
func (n *Node) publishChunk(ctx context.Context, c *conn, facts []*wire.Message) (int, error) {
	var (
		inFlight []sent
		b        wire.Batch
		first    *wire.Message // the batch's first fact
		firstEnc []byte
		err      error
	)
	// send sends the batch: a batch of one as the fact alone.
	send := func() error {
		defer b.Reset()
		expect := n.pub.lastSeq + uint64(len(inFlight))
		var s sent
		var err error
		if b.Len() == 1 {
			s, err = n.sendMsg(c, factSubject(first.Site, first.Kind()), first.ID(), firstEnc, 1, first.Seq, expect)
		} else {
			var data []byte
			if data, err = b.Encode(n.deps.Now()); err != nil {
				return fmt.Errorf("batch %s: %w", b.ID(), err)
			}
			s, err = n.sendMsg(c, factSubject(first.Site, wire.KindFacts), b.ID(), data, b.Len(), b.Last(), expect)
		}
		if err == nil {
			inFlight = append(inFlight, s)
		}
		return err
	}
	for _, f := range facts {
		var enc []byte
		if enc, err = wire.Encode(f); err != nil {
			err = fmt.Errorf("fact %s: %w", f.ID(), err)
			break
		}
		if b.Len() > 0 && (b.Len() >= batchFacts || b.Size()+len(enc) > batchBytes || !b.Fits(len(enc))) {
			if err = send(); err != nil || len(inFlight) == publishWindow {
				break
			}
		}
		if b.Len() == 0 {
			first, firstEnc = f, enc
		}
		if !b.Fits(len(enc)) { // too long for any batch: it goes alone
			var s sent
			if s, err = n.sendMsg(c, factSubject(f.Site, f.Kind()), f.ID(), enc, 1, f.Seq,
				n.pub.lastSeq+uint64(len(inFlight))); err != nil {
				break
			}
			if inFlight = append(inFlight, s); len(inFlight) == publishWindow {
				break
			}
			continue
		}
		if err = b.Add(f, enc); err != nil {
			err = fmt.Errorf("fact %s: %w", f.ID(), err)
			break
		}
	}
	if b.Len() > 0 { // the rest, or the facts before one that failed
		if serr := send(); err == nil {
			err = serr
		}
	}
	return n.awaitAcks(ctx, inFlight, err)
}

// sendMsg publishes one message of the facts stream expecting the
// stream's last sequence to be expect.
func (n *Node) sendMsg(c *conn, subject, id string, data []byte, facts int, last, expect uint64) (sent, error) {
	fut, err := c.js.PublishMsgAsync(&nats.Msg{Subject: subject, Data: data},
		jetstream.WithMsgID(id), jetstream.WithExpectStream(StreamFacts), jetstream.WithExpectLastSequence(expect))
	if err != nil {
		return sent{}, fmt.Errorf("publish %s: %w", id, err)
	}
	return sent{fut: fut, id: id, facts: facts, last: last}, nil
}

// awaitAcks waits for the acknowledgements of the messages in flight and
// returns how many facts, from the first, are stored.
func (n *Node) awaitAcks(ctx context.Context, inFlight []sent, sendErr error) (int, error) {
	p := &n.pub
	stored, storedMsgs := 0, 0
	for i, s := range inFlight {
		select {
		case ack := <-s.fut.Ok():
			if storedMsgs != i {
				continue // after a failure: its outcome is re-read next time
			}
			if ack.Duplicate {
				n.m.factsRepeated.Add(float64(s.facts))
			} else {
				n.m.factsPublished.Add(float64(s.facts))
				n.counts.put(ack.Sequence, s.facts)
			}
			p.lastSeq, p.lastFact = ack.Sequence, s.last
			stored += s.facts
			storedMsgs++
		case err := <-s.fut.Err():
			if sendErr == nil {
				sendErr = fmt.Errorf("publish %s: %w", s.id, err)
			}
		case <-ctx.Done():
			return stored, ctx.Err()
		}
	}
	if storedMsgs < len(inFlight) && sendErr == nil {
		sendErr = fmt.Errorf("publish %s: not stored", inFlight[storedMsgs].id)
	}
	return stored, sendErr
}

// syncPubState reads the stream's last sequence and newest fact.
func (n *Node) syncPubState(ctx context.Context, c *conn) error {
	s, err := c.js.Stream(ctx, StreamFacts)
	if err != nil {
		return fmt.Errorf("stream %s: %w", StreamFacts, err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		return fmt.Errorf("stream %s: %w", StreamFacts, err)
	}
	p := &n.pub
	p.lastSeq, p.lastFact = info.State.LastSeq, 0
	if info.State.Msgs > 0 {
		raw, err := s.GetLastMsgForSubject(ctx, factFilter(n.opts.Site))
		switch {
		case errors.Is(err, jetstream.ErrMsgNotFound):
		case err != nil:
			return fmt.Errorf("stream %s: newest fact: %w", StreamFacts, err)
		default:
			m, err := wire.Decode(raw.Data)
			if err != nil {
				return fmt.Errorf("stream %s: newest fact (sequence %d): %w", StreamFacts, raw.Sequence, err)
			}
			p.lastFact = m.Seq
		}
	}
	p.known = true
	return nil
}

// LastPublished is the seq of the newest fact in this edge's stream, 0
// when it holds none. After a crash, resume publishing after
// min(your own cursor, LastPublished): JetStream syncs its files to disk
// periodically, so after a power cut the stream may end before the
// cursor.
func (n *Node) LastPublished(ctx context.Context) (uint64, error) {
	if n.opts.Role != Edge {
		return 0, ErrRole
	}
	c, err := n.current()
	if err != nil {
		return 0, err
	}
	n.pub.mu.Lock()
	defer n.pub.mu.Unlock()
	if err := n.syncPubState(ctx, c); err != nil {
		return 0, err
	}
	return n.pub.lastFact, nil
}

// publishSequential sends one fact after another (a hub's aggregate has
// other writers, so no expected sequence is possible; waiting for each
// acknowledgement keeps the order).
func (n *Node) publishSequential(ctx context.Context, c *conn, facts []*wire.Message) (int, error) {
	for i, f := range facts {
		data, err := wire.Encode(f)
		if err != nil {
			return i, fmt.Errorf("fact %s: %w", f.ID(), err)
		}
		ack, err := c.js.PublishMsg(ctx, &nats.Msg{Subject: factSubject(f.Site, f.Kind()), Data: data},
			jetstream.WithMsgID(f.ID()), jetstream.WithExpectStream(StreamFacts))
		if err != nil {
			n.m.publishErrors.Inc()
			return i, fmt.Errorf("publish fact %s: %w", f.ID(), err)
		}
		if ack.Duplicate {
			n.m.factsRepeated.Inc()
		} else {
			n.m.factsPublished.Inc()
		}
	}
	return len(facts), nil
}

// PublishInventory publishes one batch of inventory changes (hub): every
// change, then the batch's commit. changes carry *wire.AccessChange with
// Batch == batch and each its own seq (the store's change sequence).
// Batches must be published in the order of their numbers; repeating a
// batch is harmless.
func (n *Node) PublishInventory(ctx context.Context, batch uint64, changes []*wire.Message) error {
	if n.opts.Role != Hub {
		return ErrRole
	}
	c, err := n.current()
	if err != nil {
		return err
	}
	for i := 0; i < len(changes); i += publishWindow {
		if err := n.publishChanges(ctx, c, batch, changes[i:min(i+publishWindow, len(changes))]); err != nil {
			return err
		}
	}
	commit := &wire.Message{Seq: batch, Payload: &wire.InventoryCommit{Changes: len(changes)}}
	if err := n.stamp(commit); err != nil {
		return err
	}
	data, err := wire.Encode(commit)
	if err != nil {
		return fmt.Errorf("inventory batch %d commit: %w", batch, err)
	}
	if _, err := c.js.PublishMsg(ctx, &nats.Msg{Subject: commitSubject(commit.Origin()), Data: data},
		jetstream.WithMsgID(commit.ID()), jetstream.WithExpectStream(StreamInventory)); err != nil {
		return fmt.Errorf("inventory batch %d commit: %w", batch, err)
	}
	n.m.inventoryPublished.Add(float64(len(changes)))
	return nil
}

func (n *Node) publishChanges(ctx context.Context, c *conn, batch uint64, changes []*wire.Message) error {
	futures := make([]jetstream.PubAckFuture, 0, len(changes))
	for _, m := range changes {
		if err := n.stamp(m); err != nil {
			return fmt.Errorf("inventory batch %d: %w", batch, err)
		}
		ch, ok := m.Payload.(*wire.AccessChange)
		if !ok || ch.Batch != batch {
			return fmt.Errorf("inventory batch %d: message %s is not an access change of the batch", batch, m.ID())
		}
		data, err := wire.Encode(m)
		if err != nil {
			return fmt.Errorf("inventory batch %d: %w", batch, err)
		}
		fut, err := c.js.PublishMsgAsync(&nats.Msg{Subject: accessSubject(ch.AccessID), Data: data},
			jetstream.WithMsgID(m.ID()), jetstream.WithExpectStream(StreamInventory))
		if err != nil {
			return fmt.Errorf("inventory batch %d: access %s: %w", batch, ch.AccessID, err)
		}
		futures = append(futures, fut)
	}
	for _, fut := range futures {
		select {
		case <-fut.Ok():
		case err := <-fut.Err():
			return fmt.Errorf("inventory batch %d: %w", batch, err)
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// EnqueueOrder puts an order (a *wire.Order message) on the hub's work
// queue; its id de-duplicates a repeat for ten minutes.
func (n *Node) EnqueueOrder(ctx context.Context, order *wire.Message) error {
	if n.opts.Role != Hub {
		return ErrRole
	}
	c, err := n.current()
	if err != nil {
		return err
	}
	if err := n.stamp(order); err != nil {
		return err
	}
	if order.Kind() != wire.KindOrder {
		return fmt.Errorf("enqueue %s: not an order", order.ID())
	}
	data, err := wire.Encode(order)
	if err != nil {
		return fmt.Errorf("order %s: %w", order.ID(), err)
	}
	if _, err := c.js.PublishMsg(ctx, &nats.Msg{Subject: orderSubject(n.opts.Site), Data: data},
		jetstream.WithMsgID(order.ID()), jetstream.WithExpectStream(StreamOrders)); err != nil {
		return fmt.Errorf("enqueue order %s: %w", order.ID(), err)
	}
	n.m.ordersEnqueued.Inc()
	return nil
}
