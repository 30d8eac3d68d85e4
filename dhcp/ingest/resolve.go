package ingest

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"

	"github.com/stadsnat/accessd/dhcp/circuit"
	"github.com/stadsnat/accessd/dhcp/option82"
	"github.com/stadsnat/accessd/store"
)

// Resolver answers the option82 and dhcplookup look-ups of PI-API and
// ON-API (it implements piapi.Resolver). It tries, in order, and answers
// with the first step that finds exactly one access:
//
//  1. the inventory by the raw text of sub-options 1 and 2 (circuit-id and
//     remote-id), instance by instance, as piapi.StoreResolver does;
//  2. the live bindings: an Option 82 identical to the one of a packet
//     that resolved to an access (the packet path chose the profile by
//     its giaddr, which an API request does not carry);
//  3. the decoder profiles: each configured profile (its matchers do not
//     apply: there is no giaddr) decodes the Option 82, renders its key
//     template and looks the key up by Option82 text and by circuit-id /
//     remote-id — binary vendor formats (Cisco, Huawei, …) match here.
//
// Several different accesses from one step are ErrAmbiguous; nothing
// found is ErrNotFound (both store's, wrapped).
type Resolver struct{ s *Service }

// Resolver returns the API resolver of the service.
func (s *Service) Resolver() Resolver { return Resolver{s} }

// Resolve implements piapi.Resolver: opts are the option 82 instances of
// an SP's DHCP log, or nil with circuitID/remoteID as text.
func (r Resolver) Resolve(opts []option82.Option, circuitID, remoteID string) (string, error) {
	s := r.s
	var firstErr error
	keep := func(err error) {
		if firstErr == nil || (errors.Is(firstErr, store.ErrNotFound) && errors.Is(err, store.ErrAmbiguous)) {
			firstErr = err
		}
	}
	// 1. The inventory's circuit-id / remote-id text.
	if opts == nil {
		id, err := s.db.AccessByCircuit(circuitID, remoteID)
		if err == nil {
			return id, nil
		}
		keep(err)
		opts = textOption(circuitID, remoteID)
		if opts == nil {
			return "", firstErr
		}
	} else {
		for _, o := range opts {
			c, _ := o.CircuitID()
			rid, _ := o.RemoteID()
			if len(c) == 0 && len(rid) == 0 {
				continue
			}
			id, err := s.db.AccessByCircuit(string(c), string(rid))
			if err == nil {
				return id, nil
			}
			keep(err)
		}
	}
	// 2. Live bindings.
	if raw, err := option82.EncodeTLV(opts...); err == nil {
		s.set.mu.RLock()
		id, ok := s.set.learned[string(raw)]
		s.set.mu.RUnlock()
		if ok {
			return id, nil
		}
	}
	// 3. Every profile's key template.
	var found []string
	ambiguous := false
	for _, d := range s.profile.Load().each {
		c, err := d.Decode(netip.Addr{}, opts)
		if err != nil {
			continue
		}
		m, err := s.db.ResolveCircuit(c.Key, c.CircuitID, c.RemoteID)
		if err != nil {
			return "", fmt.Errorf("look up circuit %q: %w", c.Key, err)
		}
		switch {
		case m.ByKey != "":
			found = appendNew(found, m.ByKey)
		case m.ByPair != "":
			found = appendNew(found, m.ByPair)
		case m.PairAmbiguous:
			ambiguous = true
		}
	}
	switch {
	case len(found) == 1:
		return found[0], nil
	case len(found) > 1:
		return "", fmt.Errorf("the decoder profiles find accesses %v: %w", found, store.ErrAmbiguous)
	case ambiguous:
		keep(fmt.Errorf("the decoder profiles' keys: %w", store.ErrAmbiguous))
	}
	if firstErr == nil {
		firstErr = fmt.Errorf("no access: %w", store.ErrNotFound)
	}
	return "", firstErr
}

func appendNew(list []string, s string) []string {
	if slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}

// textOption builds the option 82 a relay would send for a text
// circuit-id and remote-id (nil when both are empty or too long).
func textOption(circuitID, remoteID string) []option82.Option {
	var o option82.Option
	if circuitID != "" {
		o.Subs = append(o.Subs, option82.SubOption{Code: option82.CircuitID, Data: []byte(circuitID)})
	}
	if remoteID != "" {
		o.Subs = append(o.Subs, option82.SubOption{Code: option82.RemoteID, Data: []byte(remoteID)})
	}
	if len(o.Subs) == 0 || len(circuitID) > 255 || len(remoteID) > 255 || len(circuitID)+len(remoteID)+4 > 255 {
		return nil
	}
	return []option82.Option{o}
}

// Decoded is what one profile makes of an Option 82 (accessctl lookup
// option82).
type Decoded struct {
	Profile string
	Circuit circuit.Circuit
	Err     error
}

// DecodeAll decodes opts with every configured profile (no matchers, no
// giaddr), for people who want to see what each would make of it.
func (s *Service) DecodeAll(opts []option82.Option) []Decoded {
	var out []Decoded
	for _, d := range s.profile.Load().each {
		ps := d.Profiles()
		name := "default"
		if len(ps) > 0 {
			name = ps[0].Name
		}
		c, err := d.Decode(netip.Addr{}, opts)
		out = append(out, Decoded{Profile: name, Circuit: c, Err: err})
	}
	return out
}
