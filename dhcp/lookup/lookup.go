package lookup

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"slices"

	"github.com/stadsnat/accessd/dhcp/option82"
	"github.com/stadsnat/accessd/store"
)

// Inventory is the part of the store a look-up reads (store.Inventory).
type Inventory interface {
	AccessByCircuit(circuitID, remoteID string) (string, error)
	// AccessByCircuitBytes is AccessByCircuit for sub-options as they
	// lie in a parsed option 82 (no copies for an answer it keeps).
	AccessByCircuitBytes(circuitID, remoteID []byte) (string, error)
	ResolveCircuit(key, circuitID, remoteID string) (store.CircuitMatch, error)
}

// Live is the DHCP service's memory of circuits seen in packets: the
// access the packets with Option 82 key (see LiveKey) resolved to.
type Live interface {
	LiveAccess(key string) (accessID string, ok bool)
}

// Resolver answers option82 and dhcplookup look-ups (it implements
// piapi.Resolver). It is safe for concurrent use.
type Resolver struct {
	inv      Inventory
	profiles func() *Profiles
	live     Live
	def      *Profiles
}

// New returns a resolver over inv. profiles gives the decoder profiles in
// use and is called for every look-up, so that reloaded profiles apply at
// once; nil means the built-in default profile alone. live is step 2; nil
// leaves it out (the DHCP service does not run).
func New(inv Inventory, profiles func() *Profiles, live Live) *Resolver {
	return &Resolver{inv: inv, profiles: profiles, live: live, def: defaultProfiles}
}

// Resolve finds the access of opts, the option 82 instances of an SP's
// DHCP log in hop order; with opts nil, of the circuit-id and remote-id
// text (dhcplookup). See the package documentation for the rules.
func (r *Resolver) Resolve(opts []option82.Option, circuitID, remoteID string) (string, error) {
	var firstErr error
	keep := func(err error) {
		if firstErr == nil || (errors.Is(firstErr, store.ErrNotFound) && errors.Is(err, store.ErrAmbiguous)) {
			firstErr = err
		}
	}
	textDone := false
	if opts == nil {
		// 1. for the text: the inventory's circuit-id / remote-id, asked
		// with the strings as they came.
		id, err := r.inv.AccessByCircuit(circuitID, remoteID)
		if err == nil {
			return id, nil
		}
		if opts = TextOption(circuitID, remoteID); opts == nil {
			// Nothing a relay could send: only the inventory's text.
			return id, err
		}
		keep(err)
		textDone = true
	}
	// 1. The inventory's circuit-id / remote-id text.
	for _, o := range opts {
		if textDone {
			break
		}
		c, _ := o.FirstNonEmpty(option82.CircuitID)
		rid, _ := o.FirstNonEmpty(option82.RemoteID)
		if len(c) == 0 && len(rid) == 0 {
			continue
		}
		id, err := r.inv.AccessByCircuitBytes(c, rid)
		if err == nil {
			return id, nil
		}
		keep(err)
	}
	// 2. Live bindings.
	if r.live != nil {
		if k, ok := LiveKey(opts); ok {
			if id, ok := r.live.LiveAccess(k); ok {
				return id, nil
			}
		}
	}
	// 3. Every profile's key template.
	id, err := r.byProfiles(opts)
	switch {
	case err == nil:
		return id, nil
	case !errors.Is(err, store.ErrNotFound) && !errors.Is(err, store.ErrAmbiguous):
		return "", err // the store failed: not an answer
	}
	keep(err)
	return "", firstErr
}

// byProfiles is step 3.
func (r *Resolver) byProfiles(opts []option82.Option) (string, error) {
	ps := r.def
	if r.profiles != nil {
		if p := r.profiles(); p != nil {
			ps = p
		}
	}
	var found []string
	ambiguous := false
	for _, d := range ps.each {
		c, err := d.Decode(netip.Addr{}, opts)
		if err != nil {
			continue
		}
		m, err := r.inv.ResolveCircuit(c.Key, c.CircuitID, c.RemoteID)
		if err != nil {
			return "", fmt.Errorf("look up circuit %q: %w", c.Key, err)
		}
		mt := MatchCircuit(m)
		switch {
		case mt.Access != "":
			if !slices.Contains(found, mt.Access) {
				found = append(found, mt.Access)
			}
		case mt.Ambiguous:
			ambiguous = true
		}
	}
	switch {
	case len(found) == 1:
		return found[0], nil
	case len(found) > 1:
		return "", fmt.Errorf("the decoder profiles find accesses %v: %w", found, store.ErrAmbiguous)
	case ambiguous:
		return "", fmt.Errorf("the decoder profiles' keys: %w", store.ErrAmbiguous)
	}
	return "", fmt.Errorf("no access: %w", store.ErrNotFound)
}

// Match is what one decoded circuit resolves to.
type Match struct {
	// Access is the circuit's access ("" when none or several).
	Access string
	// Conflict is another access that claims the circuit by its
	// circuit-id / remote-id pair while Access has it by its Option82
	// text ("" when none).
	Conflict string
	// Ambiguous: no Option82 text matches and several accesses have the
	// pair.
	Ambiguous bool
}

// MatchCircuit applies the rule that turns what the inventory says about
// one circuit into its access: the access whose Option82 text is the
// rendered key wins (the key template is the configured rule), else the
// access found by the circuit-id / remote-id pair; several accesses for
// the pair and no key match is ambiguous, never a guess.
func MatchCircuit(m store.CircuitMatch) Match {
	switch {
	case m.ByKey != "":
		mt := Match{Access: m.ByKey}
		if m.ByPair != "" && m.ByPair != m.ByKey {
			mt.Conflict = m.ByPair
		}
		return mt
	case m.ByPair != "":
		return Match{Access: m.ByPair}
	}
	return Match{Ambiguous: m.PairAmbiguous}
}

// TextOption is the option 82 a relay would send for a text circuit-id
// and remote-id: one instance with the non-empty ones. It is nil when both
// are empty or they do not fit one option.
func TextOption(circuitID, remoteID string) []option82.Option {
	var o option82.Option
	if circuitID != "" {
		o.Subs = append(o.Subs, option82.SubOption{Code: option82.CircuitID, Data: []byte(circuitID)})
	}
	if remoteID != "" {
		o.Subs = append(o.Subs, option82.SubOption{Code: option82.RemoteID, Data: []byte(remoteID)})
	}
	if len(o.Subs) == 0 || len(circuitID) > 255 || len(remoteID) > 255 || o.Len() > 255 {
		return nil
	}
	return []option82.Option{o}
}

// LiveKey is the key of an Option 82 in the DHCP service's memory of live
// circuits: its instances in order without their zero-length circuit-id
// and remote-id sub-options (an instance left with nothing is left out),
// so that two options that differ only in those have one key. ok is false
// when nothing is left.
func LiveKey(opts []option82.Option) (key string, ok bool) {
	var b, inst []byte
	for _, o := range opts {
		inst = inst[:0]
		for _, s := range o.Subs {
			if len(s.Data) == 0 && (s.Code == option82.CircuitID || s.Code == option82.RemoteID) {
				continue
			}
			inst = append(inst, byte(s.Code))
			inst = binary.AppendUvarint(inst, uint64(len(s.Data)))
			inst = append(inst, s.Data...)
		}
		if len(inst) == 0 {
			continue
		}
		b = binary.AppendUvarint(b, uint64(len(inst)))
		b = append(b, inst...)
	}
	return string(b), len(b) > 0
}
