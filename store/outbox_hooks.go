package store

import (
	"maps"
	"slices"

	bolt "go.etcd.io/bbolt"
)

// How other domains add outbox entries inside their own transactions,
// without the store knowing any upstream system: the domain code that
// knows what an upstream must learn registers ChangeHooks, and the store
// calls them in every transaction that changes an order, an access, DHCP
// bindings or port states, before it commits. An entry a hook appends is
// therefore durable exactly when the change is, and a hook's error rolls
// the change back. Code that holds an OrderTx may also append directly
// with OrderTx.Outbox.
//
// Several owners (the upstream subsystem, the cluster) register hooks of
// their own (SetHooksFor); every owner's hooks run, in the order of the
// owners' names. A kind of change that no owner hooks costs its
// transaction one length check: a standalone box appends nothing.

// OrderChange is an order written in an order transaction.
type OrderChange struct {
	// Old is the order as it was; nil when this write created it.
	Old *Order
	// Order is the order as written.
	Order *Order
	// Remote is set when the write applies what another accessd reported
	// (a hub instance recording the outcome of an order another instance
	// ran): its own entries were made where the change happened.
	Remote bool
}

// AccessChange is an access written by an import or a removal.
type AccessChange struct {
	// Old is the live access as it was; nil when it is new (or revived
	// from a tombstone).
	Old *AccessRecord
	// Access is the record as written (Removed for a removal).
	Access *AccessRecord
}

// PortChange is a port state written by a PortWriter batch (the poller
// hands over only ports whose state changed), or a port removed.
type PortChange struct {
	Key PortKey
	// Access is the access on the port when the writer was told (see
	// PortUpdate.Access); "" unknown.
	Access string
	// Record is the state as written; nil when the port was removed.
	Record *PortRecord
	// Transition is the history entry the change made (the link, the
	// admin status, the speed while up, a problem, a flap); nil when it
	// made none, and on removal.
	Transition *PortTransition
}

// ChangeHooks are called inside the write transactions of other domains.
// A hook must be quick and must not block (no network): it runs under the
// store's write lock. A nil hook is not called.
type ChangeHooks struct {
	// Order is called for every order created or updated (Orders.Batch,
	// whoever the writer is).
	Order func(x *OutboxTx, c OrderChange) error
	// Access is called for every access an import creates, changes or
	// removes, and for RemoveAccess.
	Access func(x *OutboxTx, c AccessChange) error
	// Bindings is called once per DHCP group commit (Bindings.Commit) that
	// writes bindings or unknown circuits, after its writes; c is the
	// commit (the new values of the changed bindings).
	Bindings func(x *OutboxTx, c *BindingCommit) error
	// Ports is called once per PortWriter transaction, with every port it
	// wrote or removed, in the order written.
	Ports func(x *OutboxTx, changes []PortChange) error
}

// hookCalls are the non-nil hooks of every owner, by kind.
type hookCalls struct {
	order    []func(*OutboxTx, OrderChange) error
	access   []func(*OutboxTx, AccessChange) error
	bindings []func(*OutboxTx, *BindingCommit) error
	ports    []func(*OutboxTx, []PortChange) error
}

func hookCallsOf(byOwner map[string]ChangeHooks) hookCalls {
	var c hookCalls
	for _, owner := range slices.Sorted(maps.Keys(byOwner)) {
		h := byOwner[owner]
		if h.Order != nil {
			c.order = append(c.order, h.Order)
		}
		if h.Access != nil {
			c.access = append(c.access, h.Access)
		}
		if h.Bindings != nil {
			c.bindings = append(c.bindings, h.Bindings)
		}
		if h.Ports != nil {
			c.ports = append(c.ports, h.Ports)
		}
	}
	return c
}

// SetHooks sets the hooks of the owner "" (the upstream subsystem's).
func (v Outbox) SetHooks(h ChangeHooks) { v.SetHooksFor("", h) }

// SetHooksFor sets owner's hooks; the zero ChangeHooks removes them.
func (v Outbox) SetHooksFor(owner string, h ChangeHooks) {
	v.change(func(s *outboxSettings) {
		s.hooks = maps.Clone(s.hooks)
		if s.hooks == nil {
			s.hooks = map[string]ChangeHooks{}
		}
		if h.Order == nil && h.Access == nil && h.Bindings == nil && h.Ports == nil {
			delete(s.hooks, owner)
		} else {
			s.hooks[owner] = h
		}
		s.calls = hookCallsOf(s.hooks)
	})
}

// Outbox is the appender of the order transaction: entries appended here
// commit (or roll back) with the transaction's order changes. Only a
// write transaction (Orders.Batch) can append.
func (o *OrderTx) Outbox() *OutboxTx {
	if o.out == nil {
		o.out = o.db.newOutboxTx(o.tx, o.now)
	}
	return o.out
}

// orderChanged runs the Order hooks for a write of ord.
func (o *OrderTx) orderChanged(old, ord *Order) error {
	if o.db == nil {
		return nil
	}
	hs := o.db.outboxSettings().calls.order
	if len(hs) == 0 {
		return nil
	}
	c := OrderChange{Order: ord, Remote: o.remote}
	if old != nil {
		prev := *old
		c.Old = &prev
	}
	for _, h := range hs {
		if err := h(o.Outbox(), c); err != nil {
			return err
		}
	}
	return nil
}

// accessChanged runs the Access hooks for a write of rec in tx; *x is the
// transaction's appender, made when first needed.
func (d *DB) accessChanged(tx *bolt.Tx, x **OutboxTx, old, rec *AccessRecord) error {
	hs := d.outboxSettings().calls.access
	if len(hs) == 0 {
		return nil
	}
	if *x == nil {
		*x = d.newOutboxTx(tx, d.now())
	}
	for _, h := range hs {
		if err := h(*x, AccessChange{Old: old, Access: rec}); err != nil {
			return err
		}
	}
	return nil
}

// bindingsCommitted runs the Bindings hooks for the commit c in tx.
func (d *DB) bindingsCommitted(tx *bolt.Tx, c *BindingCommit) error {
	hs := d.outboxSettings().calls.bindings
	if len(hs) == 0 || len(c.Bindings)+len(c.Unknown)+len(c.UnknownGone) == 0 {
		return nil
	}
	x := d.newOutboxTx(tx, d.now())
	for _, h := range hs {
		if err := h(x, c); err != nil {
			return err
		}
	}
	return nil
}

// portsChanged runs the Ports hooks for the changes of one PortWriter
// transaction.
func (d *DB) portsChanged(tx *bolt.Tx, changes []PortChange) error {
	hs := d.outboxSettings().calls.ports
	if len(hs) == 0 || len(changes) == 0 {
		return nil
	}
	x := d.newOutboxTx(tx, d.now())
	for _, h := range hs {
		if err := h(x, changes); err != nil {
			return err
		}
	}
	return nil
}

// Remotely runs fn with the transaction's order writes marked Remote (see
// OrderChange): for an order taken from a hub's queue, or an outcome
// another instance reported.
func (o *OrderTx) Remotely(fn func() error) error {
	prev := o.remote
	o.remote = true
	defer func() { o.remote = prev }()
	return fn()
}
