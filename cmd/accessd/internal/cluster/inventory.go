package cluster

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/stadsnat/accessd/cmd/accessd/internal/cluster/wire"
)

// inventoryGroupMax is how many committed changes are gathered before
// they are applied even though more are waiting on the stream.
const inventoryGroupMax = 10000

// followInventory reads the local inventory stream (an edge's mirror of
// the hub's, or the hub's own) from after the applier's mark and applies
// every committed batch atomically. See the package documentation.
func (n *Node) followInventory(ctx context.Context, c *conn) error {
	mark, err := n.deps.Inventory.InventoryMark(ctx)
	if err != nil {
		return fmt.Errorf("read the inventory mark: %w", err)
	}
	s, err := c.js.Stream(ctx, StreamInventory)
	if err != nil {
		return fmt.Errorf("stream %s: %w", StreamInventory, err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		return fmt.Errorf("stream %s: %w", StreamInventory, err)
	}
	if mark > info.State.LastSeq && info.State.LastSeq > 0 {
		n.log.Warn("the inventory stream ends before what the store applied (was it made anew?); reading it all again",
			"stream", StreamInventory, "mark", mark, "last", info.State.LastSeq)
		mark = 0
	}
	cfg := jetstream.OrderedConsumerConfig{DeliverPolicy: jetstream.DeliverAllPolicy}
	if mark > 0 {
		cfg = jetstream.OrderedConsumerConfig{DeliverPolicy: jetstream.DeliverByStartSequencePolicy, OptStartSeq: mark + 1}
	}
	cons, err := s.OrderedConsumer(ctx, cfg)
	if err != nil {
		return fmt.Errorf("ordered consumer on %s: %w", StreamInventory, err)
	}
	it, err := cons.Messages()
	if err != nil {
		return fmt.Errorf("read %s: %w", StreamInventory, err)
	}
	stop := context.AfterFunc(ctx, it.Stop)
	defer stop()
	defer it.Stop()
	g := newInventoryGroup(mark)
	n.st.setInventoryMark(mark)
	for {
		msg, err := it.Next()
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, jetstream.ErrMsgIteratorClosed) {
				return nil
			}
			return fmt.Errorf("read %s: %w", StreamInventory, err)
		}
		meta, err := msg.Metadata()
		if err != nil {
			return fmt.Errorf("read %s: %w", StreamInventory, err)
		}
		n.st.setInventoryPending(meta.NumPending)
		m, err := n.checkInventory(msg)
		switch {
		case err != nil:
			n.refuse(StreamInventory, msg.Subject(), err)
			g.skip(meta.Sequence.Stream)
		case m.Origin() == n.opts.origin():
			g.skip(meta.Sequence.Stream) // this instance's own import, applied when it was made
		default:
			g.add(meta.Sequence.Stream, m)
		}
		if len(g.ready) > 0 && (meta.NumPending == 0 || len(g.ready) >= inventoryGroupMax) {
			if err := n.applyInventory(ctx, g); err != nil {
				return nil // only when ctx ended
			}
		}
	}
}

// applyInventory applies the ready changes, retrying until it works or
// ctx ends.
func (n *Node) applyInventory(ctx context.Context, g *inventoryGroup) error {
	changes, mark := g.take()
	var rt retry
	for {
		err := n.deps.Inventory.ApplyInventory(ctx, changes, mark)
		if err == nil {
			rt.ok(n.log, "applying the inventory")
			break
		}
		n.m.applyErrors.WithLabelValues(StreamInventory).Inc()
		if ctx.Err() != nil {
			return ctx.Err()
		}
		rt.failed(ctx, n.log, "apply the inventory", err, "changes", len(changes))
	}
	g.applied()
	n.st.setInventoryMark(mark)
	n.m.inventoryApplied.Add(float64(len(changes)))
	n.m.inventoryApplies.Inc()
	n.log.Debug("applied inventory changes", "changes", len(changes), "mark", mark)
	return nil
}

// checkInventory decodes one message of the inventory stream and checks
// that it comes from the hub, is an access change or a commit, on its
// subject, with its id as Nats-Msg-Id.
func (n *Node) checkInventory(msg jetstream.Msg) (*wire.Message, error) {
	m, err := wire.Decode(msg.Data())
	if err != nil {
		return nil, err
	}
	var want string
	switch p := m.Payload.(type) {
	case *wire.AccessChange:
		want = accessSubject(p.AccessID)
	case *wire.InventoryCommit:
		want = commitSubject(m.Origin())
	default:
		return nil, &wire.Error{Reason: wire.ReasonKind, Field: "kind", Err: fmt.Errorf("%s is not an inventory kind", m.Kind())}
	}
	if m.Site != n.opts.HubSite {
		return nil, &wire.Error{Reason: wire.ReasonUnlisted, Field: "site", Err: fmt.Errorf("inventory from %s, not the hub %s", m.Site, n.opts.HubSite)}
	}
	if msg.Subject() != want {
		return nil, &wire.Error{Reason: wire.ReasonSubject, Err: fmt.Errorf("%s on subject %q, want %q", m.ID(), clip(msg.Subject()), want)}
	}
	if id := msg.Headers().Get(jetstream.MsgIDHeader); id != m.ID() {
		return nil, &wire.Error{Reason: wire.ReasonSubject, Err: fmt.Errorf("%s has Nats-Msg-Id %q", m.ID(), clip(id))}
	}
	return m, nil
}

// inventoryGroup gathers inventory changes in stream order until their
// batch is committed. A batch's changes precede its commit on the stream
// (the hub publishes the commit after every change is stored), and an
// origin publishes its batches in order, so a commit of batch B from an
// origin completes every pending batch ≤ B of that origin (an earlier
// commit may have been replaced on the stream by this one). Changes of
// uncommitted batches stay pending, and the mark stays below the first of
// them so a restart reads them again.
type inventoryGroup struct {
	pending map[string][]pendingChange    // by origin, uncommitted
	ready   map[string]*wire.AccessChange // by AccessId, committed, the newest
	last    uint64                        // stream sequence of the last message read (or the mark)
}

type pendingChange struct {
	seq    uint64 // stream sequence
	change *wire.AccessChange
}

func newInventoryGroup(mark uint64) *inventoryGroup {
	return &inventoryGroup{pending: map[string][]pendingChange{}, ready: map[string]*wire.AccessChange{}, last: mark}
}

// add takes an access change or a commit read at stream sequence seq.
func (g *inventoryGroup) add(seq uint64, m *wire.Message) {
	g.last = seq
	switch p := m.Payload.(type) {
	case *wire.AccessChange:
		g.pending[m.Origin()] = append(g.pending[m.Origin()], pendingChange{seq: seq, change: p})
	case *wire.InventoryCommit:
		var keep []pendingChange
		for _, pc := range g.pending[m.Origin()] {
			if pc.change.Batch <= m.Seq {
				g.ready[pc.change.AccessID] = pc.change
			} else {
				keep = append(keep, pc)
			}
		}
		if len(keep) == 0 {
			delete(g.pending, m.Origin())
		} else {
			g.pending[m.Origin()] = keep
		}
	}
}

// skip passes over a message that is not applied.
func (g *inventoryGroup) skip(seq uint64) { g.last = seq }

// mark is the stream sequence up to which everything is applied once the
// ready changes are.
func (g *inventoryGroup) mark() uint64 {
	m := g.last
	for _, pcs := range g.pending {
		if len(pcs) > 0 && pcs[0].seq-1 < m {
			m = pcs[0].seq - 1
		}
	}
	return m
}

// take returns the ready changes in AccessId order, and the mark.
func (g *inventoryGroup) take() ([]*wire.AccessChange, uint64) {
	ids := slices.Sorted(maps.Keys(g.ready))
	out := make([]*wire.AccessChange, len(ids))
	for i, id := range ids {
		out[i] = g.ready[id]
	}
	return out, g.mark()
}

// applied forgets the ready changes once applied.
func (g *inventoryGroup) applied() { clear(g.ready) }
