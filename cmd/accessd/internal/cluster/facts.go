package cluster

import (
	"context"
	"errors"
	"fmt"
	"math/bits"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/stadsnat/accessd/cmd/accessd/internal/cluster/wire"
)

// applyBatch is the most messages applied in one transaction, applyBytes
// about the most bytes (a batch message holds many facts: about 2000
// facts), and pullBytes the most the consumer asks for at once.
const (
	applyBatch = 1000
	applyBytes = 1 << 20
	pullBytes  = 4 << 20
)

// applyFacts is the hub's loop: consume the aggregate with this
// instance's durable consumer, put the messages back in stream order,
// check them, hand the new facts to the applier in one call per run of
// messages, acknowledge. See FactApplier for why nothing is applied
// twice, and resequencer for why nothing is skipped.
func (n *Node) applyFacts(ctx context.Context, c *conn) error {
	marks, err := n.deps.Facts.FactMarks(ctx)
	if err != nil {
		return fmt.Errorf("read applied fact marks: %w", err)
	}
	n.st.setMarks(marks)
	var cons jetstream.Consumer
	var reset *jetstream.ConsumerResetResponse
	err = n.settle(ctx, "make the facts consumer", func() error {
		cons, err = c.js.CreateOrUpdateConsumer(ctx, StreamFacts, n.opts.applyConsumerConfig())
		if err != nil {
			return fmt.Errorf("consumer %s on %s: %w", n.opts.applyConsumer(), StreamFacts, err)
		}
		// What the consumer delivered before a restart and was not
		// acknowledged would come again only after ack_wait: start over
		// from the ack floor instead.
		reset, err = c.js.ResetConsumer(ctx, StreamFacts, n.opts.applyConsumer())
		if err != nil {
			return fmt.Errorf("reset consumer %s on %s: %w", n.opts.applyConsumer(), StreamFacts, err)
		}
		return nil
	})
	if err != nil || ctx.Err() != nil {
		return err
	}
	// Consume keeps one subscription open across its pull requests, so a
	// message is not delivered into a fetch that just expired (it would
	// come again only after ack_wait). The callback only queues.
	ch := make(chan jetstream.Msg, 2*applyBatch)
	cc, err := cons.Consume(func(m jetstream.Msg) {
		select {
		case ch <- m:
		case <-ctx.Done():
		}
	}, jetstream.PullMaxMessagesWithBytesLimit(applyBatch, pullBytes), jetstream.ConsumeErrHandler(func(_ jetstream.ConsumeContext, err error) {
		if ctx.Err() == nil {
			n.log.Debug("facts consumer", "stream", StreamFacts, "err", err)
		}
	}))
	if err != nil {
		return fmt.Errorf("consume %s: %w", StreamFacts, err)
	}
	defer cc.Stop()
	r := newResequencer(reset.ConsumerInfo.AckFloor.Stream + 1)
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case m := <-ch:
			n.hold(r, m)
			for _, m := range gather(ctx, ch, applyBatch-1) {
				n.hold(r, m)
			}
		case <-tick.C:
			n.fillHole(ctx, c, r)
		}
		if err := n.applyRuns(ctx, r); err != nil {
			return nil // only when ctx ended
		}
	}
}

// hold puts a delivered message into the resequencer.
func (n *Node) hold(r *resequencer, m jetstream.Msg) {
	meta, err := m.Metadata()
	if err != nil {
		n.log.Warn("a message without JetStream metadata on the facts consumer", "stream", StreamFacts, "err", err)
		return
	}
	r.add(meta.Sequence.Stream, m)
}

// applyRuns applies every run of messages that continues the stream,
// retrying a failed one (from the resequencer: no redelivery needed)
// until it works or ctx ends.
func (n *Node) applyRuns(ctx context.Context, r *resequencer) error {
	var rt retry
	for {
		start := r.next
		run := r.runUpTo(applyBatch, applyBytes)
		if len(run) == 0 {
			return nil
		}
		if err := n.applyTaken(ctx, run); err != nil {
			r.putBack(start, run)
			if ctx.Err() != nil {
				return ctx.Err()
			}
			rt.failed(ctx, n.log, "apply facts", err, "stream", StreamFacts)
			continue
		}
		rt.ok(n.log, "applying facts")
		if err := run[len(run)-1].Ack(); err != nil {
			// The facts are applied and their marks recorded: a
			// redelivery is skipped, so this costs work, not correctness.
			n.log.Warn("cannot acknowledge applied facts", "stream", StreamFacts, "err", err)
		}
	}
}

// fillHole looks at a resequencer waiting for a message: when the stream
// no longer holds it (its limits dropped it before this instance applied
// it, or it was deleted), the wait ends there; when it does, the consumer
// is reset to deliver again from it rather than after ack_wait.
func (n *Node) fillHole(ctx context.Context, c *conn, r *resequencer) {
	if !r.stuck() {
		r.since = time.Time{}
		return
	}
	now := time.Now()
	if r.since.IsZero() {
		r.since = now
		return
	}
	if now.Sub(r.since) < 2*time.Second {
		return
	}
	r.since = now
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	s, err := c.js.Stream(ctx, StreamFacts)
	if err != nil {
		return
	}
	info, err := s.Info(ctx)
	if err != nil {
		return
	}
	gone := uint64(0)
	if first := info.State.FirstSeq; first > r.next {
		gone = first - r.next
	} else if _, err := s.GetMsg(ctx, r.next); errors.Is(err, jetstream.ErrMsgNotFound) {
		gone = 1
	}
	if gone == 0 {
		n.log.Debug("a fact was not delivered in order; asking for it again", "stream", StreamFacts, "seq", r.next)
		if _, err := c.js.ResetConsumerToSequence(ctx, StreamFacts, n.opts.applyConsumer(), r.next); err != nil {
			n.log.Warn("cannot ask for a fact again; it comes after ack_wait", "stream", StreamFacts, "seq", r.next, "err", err)
		}
		return
	}
	if gone > 0 {
		r.skip(gone)
		n.m.factMessagesDropped.Add(float64(gone))
		n.log.Warn("messages of facts (a fact or a batch each) left the stream (its limits, cluster.facts) before this hub applied them",
			"stream", StreamFacts, "messages", gone)
	}
}

// gatherWait is how long the hub lets facts gather after the first of a
// run before it applies them: a store transaction (and its fsync) per
// few facts would cost more CPU than the facts themselves.
const gatherWait = 2 * time.Millisecond

// gather takes what is queued now and what arrives within gatherWait, up
// to max.
func gather(ctx context.Context, ch <-chan jetstream.Msg, max int) []jetstream.Msg {
	out := drainReady(ch, max)
	if len(out) >= max {
		return out
	}
	t := time.NewTimer(gatherWait)
	defer t.Stop()
	for len(out) < max {
		select {
		case m := <-ch:
			out = append(out, m)
		case <-t.C:
			return out
		case <-ctx.Done():
			return out
		}
	}
	return out
}

// drainReady takes what is queued now, up to max.
func drainReady(ch <-chan jetstream.Msg, max int) []jetstream.Msg {
	var out []jetstream.Msg
	for len(out) < max {
		select {
		case m := <-ch:
			out = append(out, m)
		default:
			return out
		}
	}
	return out
}

// applyTaken checks and filters a run of messages and applies the new
// facts in one call.
func (n *Node) applyTaken(ctx context.Context, take []jetstream.Msg) error {
	marks := n.st.marksCopy()
	facts := make([]*wire.Message, 0, len(take))
	skipped := map[string]int{}
	for _, msg := range take {
		m, err := n.checkFact(msg)
		if err != nil {
			n.refuse(StreamFacts, msg.Subject(), err)
			continue
		}
		for _, f := range m.Facts() {
			if mk, ok := marks[f.Origin()]; ok && f.Seq <= mk.Seq {
				skipped[f.Site]++
				continue
			}
			marks[f.Origin()] = Mark{Seq: f.Seq, At: f.At}
			facts = append(facts, f)
		}
	}
	if len(facts) > 0 {
		if err := n.deps.Facts.ApplyFacts(ctx, facts); err != nil {
			n.m.applyErrors.WithLabelValues(StreamFacts).Inc()
			return fmt.Errorf("apply %d facts: %w", len(facts), err)
		}
		n.st.applied(facts, n.deps.Now())
		bySite := map[string]int{}
		for _, f := range facts {
			bySite[f.Site]++
		}
		for site, k := range bySite {
			n.m.factsApplied.WithLabelValues(site).Add(float64(k))
		}
	}
	for site, k := range skipped {
		n.m.factsSkipped.WithLabelValues(site).Add(float64(k))
	}
	return nil
}

// checkFact decodes one message of the aggregate and checks that it is a
// fact or a batch of facts (wire kind facts: every fact of the batch's
// origin, checked by the wire), from a listed site (or the hub itself),
// on its site's and kind's subject, with its id as Nats-Msg-Id.
func (n *Node) checkFact(msg jetstream.Msg) (*wire.Message, error) {
	// The subject names the kind (checked below), so the message is read
	// once, straight into that kind's payload.
	subject := msg.Subject()
	m, err := wire.DecodeKind(msg.Data(), wire.Kind(subject[strings.LastIndexByte(subject, '.')+1:]))
	if err != nil {
		return nil, err
	}
	if !m.Kind().IsFact() && m.Kind() != wire.KindFacts {
		return nil, &wire.Error{Reason: wire.ReasonKind, Field: "kind", Err: fmt.Errorf("%s is not a fact", m.Kind())}
	}
	if !n.st.listed(m.Site) {
		return nil, &wire.Error{Reason: wire.ReasonUnlisted, Field: "site", Err: fmt.Errorf("site %s is not in cluster.sites", m.Site)}
	}
	if want := factSubject(m.Site, m.Kind()); subject != want {
		return nil, &wire.Error{Reason: wire.ReasonSubject, Err: fmt.Errorf("%s on subject %q, want %q", m.ID(), clip(subject), want)}
	}
	if id := msg.Headers().Get(jetstream.MsgIDHeader); id != m.ID() {
		return nil, &wire.Error{Reason: wire.ReasonSubject, Err: fmt.Errorf("%s has Nats-Msg-Id %q", m.ID(), clip(id))}
	}
	return m, nil
}

// refuse counts a refused message and logs the first of each reason and
// then every power of two, so a flood of bad messages cannot flood the log.
func (n *Node) refuse(stream, subject string, err error) {
	reason := wire.ReasonOf(err)
	c := n.m.refused.WithLabelValues(stream, string(reason))
	c.Inc()
	k := n.st.countRefusal(stream, reason)
	if bits.OnesCount64(k) == 1 {
		n.log.Warn("refused a message; skipped it", "stream", stream, "subject", clip(subject),
			"reason", string(reason), "refused_so_far", k, "err", err)
	}
}

// clip shortens a hostile subject for a log line.
func clip(s string) string {
	if len(s) > 80 {
		s = s[:80] + "…"
	}
	return strings.ToValidUTF8(s, "?")
}

// Backoff is the cluster's retry pause: 100 ms, doubling up to Max (10 s
// when 0). The zero value is ready; Reset after a success.
type Backoff struct {
	Max time.Duration
	d   time.Duration
}

// Wait pauses for the next delay, or until ctx ends.
func (b *Backoff) Wait(ctx context.Context) {
	limit := b.Max
	if limit <= 0 {
		limit = 10 * time.Second
	}
	b.d = min(max(2*b.d, 100*time.Millisecond), limit)
	t := time.NewTimer(b.d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// Reset starts the delays again from 100 ms.
func (b *Backoff) Reset() { b.d = 0 }
