package clustersys

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/stadsnat/accessd/api/activation"
	"github.com/stadsnat/accessd/cmd/accessd/internal/cluster"
	"github.com/stadsnat/accessd/cmd/accessd/internal/cluster/wire"
	"github.com/stadsnat/accessd/cmd/accessd/internal/subsys"
	"github.com/stadsnat/accessd/cmd/accessd/internal/upstream"
	"github.com/stadsnat/accessd/cmd/accessd/internal/upstream/outbox"
	"github.com/stadsnat/accessd/store"
)

// Orders at a hub. An order placed with any hub instance (PI-API, ON-API,
// Atlas, accessctl) is stored there as always and, in the same
// transaction, queued in the outbox (SinkOrders); a runner of the outbox
// puts it on the hub's work queue (EnqueueOrder). Every instance takes
// orders from the queue's one consumer, so each order goes to one of
// them: it records the order if it does not have it (TakeOrder), runs it
// through the activation hook (RunOrder) and its outcome goes out as a
// fact that every instance records. The hook runs at the hub for the
// whole network: the KO's provisioning reaches every site's switches
// from there, so an order is never forwarded to an edge.

// orderQueue makes the runner that moves queued orders onto the work
// queue.
func (s *System) orderQueue() error {
	st := upstream.NewStorage(s.db.Outbox())
	r, err := outbox.NewRunner(outbox.Config{Sink: SinkOrders, PollInterval: time.Second}, st,
		outbox.SinkFunc(s.enqueue), s.log, s.env.Registerer())
	if err != nil {
		return fmt.Errorf("cluster: %w", err)
	}
	s.orderRunner = r
	s.tasks = append(s.tasks, subsys.Task{Name: "cluster orders", Run: func(ctx context.Context, ready func()) error {
		ready()
		return r.Run(ctx)
	}})
	return nil
}

// enqueue puts one queued order on the work queue; its id de-duplicates a
// repeat.
func (s *System) enqueue(ctx context.Context, e outbox.Entry) error {
	var o wire.Order
	if err := json.Unmarshal(e.Payload, &o); err != nil {
		return outbox.Permanent(fmt.Errorf("queued order %s: %w", e.Key, err))
	}
	m := &wire.Message{Site: s.opts.Site, Instance: s.opts.Instance, Seq: e.Seq, At: e.Created.UTC(), Payload: &o}
	if _, err := wire.Encode(m); err != nil {
		return outbox.Permanent(fmt.Errorf("queued order %s: %w", e.Key, err))
	}
	return s.node.EnqueueOrder(ctx, m)
}

// orderHandler is the hub's cluster.OrderHandler on the order engine.
type orderHandler struct {
	eng *activation.Engine
	log *slog.Logger
	now func() time.Time
}

// maxLater is the longest an order not due yet is put back at once: the
// queue keeps orders for cluster.orders.max_age, so a scheduled order is
// looked at again every hour until it is due.
const maxLater = time.Hour

// readOnlyLater is how long an order waits on the queue when this
// instance's store is read-only.
const readOnlyLater = 30 * time.Second

// HandleOrder implements cluster.OrderHandler.
func (h *orderHandler) HandleOrder(ctx context.Context, m *wire.Message) error {
	ord, err := h.eng.TakeOrder(storeOrder(m.Payload.(*wire.Order)))
	if errors.Is(err, store.ErrReadOnly) {
		// A full disk here: back on the queue for a while, where an
		// instance that can write may take it.
		return cluster.Later(readOnlyLater)
	}
	if err != nil {
		return fmt.Errorf("record order: %w", err)
	}
	if ord.State.Done() {
		return nil // run before (here or elsewhere), or cancelled
	}
	if d := ord.Due.Sub(h.now()); d > 0 {
		return cluster.Later(min(d, maxLater))
	}
	done, err := h.eng.RunOrder(ctx, ord.ID)
	if errors.Is(err, store.ErrNotFound) {
		return cluster.Reject("the order is not in the store")
	}
	if errors.Is(err, store.ErrReadOnly) {
		return cluster.Later(readOnlyLater)
	}
	if err != nil {
		return err
	}
	h.log.Info("order from the queue carried out", "order_id", done.ID, "access_id", done.AccessID, "state", done.State)
	return nil
}
