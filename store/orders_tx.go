package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Bucket names of orders and services. See doc.go for the tree.
var (
	bucketOrders      = []byte("orders")
	bucketOrderID     = []byte("order_id")
	bucketOrderKey    = []byte("order_key")
	bucketOrderAccess = []byte("order_access")
	bucketOrderOwner  = []byte("order_owner")
	bucketOrderOpen   = []byte("order_open")
	bucketOrderDue    = []byte("order_due")
	bucketOrderEvents = []byte("order_events")
	bucketOrderFeed   = []byte("order_feed")
	// bucketOrderStateFeed is ON-API's orderevents: every change of state
	// (migration 6).
	bucketOrderStateFeed = []byte("order_state_feed")
	bucketOrderHistory   = []byte("order_history")
	bucketServices       = []byte("services")
	bucketServiceSub     = []byte("service_sub")
	bucketServiceOwner   = []byte("service_owner")
	bucketOrderStats     = []byte("order_stats")
)

func orderBuckets() [][]byte {
	return [][]byte{bucketOrders, bucketOrderID, bucketOrderKey, bucketOrderAccess, bucketOrderOwner, bucketOrderOpen,
		bucketOrderDue, bucketOrderEvents, bucketOrderFeed, bucketOrderHistory, bucketServices, bucketServiceSub,
		bucketServiceOwner, bucketOrderStats}
}

func migrateCreateOrderBuckets(tx *bolt.Tx) error {
	for _, b := range orderBuckets() {
		if _, err := tx.CreateBucketIfNotExists(b); err != nil {
			return err
		}
	}
	return nil
}

// OrderTx is one transaction on orders and services: read-only inside
// OrderView, read-write inside OrderBatch. Everything it returns is a copy
// that stays valid after the transaction.
type OrderTx struct {
	tx  *bolt.Tx
	now time.Time
}

// Now is the store clock's time at the start of the transaction.
func (o *OrderTx) Now() time.Time { return o.now }

func (o *OrderTx) b(name []byte) *bolt.Bucket { return o.tx.Bucket(name) }

// ErrExists is returned (wrapped) when a record that must be new exists.
var ErrExists = errors.New("already exists")

// OrderView runs fn in a read transaction.
func (d *DB) OrderView(fn func(*OrderTx) error) error {
	return d.view(func(tx *bolt.Tx) error { return fn(&OrderTx{tx: tx, now: d.now()}) })
}

// OrderBatch runs every fn in one write transaction, committed (and so
// durable) before it returns: the group commit of many small order writes.
// When a fn fails, the transaction is rolled back and every fn is run again
// alone in its own transaction, so one failure fails only its own fn; a fn
// must therefore leave nothing behind but its writes to the transaction
// (set results afresh each time it runs). errs[i] is fn i's error.
func (d *DB) OrderBatch(fns []func(*OrderTx) error) []error {
	errs := make([]error, len(fns))
	err := d.update(func(tx *bolt.Tx) error {
		o := &OrderTx{tx: tx, now: d.now()}
		for _, fn := range fns {
			if err := fn(o); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil || len(fns) == 1 {
		for i := range errs {
			errs[i] = err
		}
		return errs
	}
	for i, fn := range fns {
		errs[i] = d.update(func(tx *bolt.Tx) error { return fn(&OrderTx{tx: tx, now: d.now()}) })
	}
	return errs
}

// Access returns the live access id; a missing or removed one is ErrNotFound.
func (o *OrderTx) Access(id string) (AccessRecord, error) {
	v := o.b(bucketAccesses).Get([]byte(id))
	if v == nil {
		return AccessRecord{}, fmt.Errorf("access %q: %w", id, ErrNotFound)
	}
	rec, err := decodeRecord(v)
	if err != nil {
		return rec, err
	}
	if rec.Removed {
		return rec, fmt.Errorf("access %q: removed: %w", id, ErrNotFound)
	}
	return rec, nil
}

// Order finds an order by id.
func (o *OrderTx) Order(id string) (Order, error) {
	seq := o.b(bucketOrderID).Get([]byte(id))
	if len(seq) != 8 {
		return Order{}, fmt.Errorf("order %q: %w", id, ErrNotFound)
	}
	return o.orderAt(seq)
}

func (o *OrderTx) orderAt(seq []byte) (Order, error) {
	v := o.b(bucketOrders).Get(seq)
	if v == nil {
		return Order{}, fmt.Errorf("order #%d: %w", binary.BigEndian.Uint64(seq), ErrNotFound)
	}
	return decodeJSON[Order]("order", v)
}

// OrderByKey finds the order created with an idempotency key.
func (o *OrderTx) OrderByKey(key string) (Order, bool, error) {
	seq := o.b(bucketOrderKey).Get([]byte(key))
	if seq == nil {
		return Order{}, false, nil
	}
	ord, err := o.orderAt(seq)
	return ord, err == nil, err
}

// OrdersOfAccess returns the orders of an access, oldest first.
func (o *OrderTx) OrdersOfAccess(accessID string) ([]Order, error) {
	return o.ordersUnder(bucketOrderAccess, accessID, 0, func(Order) bool { return true })
}

// OpenOrdersOfAccess returns the RECEIVED and IN_PROGRESS orders of an access.
func (o *OrderTx) OpenOrdersOfAccess(accessID string) ([]Order, error) {
	return o.ordersUnder(bucketOrderAccess, accessID, 0, func(x Order) bool { return !x.State.Done() })
}

// ordersUnder walks an index "prefix 0x00 seq" and returns the orders keep
// accepts, oldest first; limit 0 = all.
func (o *OrderTx) ordersUnder(index []byte, prefix string, limit int, keep func(Order) bool) ([]Order, error) {
	var out []Order
	p := append([]byte(prefix), 0)
	c := o.b(index).Cursor()
	for k, _ := c.Seek(p); k != nil && bytes.HasPrefix(k, p) && len(k) == len(p)+8; k, _ = c.Next() {
		ord, err := o.orderAt(k[len(p):])
		if err != nil {
			return nil, err
		}
		if keep(ord) {
			out = append(out, ord)
			if limit > 0 && len(out) >= limit {
				break
			}
		}
	}
	return out, nil
}

// OrderFilter selects orders for Orders.
type OrderFilter struct {
	Owner    string     // "" = every owner
	AccessID string     // "" = every access
	State    OrderState // "" = every state
	Open     bool       // only RECEIVED and IN_PROGRESS
	Limit    int        // 0 = no limit
	Newest   bool       // newest first (else oldest first)
}

// Orders lists orders, using the smallest index the filter allows.
func (o *OrderTx) Orders(f OrderFilter) ([]Order, error) {
	keep := func(x Order) bool {
		return (f.Owner == "" || x.Owner == f.Owner) && (f.AccessID == "" || x.AccessID == f.AccessID) &&
			(f.State == "" || x.State == f.State) && (!f.Open || !x.State.Done())
	}
	var out []Order
	add := func(seq []byte) (bool, error) {
		ord, err := o.orderAt(seq)
		if err != nil {
			return false, err
		}
		if keep(ord) {
			out = append(out, ord)
		}
		return f.Limit > 0 && len(out) >= f.Limit, nil
	}
	var b *bolt.Bucket
	var prefix []byte
	switch {
	case f.Open || f.State == Received || f.State == InProgress:
		b = o.b(bucketOrderOpen)
	case f.AccessID != "":
		b, prefix = o.b(bucketOrderAccess), append([]byte(f.AccessID), 0)
	case f.Owner != "":
		b, prefix = o.b(bucketOrderOwner), append([]byte(f.Owner), 0)
	default:
		b = o.b(bucketOrders)
	}
	c := b.Cursor()
	seqOf := func(k []byte) []byte { return k[len(prefix):] }
	inRange := func(k []byte) bool { return k != nil && bytes.HasPrefix(k, prefix) && len(k) == len(prefix)+8 }
	if f.Newest {
		var k []byte
		if prefix == nil {
			k, _ = c.Last()
		} else {
			end := append(bytes.Clone(prefix[:len(prefix)-1]), 1) // the key after every "prefix 0x00 …"
			if k, _ = c.Seek(end); k == nil {
				k, _ = c.Last()
			} else {
				k, _ = c.Prev()
			}
		}
		for ; inRange(k); k, _ = c.Prev() {
			if stop, err := add(seqOf(k)); err != nil || stop {
				return out, err
			}
		}
		return out, nil
	}
	for k, _ := c.Seek(prefix); inRange(k); k, _ = c.Next() {
		if stop, err := add(seqOf(k)); err != nil || stop {
			return out, err
		}
	}
	return out, nil
}

// CreateOrder stores a new order: ord.ID must be set and unused; Seq,
// Created and Updated are set. key, when not empty, is an idempotency key
// that must be unused (see OrderByKey). The order's creation goes to the
// change log.
func (o *OrderTx) CreateOrder(ord *Order, key string) error {
	if ord.ID == "" {
		return errors.New("create order: no id")
	}
	if o.b(bucketOrderID).Get([]byte(ord.ID)) != nil {
		return fmt.Errorf("create order %q: %w", ord.ID, ErrExists)
	}
	if key != "" && o.b(bucketOrderKey).Get([]byte(key)) != nil {
		return fmt.Errorf("create order: key %q: %w", key, ErrExists)
	}
	seq, err := o.b(bucketOrders).NextSequence()
	if err != nil {
		return err
	}
	ord.Seq = seq
	ord.Created, ord.Updated = o.now, o.now
	if !ord.State.Valid() {
		ord.State = Received
	}
	s := u64(seq)
	if err := o.b(bucketOrderID).Put([]byte(ord.ID), s); err != nil {
		return err
	}
	if key != "" {
		if err := o.b(bucketOrderKey).Put([]byte(key), s); err != nil {
			return err
		}
	}
	if err := o.b(bucketOrderAccess).Put(key2(ord.AccessID, seq), nil); err != nil {
		return err
	}
	if err := o.b(bucketOrderOwner).Put(key2(ord.Owner, seq), nil); err != nil {
		return err
	}
	if err := o.putOrder(ord, nil); err != nil {
		return err
	}
	return o.logOrder(ord)
}

// UpdateOrder writes a changed order: its state, message, due time or
// other fields. A state change goes to the change log (and, for
// DONE_SUCCESS/DONE_FAILED, to the owner's order event feed). A final
// state never changes again.
func (o *OrderTx) UpdateOrder(ord *Order) error {
	old, err := o.Order(ord.ID)
	if err != nil {
		return err
	}
	if old.Seq != ord.Seq {
		return fmt.Errorf("update order %q: sequence %d is not the stored %d", ord.ID, ord.Seq, old.Seq)
	}
	if old.State.Done() && ord.State != old.State {
		return fmt.Errorf("update order %q: it is %s and cannot become %s", ord.ID, old.State, ord.State)
	}
	if !ord.State.Valid() {
		return fmt.Errorf("update order %q: invalid state %q", ord.ID, ord.State)
	}
	ord.Updated = o.now
	if err := o.putOrder(ord, &old); err != nil {
		return err
	}
	if ord.State != old.State {
		return o.logOrder(ord)
	}
	return nil
}

// putOrder writes the record and keeps order_open/, order_due/ and the
// counters right.
func (o *OrderTx) putOrder(ord, old *Order) error {
	v, err := json.Marshal(ord)
	if err != nil {
		return err
	}
	s := u64(ord.Seq)
	if err := o.b(bucketOrders).Put(s, v); err != nil {
		return err
	}
	if old != nil {
		if err := o.b(bucketOrderDue).Delete(dueKey(old.Due, old.Seq)); err != nil {
			return err
		}
		if err := addUint(o.b(bucketOrderStats), []byte(old.State), -1); err != nil {
			return err
		}
	}
	if err := addUint(o.b(bucketOrderStats), []byte(ord.State), 1); err != nil {
		return err
	}
	if ord.State == Received {
		if err := o.b(bucketOrderDue).Put(dueKey(ord.Due, ord.Seq), nil); err != nil {
			return err
		}
	}
	if ord.State.Done() {
		return o.b(bucketOrderOpen).Delete(s)
	}
	return o.b(bucketOrderOpen).Put(s, nil)
}

func (o *OrderTx) logOrder(ord *Order) error {
	ev := OrderEvent{Kind: EventOrderState, OrderID: ord.ID, Owner: ord.Owner, AccessID: ord.AccessID, Service: ord.Service,
		Operation: ord.Operation, State: ord.State, Message: ord.Message, SubscriptionID: ord.SubscriptionID}
	seq, err := o.logEvent(&ev)
	if err != nil {
		return err
	}
	if err := o.b(bucketOrderHistory).Put(append(u64(ord.Seq), u64(seq)...), nil); err != nil {
		return err
	}
	if err := o.b(bucketOrderStateFeed).Put(key2(ord.Owner, seq), nil); err != nil {
		return err
	}
	if ord.State.Done() {
		return o.b(bucketOrderFeed).Put(key2(ord.Owner, seq), nil)
	}
	return nil
}

// migrateOrderStateFeed creates order_state_feed/ and fills it from the
// change log: every order event, per owner.
func migrateOrderStateFeed(tx *bolt.Tx) error {
	feed, err := tx.CreateBucketIfNotExists(bucketOrderStateFeed)
	if err != nil {
		return err
	}
	return tx.Bucket(bucketOrderEvents).ForEach(func(k, v []byte) error {
		ev, err := decodeJSON[OrderEvent]("order event", v)
		if err != nil {
			return err
		}
		if ev.Kind != EventOrderState {
			return nil
		}
		return feed.Put(key2(ev.Owner, ev.Seq), nil)
	})
}

func (o *OrderTx) logEvent(ev *OrderEvent) (uint64, error) {
	b := o.b(bucketOrderEvents)
	seq, err := b.NextSequence()
	if err != nil {
		return 0, err
	}
	ev.Seq, ev.Time = seq, o.now
	v, err := json.Marshal(ev)
	if err != nil {
		return 0, err
	}
	return seq, b.Put(u64(seq), v)
}

// Due returns RECEIVED orders due at or before t, earliest first, at most
// limit (0 = all).
func (o *OrderTx) Due(t time.Time, limit int) ([]Order, error) {
	var out []Order
	end := dueKey(t, ^uint64(0))
	c := o.b(bucketOrderDue).Cursor()
	for k, _ := c.First(); k != nil && bytes.Compare(k, end) <= 0; k, _ = c.Next() {
		ord, err := o.orderAt(k[8:])
		if err != nil {
			return nil, err
		}
		out = append(out, ord)
		if limit > 0 && len(out) >= limit {
			break
		}
	}
	return out, nil
}

// NextDue is when the earliest RECEIVED order is due; false when none is.
func (o *OrderTx) NextDue() (time.Time, bool) {
	k, _ := o.b(bucketOrderDue).Cursor().First()
	if len(k) != 16 {
		return time.Time{}, false
	}
	return time.Unix(0, int64(binary.BigEndian.Uint64(k))), true
}

// NextDueAfter is when the earliest RECEIVED order due after t is due.
func (o *OrderTx) NextDueAfter(t time.Time) (time.Time, bool) {
	k, _ := o.b(bucketOrderDue).Cursor().Seek(dueKey(t.Add(time.Nanosecond), 0))
	if len(k) != 16 {
		return time.Time{}, false
	}
	return time.Unix(0, int64(binary.BigEndian.Uint64(k))), true
}

// InProgress returns the orders left IN_PROGRESS (by a stop in the middle
// of their activation hook).
func (o *OrderTx) InProgress() ([]Order, error) {
	var out []Order
	c := o.b(bucketOrderOpen).Cursor()
	for k, _ := c.First(); k != nil; k, _ = c.Next() {
		ord, err := o.orderAt(k)
		if err != nil {
			return nil, err
		}
		if ord.State == InProgress {
			out = append(out, ord)
		}
	}
	return out, nil
}

// Feed selects an order event feed.
type Feed int

// The feeds: PI-API's orderevents has only DONE_SUCCESS and DONE_FAILED,
// ON-API's every change of state ("when an order state changes an event
// row is created", orderevents.md).
const (
	FeedDone Feed = iota
	FeedStates
)

func (f Feed) bucket() []byte {
	if f == FeedStates {
		return bucketOrderStateFeed
	}
	return bucketOrderFeed
}

// OrderEvents returns the events of the owner's order event feed after the
// event since (0 = from the start), oldest first, at most limit (0 = all).
func (o *OrderTx) OrderEvents(owner string, feed Feed, since uint64, limit int) ([]OrderEvent, error) {
	var out []OrderEvent
	p := append([]byte(owner), 0)
	c := o.b(feed.bucket()).Cursor()
	for k, _ := c.Seek(key2(owner, since+1)); k != nil && bytes.HasPrefix(k, p) && len(k) == len(p)+8; k, _ = c.Next() {
		ev, err := o.event(k[len(p):])
		if err != nil {
			return nil, err
		}
		out = append(out, ev)
		if limit > 0 && len(out) >= limit {
			break
		}
	}
	return out, nil
}

// FeedHas reports whether seq is an event of the owner's feed.
func (o *OrderTx) FeedHas(owner string, feed Feed, seq uint64) bool {
	return o.b(feed.bucket()).Get(key2(owner, seq)) != nil
}

func (o *OrderTx) event(seq []byte) (OrderEvent, error) {
	v := o.b(bucketOrderEvents).Get(seq)
	if v == nil {
		return OrderEvent{}, fmt.Errorf("event #%d: %w", binary.BigEndian.Uint64(seq), ErrNotFound)
	}
	return decodeJSON[OrderEvent]("order event", v)
}

// History returns the change-log entries of one order, oldest first.
func (o *OrderTx) History(ord *Order) ([]OrderEvent, error) {
	var out []OrderEvent
	p := u64(ord.Seq)
	c := o.b(bucketOrderHistory).Cursor()
	for k, _ := c.Seek(p); k != nil && bytes.HasPrefix(k, p); k, _ = c.Next() {
		ev, err := o.event(k[8:])
		if err != nil {
			return nil, err
		}
		out = append(out, ev)
	}
	return out, nil
}

// OrderStats counts orders by state.
func (o *OrderTx) OrderStats() map[OrderState]int {
	out := map[OrderState]int{}
	for _, s := range []OrderState{Received, InProgress, DoneSuccess, DoneFailed} {
		out[s] = int(getUint(o.b(bucketOrderStats), []byte(s)))
	}
	return out
}
