package clustersys

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/stadsnat/accessd/cmd/accessd/internal/cluster"
	"github.com/stadsnat/accessd/cmd/accessd/internal/cluster/wire"
	"github.com/stadsnat/accessd/store"
)

// The sinks of the store's outbox this subsystem delivers.
const (
	// SinkFacts holds this box's facts until they are in its stream.
	SinkFacts = "cluster-facts"
	// SinkOrders holds the orders placed with a hub instance until they
	// are on the hub's work queue.
	SinkOrders = "cluster-orders"
)

// hooks are the store hooks of the role: an edge reports its bindings,
// port changes, unknown circuits and order outcomes; a hub the outcomes
// of the orders it runs, and it queues the orders placed with it. They
// run inside the store's transactions: they only convert, check and
// append.
func (s *System) hooks() store.ChangeHooks {
	if s.opts.Role == cluster.Hub {
		return store.ChangeHooks{Order: s.hubOrderHook}
	}
	return store.ChangeHooks{Bindings: s.bindingsHook, Ports: s.portsHook, Order: s.outcomeHook}
}

// fact makes the outbox entry of one fact: keyed by what it is about (the
// outbox's compaction keeps the newest state of a key when it must). The
// payload is checked by the wire's rules here, once: the fact sink sends
// the JSON kept in the outbox as it is. A fact the wire refuses (ok
// false) is left out, counted and logged, and the change goes on.
func (s *System) fact(key string, p wire.Payload) (e store.OutboxEntry, ok bool, err error) {
	if err := wire.ValidatePayload(p); err != nil {
		if s.m != nil {
			s.m.factsDropped.Inc()
		}
		if s.log != nil {
			s.log.Error("a change makes no fact the wire takes; left it out", "kind", string(p.Kind()), "err", err)
		}
		return e, false, nil
	}
	b, err := json.Marshal(p)
	if err != nil {
		return e, false, fmt.Errorf("cluster fact %s %s: %w", p.Kind(), key, err)
	}
	k := string(p.Kind()) + "/" + key
	return store.OutboxEntry{Sink: SinkFacts, Key: k, IdempotencyKey: k, Kind: string(p.Kind()), Payload: b}, true, nil
}

// appendFact appends the fact of key to es unless the wire refuses it.
func (s *System) appendFact(es []store.OutboxEntry, key string, p wire.Payload) ([]store.OutboxEntry, error) {
	e, ok, err := s.fact(key, p)
	if ok {
		es = append(es, e)
	}
	return es, err
}

func (s *System) bindingsHook(x *store.OutboxTx, c *store.BindingCommit) error {
	es := make([]store.OutboxEntry, 0, len(c.Bindings)+len(c.Unknown)+len(c.UnknownGone))
	var err error
	for i := range c.Bindings {
		if es, err = s.appendFact(es, c.Bindings[i].MAC.String(), wireBinding(&c.Bindings[i])); err != nil {
			return err
		}
	}
	sortByKey(es)
	for i := range c.Unknown {
		if es, err = s.appendFact(es, c.Unknown[i].Key, wireUnknown(&c.Unknown[i])); err != nil {
			return err
		}
	}
	for _, k := range c.UnknownGone {
		if es, err = s.appendFact(es, k, &wire.UnknownCircuit{Key: k, Gone: true}); err != nil {
			return err
		}
	}
	return x.Append(es...)
}

func (s *System) portsHook(x *store.OutboxTx, cs []store.PortChange) error {
	es := make([]store.OutboxEntry, 0, len(cs))
	var err error
	for _, c := range cs {
		if c.Record == nil {
			continue // a port no longer polled: its last state stays at the hub until it goes stale
		}
		if es, err = s.appendFact(es, c.Key.Switch+" "+c.Key.Port, wireLink(c.Access, c.Record)); err != nil {
			return err
		}
	}
	sortByKey(es)
	return x.Append(es...)
}

// sortByKey puts facts of one kind from one commit in the order of their
// keys. A commit's order is no order the hub needs (one fact per key),
// while bbolt splits nodes only at commit: the outbox's index by key takes
// a whole DHCP group commit into one growing node, and inserting in the
// DHCP writer's map order moved that node around once per fact (a third
// of an edge's CPU at 20,000 facts/s).
func sortByKey(es []store.OutboxEntry) {
	slices.SortStableFunc(es, func(a, b store.OutboxEntry) int { return strings.Compare(a.Key, b.Key) })
}

// outcomeHook reports every state an order takes that is an outcome
// (IN_PROGRESS, DONE_*), unless the write recorded another instance's.
func (s *System) outcomeHook(x *store.OutboxTx, c store.OrderChange) error {
	o := c.Order
	if c.Remote || (c.Old != nil && c.Old.State == o.State) {
		return nil
	}
	switch o.State {
	case store.InProgress, store.DoneSuccess, store.DoneFailed:
	default:
		return nil
	}
	es, err := s.appendFact(nil, o.ID, wireOutcome(o, x.Now()))
	if err != nil || len(es) == 0 {
		return err
	}
	return x.Append(es...)
}

// hubOrderHook queues an order placed with this hub instance (it was
// created here, not taken from the queue) and reports outcomes.
func (s *System) hubOrderHook(x *store.OutboxTx, c store.OrderChange) error {
	if c.Old == nil && !c.Remote && c.Order.State == store.Received {
		b, err := json.Marshal(wireOrder(c.Order, true))
		if err != nil {
			return fmt.Errorf("cluster order %s: %w", c.Order.ID, err)
		}
		if err := x.Append(store.OutboxEntry{Sink: SinkOrders, Key: c.Order.ID, IdempotencyKey: c.Order.ID,
			Kind: string(wire.KindOrder), Payload: b}); err != nil {
			return err
		}
	}
	return s.outcomeHook(x, c)
}

// The conversions from the store's forms to the wire's.

func wireBinding(r *store.BindingRecord) *wire.Binding {
	b := &wire.Binding{MAC: r.MAC.String(), State: r.State.String(), Access: r.Access, Circuit: r.Circuit,
		RemoteID: r.RemoteID, CircuitID: r.CircuitID, Profile: r.Profile, FirstSeen: r.FirstSeen.UTC(),
		LastSeen: r.LastSeen.UTC(), Since: r.Since.UTC(), Ended: utcOrZero(r.Ended), Expires: utcOrZero(r.Expires),
		LeaseSeconds: uint32(max(0, min(r.LeaseTime.Seconds(), 1<<32-1))), Confirmed: r.Confirmed}
	if r.IP.Is4() {
		b.IP = r.IP.String()
	}
	if r.GIAddr.Is4() {
		b.GIAddr = r.GIAddr.String()
	}
	if r.Source != 0 {
		b.Source = r.Source.String()
	}
	if len(r.Option82) > 0 {
		b.Option82 = strings.ToUpper(hex.EncodeToString(r.Option82))
	}
	return b
}

func wireUnknown(u *store.UnknownCircuit) *wire.UnknownCircuit {
	w := &wire.UnknownCircuit{Key: u.Key, Reason: u.Reason, Profile: u.Profile, RemoteID: u.RemoteID, CircuitID: u.CircuitID,
		Option82: strings.ToUpper(u.Option82), Count: u.Count, FirstSeen: u.FirstSeen.UTC(), LastSeen: u.LastSeen.UTC()}
	if u.GIAddr.Is4() {
		w.GIAddr = u.GIAddr.String()
	}
	return w
}

func wireLink(access string, r *store.PortRecord) *wire.Link {
	return &wire.Link{Switch: r.Switch, Port: r.Port, Access: access, Link: string(r.Link), Admin: r.Admin, Oper: r.Oper,
		SpeedMbps: r.SpeedMbps, Since: r.Since.UTC(), SinceExact: r.SinceExact, PolledAt: r.PolledAt.UTC(),
		Reachable: r.Reachable, Source: r.Source, Problem: r.Problem}
}

func wireOutcome(o *store.Order, now time.Time) *wire.OrderOutcome {
	return &wire.OrderOutcome{OrderID: o.ID, AccessID: o.AccessID, Service: o.Service, Operation: string(o.Operation),
		State: string(o.State), Message: o.Message, SubscriptionID: o.SubscriptionID, Attempts: o.Attempts,
		Changed: now.UTC(), Order: wireOrder(o, false)}
}

// wireOrder is the order as the queue carries it; withCustomer keeps the
// customer (the queue's copy; an outcome never carries one).
func wireOrder(o *store.Order, withCustomer bool) *wire.Order {
	w := &wire.Order{OrderID: o.ID, Owner: o.Owner, Channel: o.Channel, AccessID: o.AccessID, Service: o.Service,
		Operation: string(o.Operation), SubscriptionID: o.SubscriptionID, ForcedTakeover: o.ForcedTakeover,
		SPReference: o.SPReference, SPSubscriptionID: o.SPSubscriptionID, Due: o.Due.UTC(), Requested: utcOrZero(o.Requested),
		Date: o.Date, CustomerRef: o.CustomerRef, Created: o.Created.UTC()}
	for _, e := range o.Equipment {
		w.Equipment = append(w.Equipment, wire.Equipment{VendorID: e.VendorID, MACAddress: e.MACAddress})
	}
	if a := o.Atlas; a != nil {
		w.Atlas = &wire.AtlasRef{Order: a.Order, Customer: a.Customer, XSPCID: a.XSPCID, Origin: a.Origin}
	}
	if c := o.Customer; withCustomer && c != nil {
		w.Customer = &wire.Customer{FirstName: c.FirstName, LastName: c.LastName, SocialSecurityNumber: c.SocialSecurityNumber,
			Email: c.Email, Phone: c.Phone, MobilePhone: c.MobilePhone, SMSNotificationPhone: c.SMSNotificationPhone,
			StreetName: c.StreetName, StreetNumber: c.StreetNumber, StreetLittera: c.StreetLittera, ZipCode: c.ZipCode, City: c.City}
	}
	return w
}

func utcOrZero(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.UTC()
}
