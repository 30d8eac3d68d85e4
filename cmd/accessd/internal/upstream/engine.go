package upstream

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/stadsnat/accessd/api/activation"
	"github.com/stadsnat/accessd/cmd/accessd/internal/upstream/atlasportal"
	"github.com/stadsnat/accessd/store"
)

// ChannelPortal is the channel of the orders read from the Atlas portal.
const ChannelPortal = "atlas-portal"

// Engine is the order engine as the portal's follower needs it
// (atlasportal.Engine). A portal order becomes an Atlas order of the
// engine (owner atlas) carrying the portal's order id in AtlasRef.Order,
// under the same idempotency key the activation API's service_order uses
// (order, socket, service): whichever of the two channels comes first
// makes the order, the other finds it. The store's index of orders by
// Atlas order id answers FindByPortalOrder.
type Engine struct {
	eng    *activation.Engine
	orders store.Orders
	policy atlasportal.CustomerPolicy
}

var _ atlasportal.Engine = (*Engine)(nil)

// atlasKey is the activation API's idempotency key of service_order.
func atlasKey(order, socket, service string) string {
	return "atlas\x00" + order + "\x00" + socket + "\x00" + service
}

// localOrder is what the portal integration needs of an order.
func localOrder(o *store.Order) atlasportal.LocalOrder {
	lo := atlasportal.LocalOrder{ID: o.ID, State: atlasportal.LocalState(o.State), Due: o.Due, Message: o.Message}
	if o.Atlas != nil {
		lo.PortalOrderID = o.Atlas.Order
	}
	return lo
}

// FindByPortalOrder implements atlasportal.Engine.
func (e *Engine) FindByPortalOrder(_ context.Context, id string) (atlasportal.LocalOrder, bool, error) {
	var lo atlasportal.LocalOrder
	var found bool
	err := e.orders.View(func(o *store.OrderTx) error {
		ord, ok, err := o.OrderByAtlas(id)
		if err != nil || !ok {
			return err
		}
		lo, found = localOrder(&ord), true
		return nil
	})
	if err != nil {
		return lo, false, fmt.Errorf("find the order of atlas portal order %s: %w", id, err)
	}
	return lo, found, nil
}

// Place implements atlasportal.Engine.
func (e *Engine) Place(_ context.Context, po atlasportal.PortalOrder) (atlasportal.Placement, error) {
	r := activation.Request{
		Owner: activation.OwnerAtlas, Channel: ChannelPortal, AccessID: po.Socket, Service: po.Service,
		Operation: store.Activate, Due: po.Due, Date: po.Date, Key: atlasKey(po.ID, po.Socket, po.Service),
		Atlas: &store.AtlasRef{Order: po.ID, Customer: po.CustomerID, XSPCID: po.XSPCID, Origin: "customer"},
	}
	switch po.Policy {
	case atlasportal.CustomerStore:
		if c := po.Customer; c != nil {
			r.Customer = &store.Customer{FirstName: c.FirstName, LastName: c.Surname, Email: c.Email, Phone: c.Phone,
				StreetName: c.Address, ZipCode: c.Zip, City: c.City}
		}
	case atlasportal.CustomerAnonymous:
		sum := sha256.Sum256([]byte("atlas-portal\x00" + po.CustomerID))
		r.CustomerRef = "anon-" + hex.EncodeToString(sum[:8])
	}
	res, err := e.eng.Place(r)
	if errors.Is(err, activation.ErrBadRequest) {
		return atlasportal.Placement{Outcome: atlasportal.Refused, Reason: err.Error()}, nil
	}
	if err != nil {
		return atlasportal.Placement{}, fmt.Errorf("place atlas portal order %s: %w", po.ID, err)
	}
	switch res.Outcome {
	case activation.Created, activation.Existing:
		return atlasportal.Placement{Outcome: atlasportal.Placed, Order: localOrder(&res.Order)}, nil
	case activation.AlreadyDone:
		return atlasportal.Placement{Outcome: atlasportal.AlreadyDone}, nil
	}
	return atlasportal.Placement{Outcome: atlasportal.Refused, Reason: res.Verdict.Cause}, nil
}
