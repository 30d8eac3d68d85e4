package noctest

import (
	"context"
	"encoding/hex"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/stadsnat/accessd/api/noc"
)

// historyLimit bounds the intervals an IP search answers.
const historyLimit = 20

// Search implements noc.Source: what the daemon's Source is to do for
// each kind, from indexes.
func (f *Fake) Search(ctx context.Context, q noc.Query) (noc.Result, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.enter(ctx, "Search"); err != nil {
		return noc.Result{}, err
	}
	var r noc.Result
	switch q.Kind {
	case noc.KindAccess:
		if e, ok := f.entries[q.Text]; ok {
			r.Accesses, r.Note = []noc.AccessRef{f.ref(e)}, "the access with this AccessId"
		} else {
			r.Note = "no access has this AccessId"
		}
	case noc.KindAddress:
		f.searchAddress(&r, q)
	case noc.KindIP:
		if f.off.DHCP {
			return r, fmt.Errorf("search ip: %w", noc.ErrNotServed)
		}
		if mac, ok := f.byIP[q.IP]; ok {
			b := f.byMAC[mac]
			r.Bindings = []noc.Binding{*b}
			f.addAccess(&r, b.Access, "the access of the active binding holding the IP")
		} else {
			r.Note = "no active binding holds the IP"
		}
		h := f.ipHist[q.IP]
		r.Intervals = slices.Clone(h[:min(historyLimit, len(h))])
	case noc.KindMAC:
		if f.off.DHCP {
			return r, fmt.Errorf("search mac: %w", noc.ErrNotServed)
		}
		if b, ok := f.byMAC[q.MAC]; ok {
			r.Bindings = []noc.Binding{*b}
			f.addAccess(&r, b.Access, "the access of the MAC's binding")
		} else {
			r.Note = "no binding of this MAC"
		}
	case noc.KindCircuit:
		for _, id := range f.byKey[q.Text] {
			f.addAccess(&r, id, "the access whose Option82 text is the key")
		}
		for _, mac := range f.byCirc[q.Text] {
			r.Bindings = append(r.Bindings, *f.byMAC[mac])
		}
		f.addUnknown(&r, func(u *noc.UnknownCircuit) bool { return u.Key == q.Text })
	case noc.KindOption82:
		h := strings.ToUpper(hex.EncodeToString(q.Option82))
		if id, ok := f.byHex[h]; ok {
			f.addAccess(&r, id, "the access whose Option82 text the circuit decodes to")
		} else {
			r.Note = "no access has this circuit"
		}
		f.addUnknown(&r, func(u *noc.UnknownCircuit) bool { return u.Option82 == h })
	default:
		return r, fmt.Errorf("search: kind %q", q.Kind)
	}
	slices.SortFunc(r.Bindings, func(a, b noc.Binding) int { return strings.Compare(a.MAC, b.MAC) })
	return r, nil
}

func (f *Fake) searchAddress(r *noc.Result, q noc.Query) {
	p := strings.ToLower(q.Text)
	i := sort.Search(len(f.byAddr), func(i int) bool { return f.byAddr[i].key >= p })
	for ; i < len(f.byAddr) && strings.HasPrefix(f.byAddr[i].key, p); i++ {
		if len(r.Accesses) == q.Limit {
			r.More = true
			break
		}
		r.Accesses = append(r.Accesses, f.ref(f.entries[f.byAddr[i].id]))
	}
	if len(r.Accesses) == 0 {
		r.Note = "no address starts so"
	} else {
		r.Note = "the addresses that start so"
	}
}

func (f *Fake) addAccess(r *noc.Result, id, note string) {
	r.Note = note
	if e, ok := f.entries[id]; ok {
		r.Accesses = append(r.Accesses, f.ref(e))
	}
}

func (f *Fake) addUnknown(r *noc.Result, match func(*noc.UnknownCircuit) bool) {
	for i := range f.unknown {
		if match(&f.unknown[i]) {
			r.Unknown = append(r.Unknown, f.unknown[i])
		}
	}
}

func (f *Fake) ref(e *Entry) noc.AccessRef {
	ref := noc.AccessRef{ID: e.Access.ID, Address: AddressRef(&e.Access)}
	if e.Link != nil {
		ref.Switch, ref.Port = e.Link.Switch, e.Link.Port
	}
	return ref
}

// Switches implements noc.Source.
func (f *Fake) Switches(ctx context.Context, q noc.SwitchQuery) (noc.SwitchPage, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.enter(ctx, "Switches"); err != nil {
		return noc.SwitchPage{}, err
	}
	if f.off.Links {
		return noc.SwitchPage{}, fmt.Errorf("switches: %w", noc.ErrNotServed)
	}
	p := noc.SwitchPage{Summary: f.interval, ProblemsTotal: len(f.problems)}
	p.Summary.Switches, p.Summary.Unreachable, p.Summary.PacketsLastCycle = len(f.sws), 0, 0
	p.Summary.PortsUp, p.Summary.PortsDown, p.Summary.PortsUnknown = 0, 0, 0
	for i := range f.sws {
		s := &f.sws[i]
		if !s.Reachable {
			p.Summary.Unreachable++
		}
		p.Summary.PortsUp += s.PortsUp
		p.Summary.PortsDown += s.PortsDown
		p.Summary.PortsUnknown += s.PortsUnknown
		p.Summary.PacketsLastCycle += s.PacketsLastCycle
		if q.Trouble && s.Reachable && s.PortsUnknown == 0 {
			continue
		}
		if p.Total >= q.Offset && len(p.Switches) < q.Limit {
			p.Switches = append(p.Switches, *s)
		}
		p.Total++
	}
	p.Problems = slices.Clone(f.problems[:min(q.Limit, len(f.problems))])
	return p, nil
}

// UnknownCircuits implements noc.Source.
func (f *Fake) UnknownCircuits(ctx context.Context, offset, limit int) ([]noc.UnknownCircuit, int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.enter(ctx, "UnknownCircuits"); err != nil {
		return nil, 0, err
	}
	if f.off.DHCP {
		return nil, 0, fmt.Errorf("unknown circuits: %w", noc.ErrNotServed)
	}
	lo := min(offset, len(f.unknown))
	hi := min(lo+limit, len(f.unknown))
	return slices.Clone(f.unknown[lo:hi]), len(f.unknown), nil
}
