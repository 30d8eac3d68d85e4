package noc

import (
	"errors"
	"net/http"
	"strings"

	"github.com/stadsnat/accessd/api/internal/web"
)

// What the access page lists at most: it must stay small and fast.
const (
	transitionLimit = 20
	historyLimit    = 20
	orderLimit      = 10
	eventLimit      = 6
	// accessListLimit bounds the bindings and services, which are few on
	// one access (a Source that gives more is cut).
	accessListLimit = 20
)

// accessPage is the access page's data. A *Note says why a section is
// empty when that is not simply "none": the subsystem is off, the access
// names no port.
type accessPage struct {
	page
	A       Access
	Address string

	Link     Link
	HasLink  bool
	LinkNote string
	Timeline timeline

	Bindings     []Binding
	MoreBindings bool
	BindingsNote string

	History     []Interval
	HistoryMore bool
	HistoryNote string

	Services     []Service
	MoreServices bool
	ServicesNote string

	Orders     []Order
	OrdersMore bool
	OrdersNote string
}

// access is GET /noc/access/{id}.
func (h *Handler) access(w http.ResponseWriter, r *http.Request) error {
	id := web.PathValue(r, "id")
	if !isAccessID(id) {
		return web.Errorf(http.StatusBadRequest, "an AccessId is 1 to %d letters and digits", maxAccessIDLen)
	}
	ctx := r.Context()
	a, err := h.src.Access(ctx, id)
	switch {
	case errors.Is(err, ErrNotFound):
		return web.Errorf(http.StatusNotFound, "no access %s", id)
	case err != nil:
		return web.Internal(err)
	}
	p := &accessPage{page: h.newPage(r, "Access "+a.ID), A: a, Address: addressLine(&a)}

	p.Link, err = h.src.Link(ctx, id, transitionLimit)
	p.HasLink = err == nil
	if p.LinkNote, err = note(err, "link state"); err != nil {
		return err
	}
	if p.HasLink {
		p.Timeline = newTimeline(&p.Link, p.C.now, p.C.loc)
	}
	p.Bindings, err = h.src.Bindings(ctx, id)
	if p.BindingsNote, err = note(err, "DHCP bindings"); err != nil {
		return err
	}
	p.History, p.HistoryMore, err = h.src.History(ctx, id, historyLimit)
	if p.HistoryNote, err = note(err, "DHCP history"); err != nil {
		return err
	}
	p.Services, err = h.src.Services(ctx, id)
	if p.ServicesNote, err = note(err, "services"); err != nil {
		return err
	}
	// Whatever the Source gives, the page stays small.
	p.Link.Transitions, _ = capped(p.Link.Transitions, transitionLimit)
	p.Bindings, p.MoreBindings = capped(p.Bindings, accessListLimit)
	p.History, _ = capped(p.History, historyLimit)
	p.Services, p.MoreServices = capped(p.Services, accessListLimit)
	p.Orders, p.OrdersMore, err = h.src.Orders(ctx, id, orderLimit, eventLimit)
	if p.OrdersNote, err = note(err, "orders"); err != nil {
		return err
	}
	if len(p.Orders) > orderLimit {
		p.Orders, p.OrdersMore = p.Orders[:orderLimit], true
	}
	for i := range p.Orders {
		o := &p.Orders[i]
		if n := len(o.Events); n > eventLimit {
			o.Events, o.MoreEvents = o.Events[n-eventLimit:], true
		}
	}
	return h.render(w, r, "access", p)
}

// note turns the error of a section into what the page says instead, or
// into the request's error when it is not one a section can show.
func note(err error, what string) (string, error) {
	switch {
	case err == nil:
		return "", nil
	case errors.Is(err, ErrNotServed):
		return what + ": not served on this system", nil
	case errors.Is(err, ErrNoPort):
		return "the inventory names no switch port for this access (its Option82 text is not \"SWITCH PORT\" and it has no dhcpIdentifier)", nil
	case errors.Is(err, ErrNotFound):
		return what + ": the access was removed while the page was made", nil
	}
	return "", web.Internal(err)
}

// addressLine is the premises on one line: "Storgatan 12 B, lgh 1101,
// 123 45 Stad".
func addressLine(a *Access) string {
	var parts []string
	street := strings.Join(strings.Fields(a.StreetName+" "+a.StreetNumber+" "+a.StreetLittera), " ")
	if street != "" {
		parts = append(parts, street)
	}
	if a.Apartment != "" {
		parts = append(parts, "lgh "+a.Apartment)
	}
	if town := strings.Join(strings.Fields(a.PostalCode+" "+a.City), " "); town != "" {
		parts = append(parts, town)
	}
	return strings.Join(parts, ", ")
}
