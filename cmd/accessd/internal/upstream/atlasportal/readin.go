package atlasportal

import (
	"context"
	"fmt"
	"time"

	"github.com/stadsnat/accessd/cmd/accessd/internal/upstream/outbox"
)

// readIn handles one listed order once. A transient error leaves it to
// the next poll; everything else is recorded as read in.
func (f *Follower) readIn(ctx context.Context, id string) error {
	known, ok, err := f.tr.get(ctx, id)
	if err != nil {
		return err
	}
	if ok && known.ReadIn {
		return nil
	}
	info, err := f.client.OrderInfo(ctx, id)
	if err != nil {
		if outbox.ClassOf(err) == outbox.ClassPermanent {
			return f.unreadable(ctx, id, err)
		}
		return err
	}
	if info.Status == StatusCancelled {
		return f.record(ctx, info, OutcomeCancelled, "")
	}
	local, found, err := f.engine.FindByPortalOrder(ctx, id)
	if err != nil {
		return fmt.Errorf("find the local order: %w", err)
	}
	if info.Status == StatusDelivered {
		// Delivered when read: activated directly through the activation
		// API. Link it to the local order that carries its id; never make a
		// second one.
		if !found {
			f.log.Warn("atlas portal order was delivered before accessd read it and no local order carries its id; recorded, no order made",
				"portal_order", id, "access_id", info.Socket, "service", info.ServiceUID)
			return f.record(ctx, info, OutcomeElsewhere, "")
		}
		return f.record(ctx, info, OutcomeDirect, local.ID)
	}
	if found {
		return f.record(ctx, info, OutcomeLinked, local.ID)
	}
	po, err := f.portalOrder(ctx, info)
	if err != nil {
		if outbox.ClassOf(err) == outbox.ClassPermanent {
			return f.refuse(ctx, info, "the customer could not be read from the portal")
		}
		return err
	}
	// The portal's status goes into the state before the order is placed:
	// its transitions may reach the sink at once, and the sink would read
	// order_info again for an order it has no status of.
	if _, err := f.tr.update(ctx, info.ID, func(o *PortalOrderState) { o.Portal = info.Status }); err != nil {
		return err
	}
	pl, err := f.engine.Place(ctx, po)
	if err != nil {
		return fmt.Errorf("place the order: %w", err)
	}
	switch pl.Outcome {
	case Placed:
		return f.record(ctx, info, OutcomePlaced, pl.Order.ID)
	case AlreadyDone:
		if err := f.append(ctx, Update{Order: id, Status: StatusDelivered}); err != nil {
			return err
		}
		return f.record(ctx, info, OutcomeAlreadyDone, "")
	case Refused:
		return f.refuse(ctx, info, pl.Reason)
	}
	return fmt.Errorf("place the order: unknown outcome %d", pl.Outcome)
}

// portalOrder makes the engine's order from the portal's, reading the
// customer only under the store policy.
func (f *Follower) portalOrder(ctx context.Context, info Order) (PortalOrder, error) {
	po := PortalOrder{
		Key: "atlas-portal:" + info.ID, ID: info.ID, CustomerID: info.CustomerID, XSPCID: info.XSPCID,
		Socket: info.Socket, Service: info.ServiceUID, Date: info.Date, Policy: f.cfg.CustomerData,
	}
	if info.Date != "" {
		d, err := time.ParseInLocation(dateLayout, info.Date, f.loc)
		if err == nil && d.After(time.Now()) {
			po.Due = d
		}
	}
	if f.cfg.CustomerData != CustomerStore {
		return po, nil
	}
	if info.CustomerID == "" {
		return po, outbox.Permanent(fmt.Errorf("order %s names no customer to read", info.ID))
	}
	cu, err := f.client.CustomerInfo(ctx, info.CustomerID)
	if err != nil {
		return po, err
	}
	po.Customer = &cu
	return po, nil
}

// refuse tells the portal the order is cancelled, and why, then records
// it. The entry goes first: after a crash between the two the order is
// read again, refused again, and the sink drops the repeat.
func (f *Follower) refuse(ctx context.Context, info Order, reason string) error {
	u := Update{Order: info.ID, Status: StatusCancelled, Message: "accessd refused the order: " + reason, MessageType: MessageError}
	if err := f.append(ctx, u); err != nil {
		return err
	}
	f.log.Warn("atlas portal order refused; the portal is told it is cancelled, with the reason",
		"portal_order", info.ID, "access_id", info.Socket, "service", info.ServiceUID, "reason", reason)
	return f.record(ctx, info, OutcomeRefused, "")
}

// unreadable flags an order whose order_info the portal refuses or gives
// without what A8 requires: add_message type error, no status change.
func (f *Follower) unreadable(ctx context.Context, id string, cause error) error {
	u := Update{Order: id, Message: "accessd could not read the order: " + cause.Error(), MessageType: MessageError}
	if err := f.append(ctx, u); err != nil {
		return err
	}
	f.log.Warn("atlas portal order could not be read; flagged on the portal for manual handling", "portal_order", id, "err", cause)
	_, err := f.tr.update(ctx, id, func(o *PortalOrderState) {
		o.ReadIn, o.Outcome = true, OutcomeUnreadable
	})
	if err == nil {
		f.count(OutcomeUnreadable)
	}
	return err
}

func (f *Follower) append(ctx context.Context, u Update) error {
	if err := f.out.Append(ctx, entry(u, time.Now())); err != nil {
		return fmt.Errorf("queue the portal update: %w", err)
	}
	if f.notify != nil {
		f.notify()
	}
	return nil
}

func (f *Follower) record(ctx context.Context, info Order, outcome, local string) error {
	_, err := f.tr.update(ctx, info.ID, func(o *PortalOrderState) {
		o.ReadIn, o.Outcome, o.Portal = true, outcome, info.Status
		if local != "" {
			o.LocalOrder = local
		}
	})
	if err != nil {
		return err
	}
	f.count(outcome)
	f.log.Info("atlas portal order read in", "portal_order", info.ID, "portal_status", info.Status, "outcome", outcome,
		"order_id", local, "access_id", info.Socket, "service", info.ServiceUID)
	return nil
}
