package cluster

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/stadsnat/accessd/cmd/accessd/internal/cluster/wire"
)

// FactApplier writes facts into the hub's store. The daemon implements
// it on the bbolt store.
//
// Exactly-once: the node hands facts over in stream order, per origin in
// increasing Seq, and never one at or below the origin's mark as
// FactMarks reported it at start or as the node has applied since. The
// applier must write the facts AND the new marks ([MarksOf]) in ONE
// transaction, so after a crash either both are there or neither: a
// redelivered fact (hub restart, consumer redelivery, a republication
// after the de-duplication window) is then at or below the mark and is
// skipped, and nothing is applied twice.
type FactApplier interface {
	// ApplyFacts applies the facts and records MarksOf(facts) in one
	// transaction. An error means nothing was applied; the node retries
	// (steadily and quietly when it wraps ErrStorePaused).
	ApplyFacts(ctx context.Context, facts []*wire.Message) error
	// FactMarks returns the marks the store holds, by origin.
	FactMarks(ctx context.Context) (map[string]Mark, error)
}

// Mark is the last fact applied from one origin.
type Mark struct {
	Seq uint64    // its envelope seq
	At  time.Time // when the origin made it (envelope at)
}

// MarksOf returns, per origin, the mark of the last fact in facts.
func MarksOf(facts []*wire.Message) map[string]Mark {
	marks := make(map[string]Mark)
	for _, f := range facts {
		marks[f.Origin()] = Mark{Seq: f.Seq, At: f.At}
	}
	return marks
}

// InventoryApplier applies the hub's inventory at an edge (and at a hub
// instance that did not import it). The daemon implements it on the store.
type InventoryApplier interface {
	// ApplyInventory applies changes (at most one per access, the newest)
	// and records mark in ONE transaction, so a batch is never half
	// applied. mark is the inventory stream sequence everything up to
	// which is applied; InventoryMark returns it after a restart and the
	// node resumes after it. Applying a change again must be harmless
	// (it is the whole access). An error wrapping ErrStorePaused makes
	// the node wait steadily and quietly, like ApplyFacts.
	ApplyInventory(ctx context.Context, changes []*wire.AccessChange, mark uint64) error
	// InventoryMark returns the last recorded mark, 0 for none.
	InventoryMark(ctx context.Context) (uint64, error)
}

// OrderHandler carries out orders taken from the hub's work queue. The
// node keeps the order alive while HandleOrder runs.
//
// HandleOrder returns nil when the order is finished (its outcome fact
// published first): the order leaves the queue. [Later] puts it back for
// that long (not due yet, or a transient failure); [Reject] drops it for
// ever (it can never run); any other error puts it back after a back-off.
// If an instance dies while running an order, the order goes to another
// instance after ack_wait, so HandleOrder must be idempotent by the
// order's id (an order whose outcome is already DONE is acknowledged).
type OrderHandler interface {
	HandleOrder(ctx context.Context, order *wire.Message) error
}

// Later asks for the order to be delivered again after d.
func Later(d time.Duration) error { return &laterError{d: d} }

type laterError struct{ d time.Duration }

func (e *laterError) Error() string { return fmt.Sprintf("order deferred for %s", e.d) }

// Reject drops an order that can never run; reason is logged.
func Reject(reason string) error { return &rejectError{reason: reason} }

type rejectError struct{ reason string }

func (e *rejectError) Error() string { return "order rejected: " + e.reason }

// ErrNotRunning is returned by publishing before Run has connected, or
// after it ended.
var ErrNotRunning = errors.New("cluster: not connected to NATS")

// ErrRole is returned by a call the node's role does not make.
var ErrRole = errors.New("cluster: not for this role")
