package cluster

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/stadsnat/accessd/cmd/accessd/internal/cluster/wire"
)

// runOrders is one order worker of a hub instance: it takes one order at
// a time from the work queue's durable consumer, which every instance
// shares, so each order goes to one worker of one instance.
func (n *Node) runOrders(ctx context.Context, c *conn, worker int) error {
	var cons jetstream.Consumer
	err := n.settle(ctx, "make the orders consumer", func() error {
		var err error
		if cons, err = c.js.CreateOrUpdateConsumer(ctx, StreamOrders, n.opts.runnerConsumerConfig()); err != nil {
			return fmt.Errorf("consumer %s on %s: %w", consumerRunner, StreamOrders, err)
		}
		return nil
	})
	if err != nil || ctx.Err() != nil {
		return err
	}
	bo := Backoff{}
	for ctx.Err() == nil {
		batch, err := cons.Fetch(1, jetstream.FetchMaxWait(time.Second))
		if err != nil {
			if ctx.Err() == nil {
				n.log.Warn("cannot fetch orders; retrying", "stream", StreamOrders, "err", err)
				bo.Wait(ctx)
			}
			continue
		}
		bo.Reset()
		for msg := range batch.Messages() {
			n.handleOrder(ctx, worker, msg)
		}
	}
	return nil
}

// handleOrder checks one order, runs the handler while keeping the order
// alive, and acknowledges, defers or drops it as the handler says.
func (n *Node) handleOrder(ctx context.Context, worker int, msg jetstream.Msg) {
	m, err := n.checkOrder(msg)
	if err != nil {
		n.refuse(StreamOrders, msg.Subject(), err)
		if err := msg.Term(); err != nil {
			n.log.Warn("cannot drop a refused order message", "err", err)
		}
		n.m.orders.WithLabelValues("refused").Inc()
		return
	}
	order := m.Payload.(*wire.Order)
	log := n.log.With("order_id", order.OrderID, "access_id", order.AccessID, "worker", worker)
	hctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go n.keepAlive(hctx, msg, n.opts.Orders.AckWait/3)
	err = n.deps.Orders.HandleOrder(hctx, m)
	cancel()
	var later *laterError
	var reject *rejectError
	switch {
	case err == nil:
		if err := msg.DoubleAck(ctx); err != nil {
			// The order stays queued and may run again: HandleOrder is
			// idempotent by order id.
			log.Warn("order done but its acknowledgement failed; it may be delivered again", "err", err)
		}
		n.m.orders.WithLabelValues("done").Inc()
	case errors.As(err, &later):
		_ = msg.NakWithDelay(later.d)
		n.m.orders.WithLabelValues("later").Inc()
	case errors.As(err, &reject):
		_ = msg.TermWithReason(reject.reason)
		log.Warn("order dropped from the queue", "reason", reject.reason)
		n.m.orders.WithLabelValues("rejected").Inc()
	default:
		if ctx.Err() != nil {
			_ = msg.Nak()
			return
		}
		log.Warn("order failed; it will be tried again", "err", err)
		_ = msg.NakWithDelay(10 * time.Second)
		n.m.orders.WithLabelValues("failed").Inc()
	}
}

// keepAlive tells the server the order is still being worked on.
func (n *Node) keepAlive(ctx context.Context, msg jetstream.Msg, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := msg.InProgress(); err != nil {
				n.log.Warn("cannot keep an order alive", "err", err)
			}
		}
	}
}

// checkOrder decodes one message of the work queue and checks that it is
// an order of this hub, on its subject, with its id as Nats-Msg-Id.
func (n *Node) checkOrder(msg jetstream.Msg) (*wire.Message, error) {
	m, err := wire.Decode(msg.Data())
	if err != nil {
		return nil, err
	}
	if m.Kind() != wire.KindOrder {
		return nil, &wire.Error{Reason: wire.ReasonKind, Field: "kind", Err: fmt.Errorf("%s is not an order", m.Kind())}
	}
	if m.Site != n.opts.Site {
		return nil, &wire.Error{Reason: wire.ReasonUnlisted, Field: "site", Err: fmt.Errorf("order from %s, not this hub", m.Site)}
	}
	if msg.Subject() != orderSubject(n.opts.Site) {
		return nil, &wire.Error{Reason: wire.ReasonSubject, Err: fmt.Errorf("%s on subject %q", m.ID(), clip(msg.Subject()))}
	}
	if id := msg.Headers().Get(jetstream.MsgIDHeader); id != m.ID() {
		return nil, &wire.Error{Reason: wire.ReasonSubject, Err: fmt.Errorf("%s has Nats-Msg-Id %q", m.ID(), clip(id))}
	}
	return m, nil
}
