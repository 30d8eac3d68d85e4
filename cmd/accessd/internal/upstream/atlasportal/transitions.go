package atlasportal

import (
	"encoding/json"
	"time"

	"github.com/stadsnat/accessd/cmd/accessd/internal/upstream/outbox"
)

// SinkName is the outbox sink of the Atlas portal.
const SinkName = "atlas-portal"

// KindOrderStatus is the kind of this sink's entries; the payload is an
// [Update] in JSON.
const KindOrderStatus = "atlas-portal.order"

// LocalState is a local order's state: the values of the store's
// OrderState (PI-API's orderState), copied so that this package does not
// import the store.
type LocalState string

// The local order states.
const (
	LocalReceived   LocalState = "RECEIVED"
	LocalInProgress LocalState = "IN_PROGRESS"
	LocalDone       LocalState = "DONE_SUCCESS"
	LocalFailed     LocalState = "DONE_FAILED"
)

// LocalOrder is what the portal integration needs of a local order.
type LocalOrder struct {
	ID string // the local order id
	// PortalOrderID is the Atlas order id the order carries: from an order
	// read from the portal, or the order parameter of the activation
	// API's service_order. Empty: not an Atlas order.
	PortalOrderID string
	State         LocalState
	// Due is when the order may run (the local midnight of its date);
	// zero or past: now.
	Due time.Time
	// Message is the order's message: for DONE_FAILED, the reason.
	Message string
	// Created is set when this change created the order.
	Created bool
}

// Update is the payload of an outbox entry of this sink: bring the
// portal's order to Status (when it is forward of what the portal has),
// then add Message of type MessageType (when set).
type Update struct {
	Order       string      `json:"order"`
	Status      Status      `json:"status,omitempty"`
	Message     string      `json:"message,omitempty"`
	MessageType MessageType `json:"messageType,omitempty"`
	LocalOrder  string      `json:"localOrder,omitempty"`
}

// Transitions are the outbox entries a change of a local order makes: the
// store appends them in the transaction of the change (the wiring phase),
// for every order with a PortalOrderID.
//
//	created, due now              → received
//	created, due later            → received, then waiting
//	RECEIVED, due later           → waiting
//	RECEIVED, due now             → received (an interrupted run put back; the sink drops it as backwards)
//	IN_PROGRESS                   → active
//	DONE_SUCCESS                  → delivered
//	DONE_FAILED                   → cancelled, with add_message type error carrying the reason
//
// The sink never sends a status that is not forward of what the portal
// has, so these may repeat or come late without moving the portal back.
func Transitions(o LocalOrder, now time.Time) []outbox.Entry {
	if o.PortalOrderID == "" || validID("order", o.PortalOrderID) != nil {
		return nil
	}
	later := o.Due.After(now)
	var us []Update
	switch o.State {
	case LocalReceived:
		if o.Created || !later {
			us = append(us, Update{Status: StatusReceived})
		}
		if later {
			us = append(us, Update{Status: StatusWaiting})
		}
	case LocalInProgress:
		us = append(us, Update{Status: StatusActive})
	case LocalDone:
		us = append(us, Update{Status: StatusDelivered})
	case LocalFailed:
		msg := o.Message
		if msg == "" {
			msg = "activation failed"
		}
		us = append(us, Update{Status: StatusCancelled, Message: "accessd: " + msg, MessageType: MessageError})
	}
	out := make([]outbox.Entry, 0, len(us))
	for _, u := range us {
		u.Order, u.LocalOrder = o.PortalOrderID, o.ID
		out = append(out, entry(u, now))
	}
	return out
}

// entry makes the outbox entry of u. Its key is the portal order (the
// unit of order and of compaction: an Update with a status is the order's
// whole desired state); its idempotency key names the order and the
// status, so a repeated transition is recognised.
func entry(u Update, now time.Time) outbox.Entry {
	p, _ := json.Marshal(u) // an Update always marshals
	key, idem := "order/"+u.Order, SinkName+"/"+u.Order+"/"+string(u.Status)
	if u.Status == "" {
		// A message alone is no state of the order: its own key, so that
		// compaction never drops it for a later status.
		stamp := now.UTC().Format(time.RFC3339Nano)
		key, idem = key+"/message/"+stamp, idem+"message/"+stamp
	}
	return outbox.Entry{Sink: SinkName, Key: key, IdempotencyKey: idem, Kind: KindOrderStatus, Payload: p, Created: now}
}
