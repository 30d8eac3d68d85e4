package clustersys

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"time"

	"github.com/stadsnat/accessd/api/activation"
	"github.com/stadsnat/accessd/cmd/accessd/internal/cluster"
	"github.com/stadsnat/accessd/cmd/accessd/internal/cluster/wire"
	"github.com/stadsnat/accessd/store"
)

// factApplier is the hub's cluster.FactApplier on the store: the sites'
// bindings and unknown circuits go to the DHCP buckets (and the DHCP
// service's working set, which the answers read), their link states to
// the cluster's, order outcomes to the orders (through the engine), all
// with the marks in one transaction.
type factApplier struct {
	db   *store.DB
	dhcp Adopter
	eng  *activation.Engine
	log  *slog.Logger
	m    *metrics
}

// ApplyFacts implements cluster.FactApplier.
func (a *factApplier) ApplyFacts(ctx context.Context, facts []*wire.Message) error {
	f := &store.ClusterFacts{Marks: map[string]store.ClusterMark{}}
	var outcomes []activation.RemoteOutcome
	for _, m := range facts {
		switch p := m.Payload.(type) {
		case *wire.Binding:
			r, err := storeBinding(p)
			if err != nil {
				a.skip(m, err)
				continue
			}
			f.Bindings = append(f.Bindings, r)
		case *wire.UnknownCircuit:
			if p.Gone {
				f.UnknownGone = append(f.UnknownGone, p.Key)
				continue
			}
			f.Unknown = append(f.Unknown, storeUnknown(p))
		case *wire.Link:
			f.Links = append(f.Links, storeLink(m.Site, m.At, p))
		case *wire.OrderOutcome:
			outcomes = append(outcomes, remoteOutcome(p))
		}
	}
	for origin, mk := range cluster.MarksOf(facts) {
		f.Marks[origin] = store.ClusterMark{Seq: mk.Seq, At: mk.At}
	}
	if len(outcomes) > 0 {
		f.Orders = func(o *store.OrderTx) error {
			for _, r := range outcomes {
				known, err := a.eng.ApplyOutcome(o, r)
				if err != nil {
					return fmt.Errorf("order %s: %w", r.OrderID, err)
				}
				if !known {
					a.m.outcomesUnknown.Inc()
				}
			}
			return nil
		}
	}
	applied, err := a.db.Cluster().ApplyFacts(f)
	if err != nil {
		return paused(err)
	}
	if a.dhcp != nil {
		a.dhcp.Adopt(applied.Bindings, f.Unknown, f.UnknownGone, applied.LastOption82)
	}
	return nil
}

// paused marks a write refused by a read-only store (a full disk) for the
// node, which then waits steadily instead of retrying with warnings.
func paused(err error) error {
	if errors.Is(err, store.ErrReadOnly) {
		return fmt.Errorf("%w: %w", cluster.ErrStorePaused, err)
	}
	return err
}

// FactMarks implements cluster.FactApplier.
func (a *factApplier) FactMarks(ctx context.Context) (map[string]cluster.Mark, error) {
	ms, err := a.db.Cluster().Marks()
	if err != nil {
		return nil, err
	}
	out := make(map[string]cluster.Mark, len(ms))
	for o, m := range ms {
		out[o] = cluster.Mark{Seq: m.Seq, At: m.At}
	}
	return out, nil
}

func (a *factApplier) skip(m *wire.Message, err error) {
	a.m.factsSkipped.Inc()
	a.log.Warn("a fact the store cannot take; skipped it", "fact", m.ID(), "err", err)
}

// The conversions from the wire's forms to the store's.

// bindingState is the state named s (its String).
func bindingState(s string) (store.BindingState, bool) {
	for _, st := range store.BindingStates {
		if st.String() == s {
			return st, true
		}
	}
	return 0, false
}

// bindingSource is the source named s; 0 when none is.
func bindingSource(s string) store.BindingSource {
	for _, src := range store.BindingSources {
		if src.String() == s {
			return src
		}
	}
	return 0
}

func storeBinding(b *wire.Binding) (store.BindingRecord, error) {
	var r store.BindingRecord
	if err := r.MAC.UnmarshalText([]byte(b.MAC)); err != nil {
		return r, err
	}
	st, ok := bindingState(b.State)
	if !ok {
		return r, fmt.Errorf("state %q", b.State)
	}
	r.State, r.Source = st, bindingSource(b.Source)
	var err error
	if r.IP, err = optAddr(b.IP); err != nil {
		return r, err
	}
	if r.GIAddr, err = optAddr(b.GIAddr); err != nil {
		return r, err
	}
	if b.Option82 != "" {
		if r.Option82, err = hex.DecodeString(b.Option82); err != nil {
			return r, err
		}
	}
	r.Access, r.Circuit, r.RemoteID, r.CircuitID, r.Profile = b.Access, b.Circuit, b.RemoteID, b.CircuitID, b.Profile
	r.FirstSeen, r.LastSeen, r.Since, r.Ended, r.Expires = b.FirstSeen, b.LastSeen, b.Since, b.Ended, b.Expires
	r.LeaseTime, r.Confirmed = time.Duration(b.LeaseSeconds)*time.Second, b.Confirmed
	return r, nil
}

func optAddr(s string) (netip.Addr, error) {
	if s == "" {
		return netip.Addr{}, nil
	}
	return netip.ParseAddr(s)
}

func storeUnknown(u *wire.UnknownCircuit) store.UnknownCircuit {
	gi, _ := optAddr(u.GIAddr)
	return store.UnknownCircuit{Key: u.Key, Reason: u.Reason, Profile: u.Profile, RemoteID: u.RemoteID, CircuitID: u.CircuitID,
		GIAddr: gi, Option82: u.Option82, Count: u.Count, FirstSeen: u.FirstSeen, LastSeen: u.LastSeen}
}

func storeLink(site string, at time.Time, l *wire.Link) store.RemoteLink {
	return store.RemoteLink{Site: site, PortKey: store.PortKey{Switch: l.Switch, Port: l.Port}, Access: l.Access, At: at,
		State: store.PortState{Admin: l.Admin, Oper: l.Oper, Link: store.Link(l.Link), SpeedMbps: l.SpeedMbps, Since: l.Since,
			SinceExact: l.SinceExact, PolledAt: l.PolledAt, Source: l.Source, Reachable: l.Reachable, Problem: l.Problem}}
}

func remoteOutcome(o *wire.OrderOutcome) activation.RemoteOutcome {
	r := activation.RemoteOutcome{OrderID: o.OrderID, State: store.OrderState(o.State), Message: o.Message,
		SubscriptionID: o.SubscriptionID, Attempts: o.Attempts, Changed: o.Changed}
	if o.Order != nil {
		ord := storeOrder(o.Order)
		r.Order = &ord
	}
	return r
}

// storeOrder is a queued order in the store's form.
func storeOrder(w *wire.Order) store.Order {
	o := store.Order{ID: w.OrderID, Owner: w.Owner, Channel: w.Channel, AccessID: w.AccessID, Service: w.Service,
		Operation: store.Operation(w.Operation), State: store.Received, SubscriptionID: w.SubscriptionID,
		ForcedTakeover: w.ForcedTakeover, SPReference: w.SPReference, SPSubscriptionID: w.SPSubscriptionID, Due: w.Due,
		Requested: w.Requested, Date: w.Date, CustomerRef: w.CustomerRef}
	for _, e := range w.Equipment {
		o.Equipment = append(o.Equipment, store.Equipment{VendorID: e.VendorID, MACAddress: e.MACAddress})
	}
	if a := w.Atlas; a != nil {
		o.Atlas = &store.AtlasRef{Order: a.Order, Customer: a.Customer, XSPCID: a.XSPCID, Origin: a.Origin}
	}
	if c := w.Customer; c != nil {
		o.Customer = &store.Customer{FirstName: c.FirstName, LastName: c.LastName, SocialSecurityNumber: c.SocialSecurityNumber,
			Email: c.Email, Phone: c.Phone, MobilePhone: c.MobilePhone, SMSNotificationPhone: c.SMSNotificationPhone,
			StreetName: c.StreetName, StreetNumber: c.StreetNumber, StreetLittera: c.StreetLittera, ZipCode: c.ZipCode, City: c.City}
	}
	return o
}
