package ingest

import (
	"errors"
	"net/netip"
	"time"

	"github.com/stadsnat/accessd/dhcp/circuit"
	"github.com/stadsnat/accessd/dhcp/hwaddr"
	"github.com/stadsnat/accessd/dhcp/lookup"
	"github.com/stadsnat/accessd/dhcp/option82"
	"github.com/stadsnat/accessd/store"
)

// Circuits: what the processor makes of a packet's Option 82 — the decoded
// circuit (cached by giaddr and raw bytes), its access through the
// inventory (cached until the inventory or the profiles change), and the
// list of circuits that match no single access.

type circuitKey struct{ key, circuitID, remoteID string }

// circEntry is a decoded circuit, its key among the live circuits
// (lookup.LiveKey) and, while epoch holds, its resolution.
type circEntry struct {
	c     circuit.Circuit
	err   error
	live  string
	res   *resolution
	epoch uint64
	// learnedVer and learned: at the set's learnedVer, the live step
	// held learned for live (set.learn).
	learnedVer uint64
	learned    string
}

// circuitCacheKey appends giaddr and the option 82 instances' raw bytes
// (each with its length) to dst.
func circuitCacheKey(dst []byte, giaddr netip.Addr, opts []option82.Option) []byte {
	if giaddr.Is4() {
		a := giaddr.As4()
		dst = append(dst, a[:]...)
	} else {
		dst = append(dst, 0, 0, 0, 0)
	}
	for _, o := range opts {
		dst = append(dst, byte(len(o.Raw)>>8), byte(len(o.Raw)))
		dst = append(dst, o.Raw...)
	}
	return dst
}

// resolution is what the inventory says about one circuit.
type resolution struct {
	access   string
	reason   string   // why access is "": "no access" or "ambiguous"
	conflict []string // two accesses claim the circuit (access is the key's)
	reported bool     // the conflict event was recorded
	failed   bool     // the store failed: not cached, asked again next time
}

// maxCache bounds the circuit look-up cache (a storm of random circuits
// empties it rather than growing it).
const maxCache = 100_000

// circuitReason labels a circuit decode error for metrics.
func circuitReason(err error) string {
	switch {
	case errors.Is(err, circuit.ErrNoIdentity):
		return "circuit_no_identity"
	case errors.Is(err, circuit.ErrNotText):
		return "circuit_not_text"
	case errors.Is(err, circuit.ErrFormat):
		return "circuit_format"
	case errors.Is(err, circuit.ErrNoKey):
		return "circuit_no_key"
	}
	return "circuit_other"
}

// resolve looks a circuit up in the inventory, through the cache.
func (s *Service) resolve(c *circuit.Circuit) *resolution {
	p := &s.proc
	k := circuitKey{c.Key, c.CircuitID, c.RemoteID}
	if r, ok := p.cache[k]; ok {
		return r
	}
	m, err := s.inv.ResolveCircuit(c.Key, c.CircuitID, c.RemoteID)
	if err != nil {
		// Not cached: the next packet tries again.
		s.log.Error("looking up a circuit in the inventory failed", "circuit", c.Key, "err", err)
		return &resolution{reason: "look-up failed", failed: true}
	}
	mt := lookup.MatchCircuit(m)
	r := &resolution{access: mt.Access}
	switch {
	case mt.Conflict != "":
		r.conflict = []string{mt.Access, mt.Conflict}
	case mt.Ambiguous:
		r.reason = "ambiguous"
	case mt.Access == "":
		r.reason = "no access"
	}
	p.cache[k] = r
	return r
}

// circuitAccess resolves a decoded circuit to its access and keeps the
// unknown-circuit list, the conflict events, the learned circuits (by
// live, the Option 82's lookup.LiveKey) and the last Option 82 per access
// up to date. Call with set.mu held.
func (s *Service) circuitAccess(c *circuit.Circuit, live string, mac hwaddr.MAC, at time.Time) string {
	return s.circuitAccessResolved(c, nil, s.resolve(c), live, mac, at)
}

// circuitAccessResolved is circuitAccess when the packet's circuit, ce
// (nil for a Kea row), is resolved as r.
func (s *Service) circuitAccessResolved(c *circuit.Circuit, ce *circEntry, r *resolution, live string, mac hwaddr.MAC, at time.Time) string {
	st, pd := s.set, s.set.pending
	if r.access == "" {
		s.noteUnknown(c, r.reason, mac, at)
		return ""
	}
	if st.unknown.len() > 0 && st.unknown.remove(c.Key) {
		pd.unknownGone[c.Key] = struct{}{}
		delete(pd.unknown, c.Key)
		delete(pd.unknownLazy, c.Key)
		s.log.Info("a circuit listed as unknown now matches an access", "circuit", c.Key, "access_id", r.access)
	}
	if r.conflict != nil && !r.reported {
		r.reported = true
		s.addEvent(store.BindingEvent{Kind: store.EventCircuitConflict, Time: at, Circuit: c.Key, Access: r.access, Accesses: r.conflict})
		s.log.Warn("two accesses claim one circuit; using the one whose Option82 text matches the key",
			"circuit", c.Key, "access_id", r.conflict[0], "other_access_id", r.conflict[1])
	}
	st.learn(ce, live, r.access)
	switch l, changed := st.seeOption82(r.access, c.Raw, at); {
	case changed:
		pd.lastO82[r.access] = struct{}{}
	case l.lazyGen != pd.lazyGen:
		pd.lastO82Lazy[r.access] = struct{}{}
		l.lazyGen = pd.lazyGen
	}
	return r.access
}

// learn records that packets whose Option 82 has the live key resolved to
// access (the resolver's live step). ce, the packet's cached circuit (nil
// for a Kea row), remembers it: while nothing else changed what was
// learned, its next packets need no look-up. Call with mu held.
func (s *set) learn(ce *circEntry, live, access string) {
	if live == "" {
		return
	}
	if ce != nil && ce.learnedVer == s.learnedVer && ce.learned == access {
		return
	}
	if acc, ok := s.learned[live]; !ok || acc != access {
		s.learned[live] = access
		s.learnedVer++
	}
	if ce != nil {
		ce.learnedVer, ce.learned = s.learnedVer, access
	}
}

// noteUnknown counts a circuit that matches no single access.
func (s *Service) noteUnknown(c *circuit.Circuit, reason string, mac hwaddr.MAC, at time.Time) {
	s.m.unknown.Inc()
	u, created := s.touchUnknown(c.Key, mac, at)
	if created {
		u.Reason, u.Profile, u.RemoteID, u.CircuitID, u.GIAddr = reason, c.Profile, c.RemoteID, c.CircuitID, c.GIAddr
		u.Option82 = hexString(c.Raw)
		if s.proc.logLimit.allow(at) {
			s.log.Info("a circuit matches no access; listed by accessctl circuits --unknown",
				"circuit", c.Key, "reason", reason, "profile", c.Profile, "giaddr", c.GIAddr)
		}
	} else if u.Reason != reason {
		u.Reason = reason
		s.set.pending.unknown[u.Key] = struct{}{}
	}
}

// noteUndecodable lists an option 82 the profile could not read, by its hex.
func (s *Service) noteUndecodable(giaddr netip.Addr, opts []option82.Option, err error, mac hwaddr.MAC, at time.Time) {
	raw, _ := option82.EncodeTLV(opts...)
	key := "hex:" + hexString(raw)
	u, created := s.touchUnknown(key, mac, at)
	if created {
		u.Reason, u.GIAddr, u.Option82 = "undecodable: "+err.Error(), giaddr, hexString(raw)
		var de *circuit.DecodeError
		if errors.As(err, &de) {
			u.Profile = de.Profile
		}
		if s.proc.logLimit.allow(at) {
			s.log.Info("an Option 82 cannot be decoded with its profile; listed by accessctl circuits --unknown",
				"giaddr", giaddr, "err", err)
		}
	}
}

func (s *Service) touchUnknown(key string, mac hwaddr.MAC, at time.Time) (*store.UnknownCircuit, bool) {
	pd := s.set.pending
	u, created, evicted := s.set.unknown.touch(key)
	if evicted != "" {
		pd.unknownGone[evicted] = struct{}{}
		delete(pd.unknown, evicted)
		delete(pd.unknownLazy, evicted)
	}
	if created {
		u.FirstSeen = at
		delete(pd.unknownGone, key)
		pd.unknown[key] = struct{}{}
	} else {
		pd.unknownLazy[key] = struct{}{}
	}
	u.Count++
	if at.After(u.LastSeen) {
		u.LastSeen = at
	}
	u.LastMAC = store.MAC(mac)
	return u, created
}

func hexString(b []byte) string { return string(option82.AppendHex(nil, b, true)) }

func hexBytes(s string) ([]byte, error) { return option82.DecodeHex(s) }
