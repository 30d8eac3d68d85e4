package nocsys

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/stadsnat/accessd/api/noc"
	"github.com/stadsnat/accessd/store"
)

// timeZero asks the store for a full export.
var timeZero time.Time

// Source is the noc.Source over the store and the peers. Safe for
// concurrent use.
type Source struct {
	db    *store.DB
	dhcp  DHCP
	links Links
	log   *slog.Logger
	idx   addrIndex
}

var _ noc.Source = (*Source)(nil)

// NewSource makes the Source; its address index is built by the
// subsystem's task, or at the first search.
func NewSource(db *store.DB, p Peers, log *slog.Logger) *Source {
	return &Source{db: db, dhcp: p.DHCP, links: p.Links, log: logger(log)}
}

// notFound turns the store's ErrNotFound into the pages'.
func notFound(id string, err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("access %s: %w", id, noc.ErrNotFound)
	}
	return err
}

// Access implements noc.Source.
func (s *Source) Access(ctx context.Context, id string) (noc.Access, error) {
	if err := ctx.Err(); err != nil {
		return noc.Access{}, err
	}
	rec, err := s.db.Inventory().Access(id)
	if err != nil {
		return noc.Access{}, notFound(id, err)
	}
	a := &rec.Access
	out := noc.Access{ID: a.AccessID, LegacyID: a.LegacyAccessID, StreetName: a.StreetName, StreetNumber: a.StreetNumber,
		StreetLittera: a.StreetLittera, PostalCode: a.PostalCode, City: a.City, CountryCode: a.CountryCode,
		PremisesType: string(a.PremisesType), Apartment: a.MDUApartmentNumber, Distinguisher: a.MDUDistinguisher, Outlet: a.Outlet,
		Population: a.Population, Activatable: string(a.Activatable), Sellable: string(a.Sellable), AccessState: a.AccessState,
		Media: a.Media, PortSpeedMbps: a.PortSpeedMbps, IPTV: a.IPTV, RFoF: a.RFoF, FiberConverter: a.FiberConverter,
		CPESwitch: a.CPESwitch, CPERouter: a.CPERouter, Option82: a.Option82, RemoteID: a.DHCPIdentifier.IPv4RemoteID,
		CircuitID: a.DHCPIdentifier.IPv4CircuitID, Modified: rec.Modified}
	if s.dhcp != nil {
		out.LastOption82, out.LastOption82Seen = s.dhcp.LastOption82(id)
	}
	return out, nil
}

// Link implements noc.Source.
func (s *Source) Link(ctx context.Context, id string, limit int) (noc.Link, error) {
	if s.links == nil {
		return noc.Link{}, fmt.Errorf("link: SNMP polling is off: %w", noc.ErrNotServed)
	}
	return s.links.Link(ctx, id, limit)
}

// Bindings implements noc.Source.
func (s *Source) Bindings(ctx context.Context, id string) ([]noc.Binding, error) {
	if s.dhcp == nil {
		return nil, fmt.Errorf("bindings: %w", noc.ErrNotServed)
	}
	return s.dhcp.Bindings(ctx, id)
}

// History implements noc.Source.
func (s *Source) History(ctx context.Context, id string, limit int) ([]noc.Interval, bool, error) {
	if s.dhcp == nil {
		return nil, false, fmt.Errorf("history: %w", noc.ErrNotServed)
	}
	return s.dhcp.History(ctx, id, limit)
}

// Switches implements noc.Source.
func (s *Source) Switches(ctx context.Context, q noc.SwitchQuery) (noc.SwitchPage, error) {
	if s.links == nil {
		return noc.SwitchPage{}, fmt.Errorf("switches: SNMP polling is off: %w", noc.ErrNotServed)
	}
	return s.links.Switches(ctx, q)
}

// UnknownCircuits implements noc.Source.
func (s *Source) UnknownCircuits(ctx context.Context, offset, limit int) ([]noc.UnknownCircuit, int, error) {
	if s.dhcp == nil {
		return nil, 0, fmt.Errorf("unknown circuits: %w", noc.ErrNotServed)
	}
	return s.dhcp.UnknownCircuits(ctx, offset, limit)
}

// Services implements noc.Source.
func (s *Source) Services(ctx context.Context, id string) ([]noc.Service, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out []noc.Service
	err := s.db.Orders().View(func(o *store.OrderTx) error {
		svcs, err := o.Services(id)
		for _, sv := range svcs {
			ns := noc.Service{SubscriptionID: sv.SubscriptionID, UID: sv.UID, Name: sv.Name, Type: sv.Type, Owner: sv.Owner,
				Origin: sv.Origin, Activated: sv.Activated, Commitment: sv.Commitment, Release: sv.Release, OrderID: sv.OrderID,
				Since: sv.Since}
			for _, e := range sv.Equipment {
				if e.MACAddress != "" {
					ns.EquipmentMACs = append(ns.EquipmentMACs, e.MACAddress)
				}
			}
			out = append(out, ns)
		}
		return err
	})
	return out, err
}

// Orders implements noc.Source: the newest limit orders of the access,
// each with its newest eventLimit events, oldest first. Customer data
// has no field to go to.
func (s *Source) Orders(ctx context.Context, id string, limit, eventLimit int) ([]noc.Order, bool, error) {
	if err := ctx.Err(); err != nil {
		return nil, false, err
	}
	var out []noc.Order
	more := false
	err := s.db.Orders().View(func(o *store.OrderTx) error {
		ords, err := o.Orders(store.OrderFilter{AccessID: id, Newest: true, Limit: limit + 1})
		if err != nil {
			return err
		}
		if len(ords) > limit {
			ords, more = ords[:limit], true
		}
		for i := range ords {
			ord := &ords[i]
			evs, err := o.History(ord)
			if err != nil {
				return err
			}
			no := noc.Order{ID: ord.ID, Owner: ord.Owner, Channel: ord.Channel, Service: ord.Service, Operation: string(ord.Operation),
				State: string(ord.State), Message: ord.Message, SubscriptionID: ord.SubscriptionID, Attempts: ord.Attempts,
				Due: ord.Due, Created: ord.Created, Updated: ord.Updated}
			if len(evs) > eventLimit {
				evs, no.MoreEvents = evs[len(evs)-eventLimit:], true
			}
			for _, ev := range evs {
				no.Events = append(no.Events, noc.OrderEvent{Time: ev.Time, Kind: string(ev.Kind), State: string(ev.State), Message: ev.Message})
			}
			out = append(out, no)
		}
		return nil
	})
	return out, more, err
}
