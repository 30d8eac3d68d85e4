package ingest

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/stadsnat/accessd/dhcp/binding"
	"github.com/stadsnat/accessd/dhcp/hwaddr"
	"github.com/stadsnat/accessd/dhcp/neigh"
	"github.com/stadsnat/accessd/store"
)

// AccessOfIP returns the access of the client using ip: the access of the
// active binding holding ip; else, for a client with a static address,
// the neighbour table's MAC for ip and the access of that MAC's binding
// (in any state: the last access the MAC was seen on). The error wraps
// store.ErrNotFound when neither knows; it does not name the address
// (errors end up in logs, addresses are personal data).
func (s *Service) AccessOfIP(ip netip.Addr) (string, error) {
	ip = ip.Unmap()
	s.set.mu.RLock()
	e := s.set.holderOf(ip)
	access := ""
	if e != nil {
		access = e.rec.Access
	}
	s.set.mu.RUnlock()
	if access != "" {
		return access, nil
	}
	if e != nil {
		return "", fmt.Errorf("the binding holding the address has no access (its circuit is unknown): %w", store.ErrNotFound)
	}
	if s.cfg.Neighbours == nil {
		return "", fmt.Errorf("no binding holds the address: %w", store.ErrNotFound)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	n, err := s.cfg.Neighbours.Lookup(ctx, ip)
	if errors.Is(err, neigh.ErrNotFound) {
		return "", fmt.Errorf("no binding holds the address and the neighbour table has no entry for it: %w", store.ErrNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("look up the address in the neighbour table: %w", err)
	}
	s.set.mu.RLock()
	defer s.set.mu.RUnlock()
	if e := s.set.byMAC[n.MAC]; e != nil && e.rec.Access != "" {
		return e.rec.Access, nil
	}
	return "", fmt.Errorf("no binding holds the address and its neighbour's MAC has none: %w", store.ErrNotFound)
}

// BindingsOf returns the active bindings (tentative or bound) on an
// access, by IP: the MAC and IP of each client, with state and times.
func (s *Service) BindingsOf(accessID string) ([]binding.Binding, error) {
	s.set.mu.RLock()
	var out []binding.Binding
	for _, mac := range s.set.byAccess[accessID] {
		if e := s.set.byMAC[mac]; e != nil {
			out = append(out, e.rec.Binding)
		}
	}
	s.set.mu.RUnlock()
	slices.SortFunc(out, func(a, b binding.Binding) int { return byIP(a.IP, b.IP, store.MAC(a.MAC), store.MAC(b.MAC)) })
	return out, nil
}

// LastOption82 returns the last Option 82 seen on an access as upper-case
// hex of the TLVs ("52 LL …"), the form of port_status dhcpoption and of
// the PI-API look-up.
func (s *Service) LastOption82(accessID string) (string, bool) {
	s.set.mu.RLock()
	defer s.set.mu.RUnlock()
	l := s.set.lastO82[accessID]
	if l == nil {
		return "", false
	}
	return l.hex, true
}

// LastOption82Seen is LastOption82 and when it was seen.
func (s *Service) LastOption82Seen(accessID string) (string, time.Time, bool) {
	s.set.mu.RLock()
	defer s.set.mu.RUnlock()
	l := s.set.lastO82[accessID]
	if l == nil {
		return "", time.Time{}, false
	}
	return l.hex, l.seen, true
}

// Binding returns the binding of mac, in any state.
func (s *Service) Binding(mac hwaddr.MAC) (store.BindingRecord, bool) {
	s.set.mu.RLock()
	defer s.set.mu.RUnlock()
	if e := s.set.byMAC[mac]; e != nil {
		return e.rec.toStore(), true
	}
	return store.BindingRecord{}, false
}

// BindingOfIP returns the active binding holding ip.
func (s *Service) BindingOfIP(ip netip.Addr) (store.BindingRecord, bool) {
	s.set.mu.RLock()
	defer s.set.mu.RUnlock()
	if e := s.set.holderOf(ip.Unmap()); e != nil {
		return e.rec.toStore(), true
	}
	return store.BindingRecord{}, false
}

// BindingsOnAccess returns the active bindings on an access, by IP.
func (s *Service) BindingsOnAccess(accessID string) []store.BindingRecord {
	s.set.mu.RLock()
	var out []store.BindingRecord
	for _, mac := range s.set.byAccess[accessID] {
		if e := s.set.byMAC[mac]; e != nil {
			out = append(out, e.rec.toStore())
		}
	}
	s.set.mu.RUnlock()
	sortByIP(out)
	return out
}

// BindingsOnCircuit returns the active bindings whose circuit key is key,
// by IP (a scan: for people, not for the hot path).
func (s *Service) BindingsOnCircuit(key string) []store.BindingRecord {
	s.set.mu.RLock()
	var out []store.BindingRecord
	for _, mac := range s.set.byIP {
		if e := s.set.byMAC[mac]; e != nil && e.rec.Circuit == key {
			out = append(out, e.rec.toStore())
		}
	}
	s.set.mu.RUnlock()
	sortByIP(out)
	return out
}

func sortByIP(rs []store.BindingRecord) {
	slices.SortFunc(rs, func(a, b store.BindingRecord) int { return byIP(a.IP, b.IP, a.MAC, b.MAC) })
}

func byIP(a, b netip.Addr, am, bm store.MAC) int {
	if c := a.Compare(b); c != 0 {
		return c
	}
	return strings.Compare(am.String(), bm.String())
}

// History returns who had ip: the stored intervals (all, or those
// containing at), followed by the open interval of the active binding
// holding it now (To zero) when it contains at. With limit > 0 only the
// newest limit intervals, and more reports that older ones were left out.
func (s *Service) History(ip netip.Addr, at time.Time, limit int) (ivs []binding.Interval, more bool, err error) {
	stored, more, err := s.bindings.History(ip, at, limit)
	if err != nil {
		return nil, false, err
	}
	for i := range stored {
		ivs = append(ivs, bindingInterval(&stored[i]))
	}
	if r, ok := s.BindingOfIP(ip); ok && (at.IsZero() || !at.Before(r.Since)) {
		ivs = append(ivs, binding.Interval{IP: r.IP, MAC: hwaddr.MAC(r.MAC), Access: r.Access, Circuit: r.Circuit, From: r.Since, Confirmed: r.Confirmed})
		if limit > 0 && len(ivs) > limit {
			ivs, more = ivs[len(ivs)-limit:], true
		}
	}
	return ivs, more, nil
}

// UnknownCircuits returns the circuits that match no single access, most
// recently seen first.
func (s *Service) UnknownCircuits() []store.UnknownCircuit {
	s.set.mu.RLock()
	defer s.set.mu.RUnlock()
	return s.set.unknown.all()
}

// UnknownCircuit returns the unknown-circuit entry of a key.
func (s *Service) UnknownCircuit(key string) (store.UnknownCircuit, bool) {
	s.set.mu.RLock()
	defer s.set.mu.RUnlock()
	return s.set.unknown.get(key)
}

// Lease is one lease of an access as ON-API leaseinfo reports it.
type Lease struct {
	IP          netip.Addr
	MAC         hwaddr.MAC
	ServiceType string
	// Start is when the client began to hold the IP on this access, End
	// when the lease ends, LastRenew the client's last request (zero when
	// it is the start).
	Start, End, LastRenew time.Time
}

// Leases returns the active bindings of an access as leases, by IP.
func (s *Service) Leases(accessID string) []Lease {
	types := s.profile.Load().serviceTypes
	rs := s.BindingsOnAccess(accessID)
	out := make([]Lease, 0, len(rs))
	for _, r := range rs {
		l := Lease{IP: r.IP, MAC: hwaddr.MAC(r.MAC), ServiceType: types[r.Profile], Start: r.Since, End: r.Expires}
		if l.ServiceType == "" {
			l.ServiceType = "unknown"
		}
		if r.LastSeen.After(r.Since) {
			l.LastRenew = r.LastSeen
		}
		out = append(out, l)
	}
	return out
}

// Stats are the figures of accessctl status.
type Stats struct {
	Bindings       int
	ByState        map[string]int
	UnknownCircuit int
	QueueDepth     int
	QueueSize      int
	CommitSeq      uint64
	LastCommit     time.Time
	PendingChanges int
	Received       uint64
	Dropped        uint64
	Untrusted      uint64
}

// Stats returns the service's figures.
func (s *Service) Stats() Stats {
	st := Stats{ByState: map[string]int{}, QueueDepth: s.q.depth(), QueueSize: s.q.size,
		Received: s.received.Load(), Dropped: s.dropped.Load(), Untrusted: s.untrusted.Load()}
	st.CommitSeq, st.LastCommit = s.CommitSeq()
	s.set.mu.RLock()
	defer s.set.mu.RUnlock()
	st.Bindings = len(s.set.byMAC)
	for state := binding.Tentative; state <= binding.Declined; state++ {
		st.ByState[state.String()] = s.set.states[state]
	}
	st.UnknownCircuit = s.set.unknown.len()
	st.PendingChanges = len(s.set.pending.dirty)
	return st
}
