package clustersys

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/stadsnat/accessd/cmd/accessd/internal/cluster"
	"github.com/stadsnat/accessd/cmd/accessd/internal/cluster/wire"
	"github.com/stadsnat/accessd/store"
	"github.com/stadsnat/accessd/store/inventory"
)

// invApplier is the cluster.InventoryApplier on the store: an edge's (and
// a further hub instance's) copy of the hub's inventory.
//
// A batch is applied with the import's checks — every access's fields
// (inventory.Validate) and what only the store can check (unique
// AccessIds, Option82 texts and circuits) — all of it or nothing, in one
// transaction with the stream position. A batch that fails them here
// (the edge's store holds a conflicting access of its own, or an older
// accessd checks more strictly than the hub) is refused as a whole: none
// of it is applied, the refusal and its problems are kept in the store
// and shown by accessctl cluster, counted
// (accessd_cluster_inventory_refused_batches_total) and logged as an
// error, and the position moves past it, so the edge goes on with the
// next batches rather than stall unseen. The accesses of a refused batch
// keep their previous values here until the hub changes them again.
type invApplier struct {
	db       *store.DB
	log      *slog.Logger
	m        *metrics
	external bool // a hub instance: what it applies is not its own to publish
}

// ApplyInventory implements cluster.InventoryApplier.
func (a *invApplier) ApplyInventory(ctx context.Context, changes []*wire.AccessChange, mark uint64) error {
	in := make([]store.Incoming, 0, len(changes))
	var removed, problems []string
	for i, c := range changes {
		if c.Removed {
			removed = append(removed, c.AccessID)
			continue
		}
		acc, err := inventoryAccess(c.Access)
		if err == nil {
			err = inventory.Validate(acc, inventory.JSON)
		}
		if err != nil {
			problems = append(problems, fmt.Sprintf("access %s: %v", c.AccessID, err))
			continue
		}
		in = append(in, store.Incoming{Line: i + 1, Access: acc})
	}
	if len(problems) == 0 {
		sum, err := a.db.Cluster().ApplyInventory(in, removed, mark, a.external)
		var ce *store.ConflictError
		if !errors.As(err, &ce) {
			if err == nil {
				a.log.Info("inventory applied from the hub", "created", sum.Created, "updated", sum.Updated,
					"unchanged", sum.Unchanged, "removed", sum.Removed, "mark", mark)
			}
			return paused(err)
		}
		for _, c := range ce.Conflicts {
			problems = append(problems, c.Error())
		}
	}
	return a.refuse(changes, mark, problems)
}

// refuse keeps a refused batch's problems and moves past it.
func (a *invApplier) refuse(changes []*wire.AccessChange, mark uint64, problems []string) error {
	const keep = 20
	shown := problems
	if len(shown) > keep {
		shown = append(shown[:keep:keep], fmt.Sprintf("… and %d more", len(problems)-keep))
	}
	if err := a.db.Cluster().RefuseInventory(mark, store.InventoryRefusal{At: time.Now().UTC(), Mark: mark,
		Changes: len(changes), Problems: shown}); err != nil {
		return paused(fmt.Errorf("record a refused inventory batch: %w", err))
	}
	a.m.inventoryRefused.Inc()
	a.log.Error("refused an inventory batch from the hub: it fails the import's checks here; none of it applied, going on with the next",
		"changes", len(changes), "problems", len(problems), "first_problem", problems[0], "mark", mark)
	return nil
}

// InventoryMark implements cluster.InventoryApplier.
func (a *invApplier) InventoryMark(ctx context.Context) (uint64, error) {
	return a.db.Cluster().InventoryMark()
}

// inventoryAccess is a wire access in the inventory's form (the same
// JSON).
func inventoryAccess(w *wire.Access) (inventory.Access, error) {
	var a inventory.Access
	b, err := json.Marshal(w)
	if err != nil {
		return a, err
	}
	return a, json.Unmarshal(b, &a)
}

// wireAccess is an access in the wire's form; the plant stays behind.
func wireAccess(a *inventory.Access) (*wire.Access, error) {
	x := *a
	x.Plant = nil
	b, err := json.Marshal(&x)
	if err != nil {
		return nil, err
	}
	var w wire.Access
	return &w, json.Unmarshal(b, &w)
}

// invPublisher publishes a hub instance's own inventory changes: after
// each import (every path: accessctl import, the import API, a pull, a
// removal) the batches of the store's change feed after the position it
// published up to, each as one batch (PublishInventory), the position
// moved on once the batch's commit is stored.
type invPublisher struct {
	node *cluster.Node
	db   *store.DB
	log  *slog.Logger
	m    *metrics
	// readOnly: the last failure was the store's read-only mode (logged
	// once).
	readOnly bool

	mu      sync.Mutex
	batches uint64
	last    time.Time
}

// invPage is how many changes one read of the feed gathers.
const invPage = 5000

func (p *invPublisher) run(ctx context.Context) error {
	var gen uint64
	bo := cluster.Backoff{}
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for ctx.Err() == nil {
		g, err := p.db.Inventory().Generation()
		if err == nil && g != gen {
			if err = p.publish(ctx); err == nil {
				gen = g
			}
		}
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			if !errors.Is(err, store.ErrReadOnly) || !p.readOnly {
				p.log.Warn("cannot publish the inventory; retrying", "err", err)
			}
			// The published position cannot be recorded on a full disk:
			// say it once and go on trying (a repeated batch is harmless).
			p.readOnly = errors.Is(err, store.ErrReadOnly)
			bo.Wait(ctx)
			continue
		}
		bo.Reset()
		select {
		case <-ctx.Done():
		case <-t.C:
		}
	}
	return nil
}

// publish publishes every batch not published yet.
func (p *invPublisher) publish(ctx context.Context) error {
	for {
		bs, err := p.db.Cluster().InventoryBatches(invPage)
		if err != nil {
			return fmt.Errorf("read the inventory's changes: %w", err)
		}
		if len(bs) == 0 {
			return nil
		}
		for _, b := range bs {
			if len(b.Changes) > 0 {
				msgs, err := batchMessages(&b)
				if err != nil {
					return err
				}
				if err := p.node.PublishInventory(ctx, b.Seq, msgs); err != nil {
					return fmt.Errorf("publish inventory batch %d: %w", b.Seq, err)
				}
				p.m.inventoryBatches.Inc()
				p.mu.Lock()
				p.batches, p.last = p.batches+1, time.Now()
				p.mu.Unlock()
				p.log.Info("inventory batch published", "batch", b.Seq, "changes", len(b.Changes))
			}
			if err := p.db.Cluster().SetInventoryPublished(b.End); err != nil {
				return fmt.Errorf("record the published inventory: %w", err)
			}
		}
	}
}

func batchMessages(b *store.InventoryBatch) ([]*wire.Message, error) {
	out := make([]*wire.Message, 0, len(b.Changes))
	for i := range b.Changes {
		r := &b.Changes[i]
		ch := &wire.AccessChange{Batch: b.Seq, AccessID: r.AccessID, Removed: r.Removed}
		if !r.Removed {
			w, err := wireAccess(&r.Access)
			if err != nil {
				return nil, fmt.Errorf("access %s: %w", r.AccessID, err)
			}
			ch.Access = w
		}
		out = append(out, &wire.Message{Seq: r.Seq, At: r.Modified.UTC(), Payload: ch})
	}
	return out, nil
}

func (p *invPublisher) state() (uint64, time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.batches, p.last
}
