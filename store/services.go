package store

import (
	"bytes"
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// Services returns the services active on an access, in subscription id
// order.
func (o *OrderTx) Services(accessID string) ([]Service, error) {
	var out []Service
	p := append([]byte(accessID), 0)
	c := o.b(bucketServices).Cursor()
	for k, v := c.Seek(p); k != nil && bytes.HasPrefix(k, p); k, v = c.Next() {
		s, err := decodeJSON[Service](bucketServices, k, v)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// ServiceBySubscription finds an active service by its subscription id.
func (o *OrderTx) ServiceBySubscription(id string) (Service, error) {
	acc, err := get(o.tx, bucketServiceSub, []byte(id))
	if err != nil {
		return Service{}, err
	}
	if acc == nil {
		return Service{}, fmt.Errorf("subscription %q: %w", id, ErrNotFound)
	}
	k := keyStr(string(acc), id)
	v := o.b(bucketServices).Get(k)
	if v == nil {
		return Service{}, fmt.Errorf("subscription %q: %w", id, ErrNotFound)
	}
	return decodeJSON[Service](bucketServices, k, v)
}

// servicesChanged bumps the services' change sequence, part of the look-up
// generation (lookupcache.go): every write of the services bucket calls
// it, so a kept AccessServices answer never outlives a change.
func servicesChanged(tx *bolt.Tx) error {
	_, err := tx.Bucket(bucketServices).NextSequence()
	return err
}

// AccessServices is an access and the services active on it, as
// Orders.AccessServices reads them. Callers must not change it: the
// look-up cache gives the same one to every caller of its generation.
type AccessServices struct {
	Access   AccessRecord
	Services []Service
}

// AccessServices reads access id (ErrNotFound when missing or removed) and
// its active services: from the look-up cache of the current generation
// (Atlas port_status, thousands a second), else one read transaction.
func (ov Orders) AccessServices(id string) (*AccessServices, error) {
	var kb [80]byte
	a, err := ov.db.lookup(appendServicesKey(kb[:0], id), func(tx *bolt.Tx) (lookupAnswer, error) {
		o := &OrderTx{tx: tx, db: ov.db}
		rec, err := o.Access(id)
		switch {
		case errors.Is(err, ErrNotFound):
			return lookupAnswer{err: err}, nil
		case err != nil:
			return lookupAnswer{}, err
		}
		svcs, err := o.Services(id)
		return lookupAnswer{view: &AccessServices{Access: rec, Services: svcs}}, err
	})
	if err != nil {
		return nil, err
	}
	return a.view, a.err
}

// PutService stores a new or changed active service. A new one goes to
// the change log as service-started, a change as service-changed.
func (o *OrderTx) PutService(s *Service) error {
	if s.SubscriptionID == "" || s.AccessID == "" {
		return fmt.Errorf("put service: subscription id and access id are required")
	}
	k := keyStr(s.AccessID, s.SubscriptionID)
	kind := EventServiceChanged
	if old := o.b(bucketServices).Get(k); old == nil {
		acc, err := get(o.tx, bucketServiceSub, []byte(s.SubscriptionID))
		if err != nil {
			return err
		}
		if acc != nil {
			return fmt.Errorf("put service: subscription %q is on access %q: %w", s.SubscriptionID, acc, ErrExists)
		}
		kind = EventServiceStarted
	} else {
		prev, err := decodeJSON[Service](bucketServices, k, old)
		if err != nil {
			return err
		}
		if prev.Owner != s.Owner {
			if err := o.b(bucketServiceOwner).Delete(keyStr(prev.Owner, s.AccessID, s.SubscriptionID)); err != nil {
				return err
			}
		}
	}
	if err := putJSON(o.tx, bucketServices, k, s); err != nil {
		return err
	}
	if err := put(o.tx, bucketServiceSub, []byte(s.SubscriptionID), []byte(s.AccessID)); err != nil {
		return err
	}
	if err := servicesChanged(o.tx); err != nil {
		return err
	}
	if err := o.b(bucketServiceOwner).Put(keyStr(s.Owner, s.AccessID, s.SubscriptionID), nil); err != nil {
		return err
	}
	change := Update
	if kind == EventServiceStarted {
		change = Create
	}
	if err := o.logChange(change, ObjectSubscription, s.SubscriptionID, s.AccessID, s.Owner); err != nil {
		return err
	}
	_, err := o.logEvent(&OrderEvent{Kind: kind, OrderID: s.OrderID, Owner: s.Owner, AccessID: s.AccessID, Service: s.UID,
		Message: s.Message, SubscriptionID: s.SubscriptionID})
	return err
}

// EndService removes an active service; the change log records by which
// order (orderID may be empty).
func (o *OrderTx) EndService(subscriptionID, orderID string) error {
	s, err := o.ServiceBySubscription(subscriptionID)
	if err != nil {
		return err
	}
	if err := o.b(bucketServices).Delete(keyStr(s.AccessID, s.SubscriptionID)); err != nil {
		return err
	}
	if err := o.b(bucketServiceSub).Delete([]byte(s.SubscriptionID)); err != nil {
		return err
	}
	if err := servicesChanged(o.tx); err != nil {
		return err
	}
	if err := o.b(bucketServiceOwner).Delete(keyStr(s.Owner, s.AccessID, s.SubscriptionID)); err != nil {
		return err
	}
	if err := o.logChange(Delete, ObjectSubscription, s.SubscriptionID, s.AccessID, s.Owner); err != nil {
		return err
	}
	_, err = o.logEvent(&OrderEvent{Kind: EventServiceEnded, OrderID: orderID, Owner: s.Owner, AccessID: s.AccessID,
		Service: s.UID, SubscriptionID: s.SubscriptionID})
	return err
}

// EachServiceOf calls fn for every active service of owner, by access id,
// from one read transaction: what PI-API's services/ streams. fn must not
// keep the transaction's memory (Service values are decoded copies).
func (ov Orders) EachServiceOf(owner string, fn func(Service) error) error {
	return ov.db.view(func(tx *bolt.Tx) error {
		svc := tx.Bucket(bucketServices)
		p := append([]byte(owner), 0)
		c := tx.Bucket(bucketServiceOwner).Cursor()
		for k, _ := c.Seek(p); k != nil && bytes.HasPrefix(k, p); k, _ = c.Next() {
			v := svc.Get(k[len(p):])
			if v == nil {
				return fmt.Errorf("service index entry %q has no service", k)
			}
			s, err := decodeJSON[Service](bucketServices, k[len(p):], v)
			if err != nil {
				return err
			}
			if err := fn(s); err != nil {
				return err
			}
		}
		return nil
	})
}
