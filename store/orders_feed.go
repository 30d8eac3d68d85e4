package store

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"time"
)

// The scheduler's queue and the change log of orders: what is due, the
// per-owner event feeds of PI-API and ON-API, an order's history.

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
	return decodeJSON[OrderEvent](bucketOrderEvents, seq, v)
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
		out[s], _ = o.stat(s) // a damaged counter counts 0; the error is the record's
	}
	return out
}
