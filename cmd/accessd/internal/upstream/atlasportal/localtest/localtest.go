// Package localtest has in-memory stand-ins for the local side of the
// Atlas portal integration, for tests: State (the follower's memory) and
// Engine, a small order engine with the real one's states (RECEIVED →
// IN_PROGRESS → DONE_SUCCESS | DONE_FAILED, a due time, idempotent
// placing) that appends atlasportal.Transitions to an outbox with every
// change, as the store will in the change's transaction.
package localtest

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/stadsnat/accessd/cmd/accessd/internal/upstream/atlasportal"
	"github.com/stadsnat/accessd/cmd/accessd/internal/upstream/outbox"
)

// State is an in-memory atlasportal.State.
type State struct {
	mu     sync.Mutex
	last   string
	orders map[string]atlasportal.PortalOrderState
}

// NewState makes an empty State.
func NewState() *State { return &State{orders: map[string]atlasportal.PortalOrderState{}} }

// LastCheck implements atlasportal.State.
func (s *State) LastCheck(context.Context) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.last, nil
}

// SetLastCheck implements atlasportal.State.
func (s *State) SetLastCheck(_ context.Context, d string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.last = d
	return nil
}

// PortalOrder implements atlasportal.State.
func (s *State) PortalOrder(_ context.Context, id string) (atlasportal.PortalOrderState, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.orders[id]
	o.Messages = slices.Clone(o.Messages)
	return o, ok, nil
}

// PutPortalOrder implements atlasportal.State.
func (s *State) PutPortalOrder(_ context.Context, o atlasportal.PortalOrderState) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	o.Messages = slices.Clone(o.Messages)
	s.orders[o.ID] = o
	return nil
}

// Order is a local order.
type Order struct {
	atlasportal.LocalOrder
	Channel  string // atlas-portal | atlas (the activation API)
	AccessID string
	Service  string
	Customer *atlasportal.Customer
	Key      string
}

// Engine is the stand-in order engine.
type Engine struct {
	// Activate runs an order (the activation hook); it takes
	// ActivationTime. nil: every activation succeeds.
	Activate       func(Order) error
	ActivationTime time.Duration
	// Refuse returns why a portal order is refused ("" to take it).
	Refuse func(atlasportal.PortalOrder) string

	out    outbox.Appender
	notify func()
	mu     sync.Mutex
	seq    int
	orders map[string]*Order
	active map[string]bool // access|service
	wake   chan struct{}
}

// NewEngine makes an engine that appends its orders' transitions to out
// and calls notify after.
func NewEngine(out outbox.Appender, notify func()) *Engine {
	return &Engine{out: out, notify: notify, orders: map[string]*Order{}, active: map[string]bool{}, wake: make(chan struct{}, 1)}
}

// SetNotify sets what is called after transitions are appended.
func (e *Engine) SetNotify(f func()) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.notify = f
}

// FindByPortalOrder implements atlasportal.Engine.
func (e *Engine) FindByPortalOrder(_ context.Context, id string) (atlasportal.LocalOrder, bool, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, o := range e.sorted() {
		if o.PortalOrderID == id {
			return o.LocalOrder, true, nil
		}
	}
	return atlasportal.LocalOrder{}, false, nil
}

// Place implements atlasportal.Engine.
func (e *Engine) Place(ctx context.Context, po atlasportal.PortalOrder) (atlasportal.Placement, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, o := range e.orders {
		if o.Key == po.Key {
			return atlasportal.Placement{Outcome: atlasportal.Placed, Order: o.LocalOrder}, nil
		}
	}
	if e.Refuse != nil {
		if why := e.Refuse(po); why != "" {
			return atlasportal.Placement{Outcome: atlasportal.Refused, Reason: why}, nil
		}
	}
	if e.active[po.Socket+"|"+po.Service] {
		return atlasportal.Placement{Outcome: atlasportal.AlreadyDone}, nil
	}
	o, err := e.create(ctx, "atlas-portal", po.ID, po.Socket, po.Service, po.Due, po.Key)
	if err != nil {
		return atlasportal.Placement{}, err
	}
	o.Customer = po.Customer
	return atlasportal.Placement{Outcome: atlasportal.Placed, Order: o.LocalOrder}, nil
}

// PlaceDirect places an order as the activation API's service_order does,
// with the portal's order id; due zero means now.
func (e *Engine) PlaceDirect(ctx context.Context, portalID, access, service string, due time.Time) (Order, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	o, err := e.create(ctx, "atlas", portalID, access, service, due, "service_order:"+portalID)
	if err != nil {
		return Order{}, err
	}
	return *o, nil
}

func (e *Engine) create(ctx context.Context, channel, portalID, access, service string, due time.Time, key string) (*Order, error) {
	e.seq++
	o := &Order{LocalOrder: atlasportal.LocalOrder{ID: fmt.Sprintf("local-%d", e.seq), PortalOrderID: portalID,
		State: atlasportal.LocalReceived, Due: due, Created: true}, Channel: channel, AccessID: access, Service: service, Key: key}
	if err := e.commit(ctx, o); err != nil {
		return nil, err
	}
	e.orders[o.ID] = o
	o.Created = false
	select {
	case e.wake <- struct{}{}:
	default:
	}
	return o, nil
}

// commit appends the order's transitions, as the store does in the
// change's transaction; e.mu is held.
func (e *Engine) commit(ctx context.Context, o *Order) error {
	if es := atlasportal.Transitions(o.LocalOrder, time.Now()); len(es) > 0 {
		if err := e.out.Append(ctx, es...); err != nil {
			return err
		}
		if e.notify != nil {
			e.notify()
		}
	}
	return nil
}

// Orders returns the local orders, by id.
func (e *Engine) Orders() []Order {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []Order
	for _, o := range e.sorted() {
		out = append(out, *o)
	}
	return out
}

func (e *Engine) sorted() []*Order {
	out := make([]*Order, 0, len(e.orders))
	for _, o := range e.orders {
		out = append(out, o)
	}
	sort.Slice(out, func(i, j int) bool {
		return len(out[i].ID) < len(out[j].ID) || len(out[i].ID) == len(out[j].ID) && out[i].ID < out[j].ID
	})
	return out
}
