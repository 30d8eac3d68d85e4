package atlasportal

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// State is what the portal integration keeps across restarts; the store
// implements it in the wiring phase (localtest has an in-memory one). It
// holds no personal data.
type State interface {
	// LastCheck is the local date (YYYY-MM-DD) of the last poll that read
	// in every order it listed; "" before the first.
	LastCheck(ctx context.Context) (string, error)
	SetLastCheck(ctx context.Context, date string) error
	// PortalOrder returns what is known of a portal order; ok is false
	// when nothing is.
	PortalOrder(ctx context.Context, id string) (o PortalOrderState, ok bool, err error)
	// PutPortalOrder stores o under o.ID, replacing what was there.
	PutPortalOrder(ctx context.Context, o PortalOrderState) error
}

// PortalOrderState is what accessd knows of one portal order.
type PortalOrderState struct {
	ID string `json:"id"`
	// LocalOrder is the local order it is (or is linked to); empty when
	// there is none.
	LocalOrder string `json:"localOrder,omitempty"`
	// Portal is the highest status the portal is known to have: read with
	// order_info, or acknowledged to a set_status. It never goes back.
	Portal Status `json:"portal,omitempty"`
	// Sending is the status of a set_status sent but not yet known to be
	// acknowledged: after a crash its outcome is unknown, and the sink
	// reads the order's status back before it sends anything more, so a
	// transition is never applied twice.
	Sending Status `json:"sending,omitempty"`
	// ReadIn is set once the follower has handled the order (placed,
	// linked, refused or found unreadable): a later poll skips it.
	ReadIn bool `json:"readIn,omitempty"`
	// Outcome says what the follower did, for `accessctl upstream`.
	Outcome string `json:"outcome,omitempty"`
	// Messages holds the idempotency keys of the entries whose
	// add_message the portal acknowledged.
	Messages []string  `json:"messages,omitempty"`
	Updated  time.Time `json:"updated"`
}

// Follower outcomes (PortalOrderState.Outcome).
const (
	OutcomePlaced      = "placed"              // a local order was made
	OutcomeLinked      = "linked"              // an existing local order carries the portal id
	OutcomeDirect      = "activated directly"  // delivered when read; linked to the local order
	OutcomeElsewhere   = "delivered elsewhere" // delivered when read; no local order has its id
	OutcomeCancelled   = "cancelled on read"   // cancelled before accessd read it
	OutcomeAlreadyDone = "service already active"
	OutcomeRefused     = "refused"
	OutcomeUnreadable  = "unreadable"
)

// tracker serialises read-modify-write of PortalOrderState between the
// follower and the sink, and keeps Portal from going back.
type tracker struct {
	mu sync.Mutex
	st State
}

func (t *tracker) get(ctx context.Context, id string) (PortalOrderState, bool, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	o, ok, err := t.st.PortalOrder(ctx, id)
	if err != nil {
		return o, false, fmt.Errorf("atlas portal order %s: read its state: %w", id, err)
	}
	return o, ok, nil
}

// update applies f to the order's state (a zero state with the id when
// there is none) and stores it; Portal keeps the higher of old and new.
func (t *tracker) update(ctx context.Context, id string, f func(*PortalOrderState)) (PortalOrderState, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	o, ok, err := t.st.PortalOrder(ctx, id)
	if err != nil {
		return o, fmt.Errorf("atlas portal order %s: read its state: %w", id, err)
	}
	if !ok {
		o = PortalOrderState{ID: id}
	}
	before := o.Portal
	f(&o)
	if before != "" && (o.Portal == "" || Forward(o.Portal, before) || before.Final()) {
		o.Portal = before
	}
	o.Updated = time.Now()
	if err := t.st.PutPortalOrder(ctx, o); err != nil {
		return o, fmt.Errorf("atlas portal order %s: store its state: %w", id, err)
	}
	return o, nil
}
