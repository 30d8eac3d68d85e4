package atlasportal

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/stadsnat/accessd/cmd/accessd/internal/upstream/outbox"
)

// Engine is the local order engine as the follower needs it; the lead
// wires the real one (activation.Engine) in the wiring phase.
type Engine interface {
	// FindByPortalOrder returns the local order that carries the portal
	// order id: placed through the activation API's service_order (its
	// order parameter), or by an earlier Place.
	FindByPortalOrder(ctx context.Context, portalOrderID string) (LocalOrder, bool, error)
	// Place hands an order read from the portal to the engine. It is
	// idempotent by o.Key: placing it again returns the first order. An
	// order the engine makes this way gets o.ID as its PortalOrderID, so
	// that its changes make Transitions.
	Place(ctx context.Context, o PortalOrder) (Placement, error)
}

// PortalOrder is an order read from the portal, for the local engine.
type PortalOrder struct {
	// Key makes Place idempotent: "atlas-portal:" and the order id.
	Key        string
	ID         string // the portal's order id
	CustomerID string // the portal's customer id; a reference, not personal data
	XSPCID     string
	Socket     string // AccessId
	Service    string // catalogue UID
	// Date is the requested activation date (local, YYYY-MM-DD), empty for
	// as soon as possible; Due is its local midnight, zero for now.
	Date string
	Due  time.Time
	// Policy is the customer-data policy; Customer is set only under
	// store. It is personal data: never log it.
	Policy   CustomerPolicy
	Customer *Customer
}

// PlaceOutcome is what Place did.
type PlaceOutcome int

// The outcomes of Place.
const (
	// Placed: the engine holds the order (new, or the same key again).
	Placed PlaceOutcome = iota + 1
	// AlreadyDone: the service is already active on the access; no order.
	AlreadyDone
	// Refused: the engine refused the order; Reason says why.
	Refused
)

// Placement is Place's answer.
type Placement struct {
	Outcome PlaceOutcome
	Order   LocalOrder // Placed
	Reason  string     // Refused: no personal data
}

// FollowerStatus is the follower's state for `accessctl upstream`.
type FollowerStatus struct {
	LastPoll    time.Time         `json:"lastPoll,omitzero"`
	LastSuccess time.Time         `json:"lastSuccess,omitzero"`
	LastError   string            `json:"lastError,omitempty"`
	LastCheck   string            `json:"lastCheck,omitempty"` // the date of the last complete poll; polls read from the day before
	ReadIn      uint64            `json:"readIn"`              // orders handled since the start
	Outcomes    map[string]uint64 `json:"outcomes"`
}

// Follower reads new orders from the portal and hands them to the local
// engine: poll orders(date) from the last complete poll's date less one
// day (A6), skip the ids already read in, read order_info, and place,
// link or refuse each. The portal's status then follows the local order
// through Transitions and the Sink.
type Follower struct {
	cfg    Config
	client *Client
	engine Engine
	tr     *tracker
	out    outbox.Appender
	notify func()
	loc    *time.Location
	log    *slog.Logger

	mu     sync.Mutex
	status FollowerStatus
	failed bool // the last poll failed: log the recovery
}

// Run polls now and then every PollInterval until ctx ends; it returns
// nil then. A failed poll is logged when the failing starts and when it
// ends, not on every poll.
func (f *Follower) Run(ctx context.Context) error {
	t := time.NewTicker(f.cfg.PollInterval)
	defer t.Stop()
	for {
		f.pollAndLog(ctx)
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

func (f *Follower) pollAndLog(ctx context.Context) {
	err := f.Poll(ctx)
	if ctx.Err() != nil {
		return
	}
	f.mu.Lock()
	was := f.failed
	f.failed = err != nil
	f.mu.Unlock()
	switch {
	case err != nil && !was:
		f.log.Warn("reading orders from the atlas portal failed; trying again every poll interval", "err", err,
			"poll_interval", f.cfg.PollInterval)
	case err != nil:
		f.log.Debug("reading orders from the atlas portal failed again", "err", err)
	case was:
		f.log.Info("reading orders from the atlas portal works again")
	}
}

// Status returns the follower's state.
func (f *Follower) Status() FollowerStatus {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.status
	s.Outcomes = make(map[string]uint64, len(f.status.Outcomes))
	for k, v := range f.status.Outcomes {
		s.Outcomes[k] = v
	}
	return s
}

// Poll reads the orders created since the last complete poll (less a
// day) and reads in the new ones. The last check moves to today only when
// every listed order was read in, so an order that failed is tried again.
func (f *Follower) Poll(ctx context.Context) error {
	now := time.Now()
	today := now.In(f.loc).Format(dateLayout)
	err := f.poll(ctx, today)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.status.LastPoll = now
	if err != nil {
		f.status.LastError = err.Error()
		return err
	}
	f.status.LastSuccess, f.status.LastError = now, ""
	return nil
}

func (f *Follower) poll(ctx context.Context, today string) error {
	last, err := f.tr.st.LastCheck(ctx)
	if err != nil {
		return fmt.Errorf("read the last check: %w", err)
	}
	from := last
	if from == "" {
		from = today
	}
	d, err := time.ParseInLocation(dateLayout, from, f.loc)
	if err != nil {
		return fmt.Errorf("the stored last check %q: %w", printable(last), err)
	}
	since := d.AddDate(0, 0, -1).Format(dateLayout)
	f.mu.Lock()
	f.status.LastCheck = last // the stored one, until this poll completes
	f.mu.Unlock()

	ids, err := f.client.Orders(ctx, since)
	if err != nil {
		return err
	}
	var errs []error
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id] {
			continue
		}
		seen[id] = true
		if err := f.readIn(ctx, id); err != nil {
			errs = append(errs, fmt.Errorf("order %s: %w", id, err))
			if ctx.Err() != nil {
				break
			}
		}
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	if today != last {
		if err := f.tr.st.SetLastCheck(ctx, today); err != nil {
			return fmt.Errorf("store the last check: %w", err)
		}
	}
	f.mu.Lock()
	f.status.LastCheck = today
	f.mu.Unlock()
	return nil
}

func (f *Follower) count(outcome string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.status.ReadIn++
	if f.status.Outcomes == nil {
		f.status.Outcomes = map[string]uint64{}
	}
	f.status.Outcomes[outcome]++
}
