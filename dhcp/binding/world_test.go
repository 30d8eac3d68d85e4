package binding

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/stadsnat/accessd/dhcp/hwaddr"
)

// world plays the store: bindings by MAC, an index of active IPs, the
// history, and the event log. It checks invariants after each step.
type world struct {
	m        Machine
	bindings map[hwaddr.MAC]*Binding
	ips      map[netip.Addr]hwaddr.MAC
	history  []Interval
	events   []Event
	// scratch, when set, is kept from one observation to the next
	// (ApplyWith, as the ingest processor applies them).
	scratch *Scratch
}

func newWorld(m Machine) *world {
	return &world{m: m, bindings: map[hwaddr.MAC]*Binding{}, ips: map[netip.Addr]hwaddr.MAC{}}
}

func (w *world) holderOf(ob Observation) *Binding {
	var ip netip.Addr
	switch {
	case usable(ob.RequestedIP) && ob.Kind == Request:
		ip = ob.RequestedIP
	case usable(ob.CIAddr) && ob.Kind == Request:
		ip = ob.CIAddr
	case usable(ob.YIAddr):
		ip = ob.YIAddr
	default:
		return nil
	}
	if mac, ok := w.ips[ip]; ok {
		return w.bindings[mac]
	}
	return nil
}

func (w *world) store(b *Binding) {
	if b == nil {
		return
	}
	if old, ok := w.bindings[b.MAC]; ok && old.State.Active() && w.ips[old.IP] == b.MAC {
		delete(w.ips, old.IP)
	}
	c := *b
	w.bindings[b.MAC] = &c
	if c.State.Active() {
		if _, taken := w.ips[c.IP]; !taken {
			w.ips[c.IP] = c.MAC
		}
	}
}

func (w *world) apply(ob Observation) (Result, error) {
	var r Result
	if w.scratch != nil {
		r = w.m.ApplyWith(w.scratch, w.bindings[ob.MAC], w.holderOf(ob), ob)
	} else {
		r = w.m.Apply(w.bindings[ob.MAC], w.holderOf(ob), ob)
	}
	if r.Displaced != nil {
		w.store(r.Displaced)
	}
	w.store(r.Binding)
	w.history = append(w.history, r.Closed...)
	w.events = append(w.events, r.Events...)
	return r, w.check(r)
}

func (w *world) sweep(now time.Time) error {
	for _, b := range w.bindings {
		if r, ok := w.m.Sweep(*b, now); ok {
			w.store(r.Binding)
			w.history = append(w.history, r.Closed...)
			w.events = append(w.events, r.Events...)
			if err := w.check(r); err != nil {
				return err
			}
		}
	}
	return nil
}

// check verifies the invariants of one result.
func (w *world) check(r Result) error {
	for _, b := range []*Binding{r.Binding, r.Displaced} {
		if b == nil {
			continue
		}
		if b.State < Tentative || b.State > Declined {
			return fmt.Errorf("binding %v has state %v", b.MAC, b.State)
		}
		if !b.IP.IsValid() {
			return fmt.Errorf("binding %v has no IP", b.MAC)
		}
		if b.State.Active() && (b.Expires.IsZero() || !b.Ended.IsZero()) {
			return fmt.Errorf("active binding %+v without expiry or with an end", b)
		}
		if !b.State.Active() && b.Ended.IsZero() {
			return fmt.Errorf("ended binding %+v without end time", b)
		}
		if b.Confirmed != (b.State == Bound) && b.State.Active() {
			return fmt.Errorf("binding %+v: confirmed flag disagrees with state", b)
		}
	}
	if r.Displaced != nil && (r.Displaced.State.Active() || r.Binding == nil || r.Displaced.MAC == r.Binding.MAC) {
		return fmt.Errorf("bad displaced %+v", r.Displaced)
	}
	for _, iv := range r.Closed {
		if iv.To.Before(iv.From) || !iv.IP.IsValid() {
			return fmt.Errorf("bad interval %+v", iv)
		}
	}
	for _, e := range r.Events {
		if e.Kind < Started || e.Kind > Ended || e.Time.IsZero() {
			return fmt.Errorf("bad event %+v", e)
		}
	}
	// At most one active binding per IP in the store's index.
	seen := map[netip.Addr]hwaddr.MAC{}
	for _, b := range w.bindings {
		if !b.State.Active() {
			continue
		}
		if other, dup := seen[b.IP]; dup && w.bindings[other].State == Bound && b.State == Bound {
			return fmt.Errorf("IP %v bound to both %v and %v", b.IP, other, b.MAC)
		}
		seen[b.IP] = b.MAC
	}
	return nil
}
