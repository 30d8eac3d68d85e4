package store

import (
	"bytes"
	"encoding/binary"
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
// Orders.View, read-write inside Orders.Batch. Everything it returns is a copy
// that stays valid after the transaction.
type OrderTx struct {
	tx  *bolt.Tx
	now time.Time
	db  *DB
	out *OutboxTx // the transaction's outbox appender, made when first needed
	// remote: the writes apply another accessd's report (OrderChange.Remote).
	remote bool
}

// Now is the store clock's time at the start of the transaction.
func (o *OrderTx) Now() time.Time { return o.now }

func (o *OrderTx) b(name []byte) *bolt.Bucket { return o.tx.Bucket(name) }

// ErrExists is returned (wrapped) when a record that must be new exists.
var ErrExists = errors.New("already exists")

// View runs fn in a read transaction.
func (ov Orders) View(fn func(*OrderTx) error) error {
	return ov.db.view(func(tx *bolt.Tx) error { return fn(&OrderTx{tx: tx, now: ov.db.now(), db: ov.db}) })
}

// Batch runs every fn in one write transaction, committed (and so
// durable) before it returns: the group commit of many small order writes.
// When a fn fails, the transaction is rolled back and every fn is run again
// alone in its own transaction, so one failure fails only its own fn; a fn
// must therefore leave nothing behind but its writes to the transaction
// (set results afresh each time it runs). errs[i] is fn i's error.
func (ov Orders) Batch(fns []func(*OrderTx) error) []error {
	errs := make([]error, len(fns))
	err := ov.db.update(func(tx *bolt.Tx) error {
		o := &OrderTx{tx: tx, now: ov.db.stamp(), db: ov.db}
		for _, fn := range fns {
			if err := fn(o); err != nil {
				return err
			}
		}
		return ov.db.commitStamp(tx.Bucket(bucketMeta), o.now, tx)
	})
	if err == nil || len(fns) == 1 {
		for i := range errs {
			errs[i] = err
		}
		return errs
	}
	for i, fn := range fns {
		errs[i] = ov.db.update(func(tx *bolt.Tx) error {
			o := &OrderTx{tx: tx, now: ov.db.stamp(), db: ov.db}
			if err := fn(o); err != nil {
				return err
			}
			return ov.db.commitStamp(tx.Bucket(bucketMeta), o.now, tx)
		})
	}
	return errs
}

// Access returns the live access id; a missing or removed one is ErrNotFound.
func (o *OrderTx) Access(id string) (AccessRecord, error) {
	v := o.b(bucketAccesses).Get([]byte(id))
	if v == nil {
		return AccessRecord{}, fmt.Errorf("access %q: %w", id, ErrNotFound)
	}
	rec, err := openRecord([]byte(id), v)
	if err != nil {
		return rec, err
	}
	if rec.Removed {
		return rec, fmt.Errorf("access %q: removed: %w", id, ErrNotFound)
	}
	return rec, nil
}

// HasAccess reports whether access id is in the inventory and not
// removed, reading its record in place (no copy).
func (o *OrderTx) HasAccess(id string) (bool, error) {
	k := []byte(id)
	v := o.b(bucketAccesses).Get(k)
	if v == nil {
		return false, nil
	}
	var rec AccessRecord
	if err := openRecordView(&rec, k, v); err != nil {
		return false, err
	}
	return !rec.Removed, nil
}

// Order finds an order by id.
func (o *OrderTx) Order(id string) (Order, error) {
	seq, err := get(o.tx, bucketOrderID, []byte(id))
	if err != nil {
		return Order{}, err
	}
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
	return decodeJSON[Order](bucketOrders, seq, v)
}

// OrderByKey finds the order created with an idempotency key.
func (o *OrderTx) OrderByKey(key string) (Order, bool, error) {
	seq, err := get(o.tx, bucketOrderKey, []byte(key))
	if err != nil {
		return Order{}, false, err
	}
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
	if err := put(o.tx, bucketOrderID, []byte(ord.ID), s); err != nil {
		return err
	}
	if key != "" {
		if err := put(o.tx, bucketOrderKey, []byte(key), s); err != nil {
			return err
		}
	}
	if err := o.b(bucketOrderAccess).Put(key2(ord.AccessID, seq), nil); err != nil {
		return err
	}
	if err := o.b(bucketOrderOwner).Put(key2(ord.Owner, seq), nil); err != nil {
		return err
	}
	if err := indexAtlasOrder(o.b(bucketOrderAtlas), ord, seal(s)); err != nil {
		return err
	}
	if err := o.putOrder(ord, nil); err != nil {
		return err
	}
	if err := o.logChange(Create, ObjectOrder, ord.ID, ord.AccessID, ord.Owner); err != nil {
		return err
	}
	if err := o.logOrder(ord); err != nil {
		return err
	}
	return o.orderChanged(nil, ord)
}

// logChange writes an entry of the change log (ON-API events) at the
// transaction's stamp.
func (o *OrderTx) logChange(kind ChangeKind, object, id, accessID, owner string) error {
	return logChange(o.b(bucketChangeLog), nil, o.now, Change{Kind: kind, Object: object, ID: id, AccessID: accessID, Owner: owner})
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
	if err := o.logChange(Update, ObjectOrder, ord.ID, ord.AccessID, ord.Owner); err != nil {
		return err
	}
	if ord.State != old.State {
		if err := o.logOrder(ord); err != nil {
			return err
		}
	}
	return o.orderChanged(&old, ord)
}

// putOrder writes the record and keeps order_open/, order_due/ and the
// counters right.
func (o *OrderTx) putOrder(ord, old *Order) error {
	s := u64(ord.Seq)
	if err := putJSON(o.tx, bucketOrders, s, ord); err != nil {
		return err
	}
	if old != nil {
		if err := o.b(bucketOrderDue).Delete(dueKey(old.Due, old.Seq)); err != nil {
			return err
		}
		if err := o.addStat(old.State, -1); err != nil {
			return err
		}
	}
	if err := o.addStat(ord.State, 1); err != nil {
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
		ev, err := rawJSON[OrderEvent]("order event", v) // before records were sealed
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
	return seq, putJSON(o.tx, bucketOrderEvents, u64(seq), ev)
}

// addStat moves the count of orders in state st by delta (a sealed
// counter).
func (o *OrderTx) addStat(st OrderState, delta int) error {
	n, err := o.stat(st)
	if err != nil {
		return err
	}
	return put(o.tx, bucketOrderStats, []byte(st), binary.BigEndian.AppendUint64(nil, uint64(n+delta)))
}

// stat is the count of orders in state st.
func (o *OrderTx) stat(st OrderState) (int, error) {
	v, err := get(o.tx, bucketOrderStats, []byte(st))
	if err != nil || len(v) != 8 {
		return 0, err
	}
	return int(binary.BigEndian.Uint64(v)), nil
}
