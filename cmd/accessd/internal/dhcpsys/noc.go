package dhcpsys

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/stadsnat/accessd/api/noc"
	"github.com/stadsnat/accessd/dhcp/binding"
	"github.com/stadsnat/accessd/dhcp/hwaddr"
	"github.com/stadsnat/accessd/dhcp/option82"
	"github.com/stadsnat/accessd/store"
)

// nocIPHistory bounds the intervals an IP search answers.
const nocIPHistory = 20

// NOC is the subsystem's part of the NOC pages: an access's bindings and
// IP/MAC history, the unknown circuits, and the searches by IP, MAC,
// circuit and Option 82, in the pages' own types. Its errors never name
// an IP or MAC (they end up in logs).
type NOC struct{ s *System }

// NOC returns the subsystem's part of the NOC pages.
func (s *System) NOC() *NOC { return &NOC{s} }

// Bindings answers the active bindings of an access, newest Since first.
func (n *NOC) Bindings(ctx context.Context, id string) ([]noc.Binding, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	rs := n.s.svc.BindingsOnAccess(id)
	out := make([]noc.Binding, len(rs))
	for i := range rs {
		out[i] = nocBinding(&rs[i])
	}
	slices.SortStableFunc(out, func(a, b noc.Binding) int { return b.Since.Compare(a.Since) })
	return out, nil
}

// History answers the IP/MAC intervals of an access, newest first, at
// most limit: the stored history (dhcp_history_access/) and the open
// intervals of its active bindings.
func (n *NOC) History(ctx context.Context, id string, limit int) ([]noc.Interval, bool, error) {
	if err := ctx.Err(); err != nil {
		return nil, false, err
	}
	stored, more, err := n.s.db.Bindings().HistoryOfAccess(id, limit)
	if err != nil {
		return nil, false, err
	}
	out := make([]noc.Interval, 0, len(stored)+2)
	for _, r := range n.s.svc.BindingsOnAccess(id) {
		if r.IP.IsValid() {
			out = append(out, noc.Interval{IP: r.IP, MAC: r.MAC.String(), Access: r.Access, Circuit: r.Circuit, From: r.Since, Confirmed: r.Confirmed})
		}
	}
	for i := range stored {
		iv := &stored[i]
		out = append(out, noc.Interval{IP: iv.IP, MAC: iv.MAC.String(), Access: iv.Access, Circuit: iv.Circuit, From: iv.From, To: iv.To,
			Confirmed: iv.Confirmed})
	}
	slices.SortStableFunc(out, func(a, b noc.Interval) int { return b.From.Compare(a.From) })
	if len(out) > limit {
		out, more = out[:limit], true
	}
	return out, more, nil
}

// UnknownCircuits answers the unknown circuits, most recently seen first,
// from offset, at most limit, and how many there are.
func (n *NOC) UnknownCircuits(ctx context.Context, offset, limit int) ([]noc.UnknownCircuit, int, error) {
	if err := ctx.Err(); err != nil {
		return nil, 0, err
	}
	all := n.s.svc.UnknownCircuits()
	lo := min(offset, len(all))
	page := all[lo:min(lo+limit, len(all))]
	out := make([]noc.UnknownCircuit, len(page))
	for i := range page {
		out[i] = nocUnknown(&page[i])
	}
	return out, len(all), nil
}

// LastOption82 is the last Option 82 seen on an access (upper-case hex)
// and when ("" when none).
func (n *NOC) LastOption82(id string) (string, time.Time) {
	hex, seen, ok := n.s.svc.LastOption82Seen(id)
	if !ok {
		return "", time.Time{}
	}
	return hex, seen
}

// Search answers what an IP, a MAC, a circuit key or Option 82 names:
// the bindings, the IP's history, the unknown-circuit entries, and the
// accesses it leads to (Result.Accesses holds their IDs only).
func (n *NOC) Search(ctx context.Context, q noc.Query) (noc.Result, error) {
	if err := ctx.Err(); err != nil {
		return noc.Result{}, err
	}
	var r noc.Result
	var err error
	switch q.Kind {
	case noc.KindIP:
		err = n.searchIP(&r, q.IP)
	case noc.KindMAC:
		err = n.searchMAC(&r, q.MAC)
	case noc.KindCircuit:
		err = n.searchCircuit(&r, strings.TrimSpace(q.Text))
	case noc.KindOption82:
		err = n.searchOption82(&r, q.Option82)
	default:
		return r, fmt.Errorf("dhcp search: kind %q is not the DHCP subsystem's", q.Kind)
	}
	slices.SortFunc(r.Bindings, func(a, b noc.Binding) int { return cmp.Compare(a.MAC, b.MAC) })
	return r, err
}

func (n *NOC) searchIP(r *noc.Result, ip netip.Addr) error {
	svc := n.s.svc
	if b, ok := svc.BindingOfIP(ip); ok {
		r.Bindings = []noc.Binding{nocBinding(&b)}
		r.Note = "the access of the active binding holding the IP"
		if b.Access == "" {
			r.Note = "the binding holding the IP is on a circuit that matches no access"
		} else {
			r.Accesses = []noc.AccessRef{{ID: b.Access}}
		}
	} else if a, err := svc.AccessOfIP(ip); err == nil {
		r.Accesses = []noc.AccessRef{{ID: a}}
		r.Note = "no binding holds the IP: the access of the MAC the neighbour table has for it"
	} else {
		r.Note = "no active binding holds the IP"
	}
	if !ip.Unmap().Is4() {
		return nil // only IPv4 has history
	}
	ivs, _, err := svc.History(ip, time.Time{}, nocIPHistory)
	if err != nil {
		return fmt.Errorf("history of the IP: %w", err)
	}
	for i := len(ivs) - 1; i >= 0; i-- {
		r.Intervals = append(r.Intervals, nocInterval(&ivs[i]))
	}
	return nil
}

func (n *NOC) searchMAC(r *noc.Result, text string) error {
	m, err := hwaddr.Parse(text)
	if err != nil {
		return errors.New("dhcp search: not a MAC address")
	}
	b, ok := n.s.svc.Binding(m)
	if !ok {
		r.Note = "no binding of this MAC"
		return nil
	}
	r.Bindings = []noc.Binding{nocBinding(&b)}
	r.Note = "the access of the MAC's binding (" + b.State.String() + ")"
	if b.Access != "" {
		r.Accesses = []noc.AccessRef{{ID: b.Access}}
	} else {
		r.Note = "the MAC's binding is on a circuit that matches no access"
	}
	return nil
}

// searchCircuit answers for a circuit key as the inventory spells it
// ("192.168.248.85 ge-0/0/10", "rl-down"), as accessctl lookup circuit:
// the access, its bindings on that circuit, and the unknown-circuit entry
// with its last client's binding. Both are indexed look-ups (not a pass
// over every binding, as accessctl's is).
func (n *NOC) searchCircuit(r *noc.Result, key string) error {
	var res lookupResult
	n.s.resolveCircuit(&res, key)
	r.Note = res.note
	svc := n.s.svc
	if res.access != "" {
		r.Accesses = []noc.AccessRef{{ID: res.access}}
		for _, b := range svc.BindingsOnAccess(res.access) {
			if b.Circuit == key {
				r.Bindings = append(r.Bindings, nocBinding(&b))
			}
		}
	}
	if u, ok := svc.UnknownCircuit(key); ok {
		r.Unknown = append(r.Unknown, nocUnknown(&u))
		if b, ok := svc.Binding(hwaddr.MAC(u.LastMAC)); ok && b.Circuit == key && b.State.Active() {
			r.Bindings = append(r.Bindings, nocBinding(&b))
		}
	}
	return nil
}

func (n *NOC) searchOption82(r *noc.Result, tlv []byte) error {
	opts, err := option82.ParseTLV(tlv)
	if err != nil {
		return fmt.Errorf("dhcp search: %w", err)
	}
	svc := n.s.svc
	seen := map[string]bool{}
	for _, dc := range svc.DecodeAll(opts) {
		if dc.Err != nil || seen[dc.Circuit.Key] {
			continue
		}
		seen[dc.Circuit.Key] = true
		if u, ok := svc.UnknownCircuit(dc.Circuit.Key); ok {
			r.Unknown = append(r.Unknown, nocUnknown(&u))
		}
	}
	a, err := svc.Resolver().Resolve(opts, "", "")
	if err != nil {
		r.Note = "no single access has this circuit"
		return nil
	}
	r.Accesses = []noc.AccessRef{{ID: a}}
	r.Note = "the access the circuit decodes to, as the option82 and dhcplookup APIs answer"
	for _, b := range svc.BindingsOnAccess(a) {
		r.Bindings = append(r.Bindings, nocBinding(&b))
	}
	return nil
}

func nocBinding(r *store.BindingRecord) noc.Binding {
	b := noc.Binding{MAC: r.MAC.String(), IP: r.IP, State: r.State.String(), Access: r.Access, Circuit: r.Circuit, GIAddr: r.GIAddr,
		FirstSeen: r.FirstSeen, LastSeen: r.LastSeen, Since: r.Since, Expires: r.Expires, Confirmed: r.Confirmed}
	if r.Source != 0 {
		b.Source = r.Source.String()
	}
	return b
}

func nocInterval(iv *binding.Interval) noc.Interval {
	return noc.Interval{IP: iv.IP, MAC: iv.MAC.String(), Access: iv.Access, Circuit: iv.Circuit, From: iv.From, To: iv.To, Confirmed: iv.Confirmed}
}

func nocUnknown(u *store.UnknownCircuit) noc.UnknownCircuit {
	out := noc.UnknownCircuit{Key: u.Key, Reason: u.Reason, Profile: u.Profile, RemoteID: u.RemoteID, CircuitID: u.CircuitID,
		GIAddr: u.GIAddr, Option82: strings.ToUpper(u.Option82), Count: u.Count, FirstSeen: u.FirstSeen, LastSeen: u.LastSeen}
	if !u.LastMAC.IsZero() {
		out.LastMAC = u.LastMAC.String()
	}
	return out
}
