package store

import (
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// What the Atlas order portal integration (serviceguide_log) keeps across
// restarts: the date of its last complete poll and what it knows of each
// portal order. None of it is personal data: ids, statuses, outcomes.
// Orders carrying an Atlas order id (AtlasRef.Order: the activation API's
// service_order parameter, or an order read from the portal) are indexed
// by it, so that an order is linked to its portal order, never duplicated.

var (
	bucketAtlasPortal       = []byte("atlas_portal")
	bucketAtlasPortalOrders = []byte("atlas_portal_orders")
	bucketOrderAtlas        = []byte("order_atlas")

	keyAtlasLastCheck = []byte("last_check")
)

// PortalOrder is what accessd knows of one order of the Atlas portal.
type PortalOrder struct {
	ID string `json:"id"`
	// LocalOrder is the local order it is, or is linked to ("" when none).
	LocalOrder string `json:"localOrder,omitempty"`
	// Portal is the highest status the portal is known to have.
	Portal string `json:"portal,omitempty"`
	// Sending is a status sent to the portal whose acknowledgement is not
	// recorded yet.
	Sending string `json:"sending,omitempty"`
	// ReadIn is set once the portal's order was handled.
	ReadIn  bool   `json:"readIn,omitempty"`
	Outcome string `json:"outcome,omitempty"`
	// Messages are the idempotency keys of the messages the portal
	// acknowledged.
	Messages []string  `json:"messages,omitempty"`
	Updated  time.Time `json:"updated"`
}

// AtlasPortal is the view of the Atlas portal integration's state.
type AtlasPortal struct{ db *DB }

// AtlasPortal returns the view of the Atlas portal's state.
func (d *DB) AtlasPortal() AtlasPortal { return AtlasPortal{d} }

// LastCheck is the local date (YYYY-MM-DD) of the last complete poll; ""
// before the first.
func (v AtlasPortal) LastCheck() (string, error) {
	var s string
	err := v.db.view(func(tx *bolt.Tx) error {
		b, err := get(tx, bucketAtlasPortal, keyAtlasLastCheck)
		s = string(b)
		return err
	})
	return s, err
}

// SetLastCheck stores the date of the last complete poll.
func (v AtlasPortal) SetLastCheck(date string) error {
	return v.db.update(func(tx *bolt.Tx) error {
		return put(tx, bucketAtlasPortal, keyAtlasLastCheck, []byte(date))
	})
}

// PortalOrder returns what is known of portal order id; ok is false when
// nothing is.
func (v AtlasPortal) PortalOrder(id string) (o PortalOrder, ok bool, err error) {
	err = v.db.view(func(tx *bolt.Tx) error {
		var err error
		ok, err = getJSON(tx, bucketAtlasPortalOrders, []byte(id), &o)
		return err
	})
	return o, ok, err
}

// PutPortalOrder stores o under o.ID, replacing what was there.
func (v AtlasPortal) PutPortalOrder(o PortalOrder) error {
	if o.ID == "" {
		return fmt.Errorf("atlas portal order: no id")
	}
	return v.db.update(func(tx *bolt.Tx) error {
		return putJSON(tx, bucketAtlasPortalOrders, []byte(o.ID), o)
	})
}

// indexAtlasOrder indexes an order by the Atlas order id it carries; the
// first order with an id keeps the index. seq is the value to store: the
// order's sequence sealed (codec.go), or as it is in migration 9, which
// runs before values are sealed (the sealing migration seals it).
func indexAtlasOrder(idx *bolt.Bucket, ord *Order, seq []byte) error {
	if ord.Atlas == nil || ord.Atlas.Order == "" || idx.Get([]byte(ord.Atlas.Order)) != nil {
		return nil
	}
	return idx.Put([]byte(ord.Atlas.Order), seq)
}

// OrderByAtlas finds the order that carries Atlas order id (the first one
// stored with it).
func (o *OrderTx) OrderByAtlas(id string) (Order, bool, error) {
	seq, err := get(o.tx, bucketOrderAtlas, []byte(id))
	if err != nil {
		return Order{}, false, err
	}
	if seq == nil {
		return Order{}, false, nil
	}
	ord, err := o.orderAt(seq)
	return ord, err == nil, err
}
