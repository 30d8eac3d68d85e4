package atlasportal

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"

	"github.com/stadsnat/accessd/cmd/accessd/internal/upstream/outbox"
)

// Sink delivers this sink's outbox entries (Updates) to the portal. It is
// an outbox.Sink: run it with an outbox.Runner named SinkName.
//
// Before the first status of an order it has no state for (an order
// placed through the activation API that the follower has not read yet),
// it reads the order's portal status with order_info. It sends a status
// only when it is forward of the portal's (A13) and records each
// acknowledgement, so a transition the portal acknowledged is never sent
// again, and a late or repeated entry never moves the portal back.
type Sink struct {
	client *Client
	tr     *tracker
	log    *slog.Logger
}

var _ outbox.Sink = (*Sink)(nil)

// Deliver implements outbox.Sink.
func (s *Sink) Deliver(ctx context.Context, e outbox.Entry) error {
	if e.Kind != KindOrderStatus {
		return outbox.Permanent(fmt.Errorf("atlas portal sink: entry kind %q is not %s", printable(e.Kind), KindOrderStatus))
	}
	var u Update
	if err := json.Unmarshal(e.Payload, &u); err != nil {
		return outbox.Permanent(fmt.Errorf("atlas portal sink: entry %d: %w", e.Seq, err))
	}
	if err := validID("atlas portal sink: order", u.Order); err != nil {
		return outbox.Permanent(err)
	}
	if u.Status != "" && !u.Status.Valid() || u.Message != "" && !u.MessageType.Valid() {
		return outbox.Permanent(fmt.Errorf("atlas portal sink: entry %d: status %q or message type %q is not valid",
			e.Seq, printable(string(u.Status)), printable(string(u.MessageType))))
	}
	if u.Status != "" {
		known, err := s.portalStatus(ctx, u)
		if err != nil {
			return err
		}
		if err := s.setStatus(ctx, u, known); err != nil {
			return err
		}
	}
	if u.Message != "" {
		return s.addMessage(ctx, u, e.IdempotencyKey)
	}
	return nil
}

// portalStatus is what the portal has for the order: from the state, or
// read with order_info when there is none or a set_status's outcome is
// unknown (Sending: the process stopped between sending it and recording
// the acknowledgement).
func (s *Sink) portalStatus(ctx context.Context, u Update) (PortalOrderState, error) {
	o, ok, err := s.tr.get(ctx, u.Order)
	if err != nil || ok && o.Portal != "" && o.Sending == "" {
		return o, err
	}
	info, err := s.client.OrderInfo(ctx, u.Order)
	if err != nil {
		return o, err
	}
	return s.tr.update(ctx, u.Order, func(o *PortalOrderState) {
		o.Portal, o.Sending = info.Status, ""
		if o.LocalOrder == "" {
			o.LocalOrder = u.LocalOrder
		}
	})
}

func (s *Sink) setStatus(ctx context.Context, u Update, known PortalOrderState) error {
	if !Forward(known.Portal, u.Status) {
		if known.Portal != u.Status {
			s.log.Debug("atlas portal status not sent: it would move the order back",
				"portal_order", u.Order, "portal_status", known.Portal, "status", u.Status)
		}
		return nil
	}
	// Record the send first: if the process dies before the portal's
	// acknowledgement is recorded, the next attempt reads the status back
	// instead of setting it twice.
	if _, err := s.tr.update(ctx, u.Order, func(o *PortalOrderState) { o.Sending = u.Status }); err != nil {
		return err
	}
	if err := s.client.SetStatus(ctx, u.Order, u.Status); err != nil {
		return fmt.Errorf("order %s to %s: %w", u.Order, u.Status, err)
	}
	if _, err := s.tr.update(ctx, u.Order, func(o *PortalOrderState) {
		o.Portal, o.Sending = u.Status, ""
		if o.LocalOrder == "" {
			o.LocalOrder = u.LocalOrder
		}
	}); err != nil {
		// The portal has it; the entry comes again and is sent once more.
		return err
	}
	s.log.Info("atlas portal order status set", "portal_order", u.Order, "order_id", u.LocalOrder, "status", u.Status)
	return nil
}

func (s *Sink) addMessage(ctx context.Context, u Update, idem string) error {
	o, _, err := s.tr.get(ctx, u.Order)
	if err != nil {
		return err
	}
	if slices.Contains(o.Messages, idem) {
		return nil
	}
	if err := s.client.AddMessage(ctx, u.Order, u.Message, u.MessageType); err != nil {
		return fmt.Errorf("order %s message: %w", u.Order, err)
	}
	_, err = s.tr.update(ctx, u.Order, func(o *PortalOrderState) {
		o.Messages = append(o.Messages, idem)
	})
	if err == nil {
		s.log.Info("atlas portal order message added", "portal_order", u.Order, "type", u.MessageType)
	}
	return err
}
