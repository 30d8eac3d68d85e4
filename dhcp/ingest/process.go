package ingest

import (
	"bytes"
	"context"
	"errors"
	"net/netip"
	"time"

	"github.com/stadsnat/accessd/dhcp/binding"
	"github.com/stadsnat/accessd/dhcp/circuit"
	"github.com/stadsnat/accessd/dhcp/dhcp4"
	"github.com/stadsnat/accessd/dhcp/hwaddr"
	"github.com/stadsnat/accessd/dhcp/kealease"
	"github.com/stadsnat/accessd/dhcp/option82"
	"github.com/stadsnat/accessd/store"
)

// chunk is how many queued packets the processor applies under one lock of
// the working set.
const chunk = 256

// processor is the state of the one goroutine that applies packets; the
// order of its work is the order of arrival, so a client's packets are
// applied in the order they came.
type processor struct {
	pkt   dhcp4.Packet
	buf   []packet
	prof  *profiles
	gen   uint64
	genOK bool
	cache map[circuitKey]*resolution
	// circs caches decoded circuits by giaddr and raw option 82 bytes:
	// a relay sends the same bytes for a port again and again, so most
	// packets skip the decoder (and share the circuit's memory).
	circs    map[string]*circEntry
	keyBuf   []byte
	epoch    uint64 // counts clearings of cache, to invalidate circEntry.res
	logLimit limiter
	// lastForget is when ended bindings and stale unknown circuits were
	// last forgotten.
	lastForget time.Time
}

type circuitKey struct{ key, circuitID, remoteID string }

// circEntry is a decoded circuit and, while epoch holds, its resolution.
type circEntry struct {
	c     circuit.Circuit
	err   error
	res   *resolution
	epoch uint64
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

// maxPendingLatencies bounds the receive times kept for the
// packet-to-commit histogram while the writer is behind.
const maxPendingLatencies = 1 << 20

func (p *processor) init() {
	p.cache = map[circuitKey]*resolution{}
	p.circs = map[string]*circEntry{}
	p.buf = make([]packet, 0, chunk)
	p.logLimit = limiter{per: time.Minute, max: 20}
}

func (s *Service) process(ctx context.Context) {
	sweep := time.NewTicker(s.cfg.SweepInterval)
	defer sweep.Stop()
	for {
		s.drain()
		select {
		case <-ctx.Done():
			s.drain()
			return
		case <-s.q.ready:
		case b := <-s.leases:
			s.applyLeases(b.rows)
			close(b.done)
		case now := <-sweep.C:
			s.sweep(now)
		}
	}
}

// drain applies everything queued.
func (s *Service) drain() {
	p := &s.proc
	for {
		p.buf = s.q.peek(p.buf[:0], chunk)
		if len(p.buf) == 0 {
			return
		}
		s.refresh()
		s.set.mu.Lock()
		for i := range p.buf {
			s.packet(&p.buf[i])
		}
		s.armWriter()
		s.set.mu.Unlock()
		s.q.release(len(p.buf))
	}
}

// refresh drops the circuit cache when the inventory or the profiles
// changed since it was filled.
func (s *Service) refresh() {
	p := &s.proc
	prof := s.profile.Load()
	gen, err := s.db.AccessGeneration()
	if err != nil {
		s.log.Error("reading the inventory generation failed; circuits are looked up again", "err", err)
		p.genOK = false
	}
	if prof != p.prof {
		clear(p.circs)
	}
	if prof != p.prof || err != nil || !p.genOK || gen != p.gen || len(p.cache) > maxCache {
		clear(p.cache)
		p.epoch++
		if p.genOK && gen != p.gen {
			s.set.mu.Lock()
			clear(s.set.learned)
			s.set.mu.Unlock()
		}
		p.prof, p.gen, p.genOK = prof, gen, err == nil
	}
}

// fullBatch is the number of changed bindings that makes a group worth
// committing at once, without waiting for the rest of commit_interval:
// under load the writer then commits back to back and a packet waits for
// at most the commit before its own.
const fullBatch = 256

// armWriter tells the writer about prompt changes. Call with set.mu held.
func (s *Service) armWriter() {
	pd := s.set.pending
	if !pd.full && len(pd.dirty) >= fullBatch {
		pd.full, pd.armed = true, true
		select {
		case s.full <- struct{}{}:
		default:
		}
		return
	}
	if pd.armed || !pd.prompt() {
		return
	}
	pd.armed = true
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// packet applies one packet. Call with set.mu held.
func (s *Service) packet(pk *packet) {
	p := &s.proc
	if err := p.pkt.Decode(pk.data); err != nil {
		s.m.decodeErr.WithLabelValues(pk.src.String(), dhcp4.ReasonLabel(err)).Inc()
		if p.logLimit.allow(pk.at) {
			s.log.Debug("undecodable DHCP packet ignored", "source", pk.src, "err", err)
		}
		return
	}
	s.m.packet(pk.src, p.pkt.MessageType)
	mac, _ := p.pkt.MAC()
	var circ *circuit.Circuit
	access := ""
	if len(p.pkt.Option82) > 0 {
		p.keyBuf = circuitCacheKey(p.keyBuf[:0], p.pkt.GIAddr, p.pkt.Option82)
		ce, ok := p.circs[string(p.keyBuf)]
		if !ok {
			c, err := p.prof.dec.Decode(p.pkt.GIAddr, p.pkt.Option82)
			ce = &circEntry{c: c, err: err}
			if len(p.circs) >= maxCache {
				clear(p.circs)
			}
			p.circs[string(p.keyBuf)] = ce
		}
		if ce.err != nil {
			s.m.decodeErr.WithLabelValues(pk.src.String(), circuitReason(ce.err)).Inc()
			s.noteUndecodable(p.pkt.GIAddr, p.pkt.Option82, ce.err, mac, pk.at)
		} else {
			circ = &ce.c
			if ce.epoch != p.epoch || ce.res == nil || ce.res.failed {
				ce.res, ce.epoch = s.resolve(circ), p.epoch
			}
			access = s.circuitAccessResolved(circ, ce.res, mac, pk.at)
		}
	}
	key := ""
	if circ != nil {
		key = circ.Key
	}
	ob, ok := binding.FromPacket(&p.pkt, pk.src, pk.at, access, key)
	if !ok {
		return
	}
	s.observe(&ob, circ, pk.at.UnixNano())
}

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
	r := &resolution{}
	m, err := s.db.ResolveCircuit(c.Key, c.CircuitID, c.RemoteID)
	switch {
	case err != nil:
		// Not cached: the next packet tries again.
		s.log.Error("looking up a circuit in the inventory failed", "circuit", c.Key, "err", err)
		return &resolution{reason: "look-up failed", failed: true}
	case m.ByKey != "":
		r.access = m.ByKey
		if m.ByPair != "" && m.ByPair != m.ByKey {
			r.conflict = []string{m.ByKey, m.ByPair}
		}
	case m.ByPair != "":
		r.access = m.ByPair
	case m.PairAmbiguous:
		r.reason = "ambiguous"
	default:
		r.reason = "no access"
	}
	p.cache[k] = r
	return r
}

// circuitAccess resolves a decoded circuit to its access and keeps the
// unknown-circuit list, the conflict events, the learned circuits and the
// last Option 82 per access up to date. Call with set.mu held.
func (s *Service) circuitAccess(c *circuit.Circuit, mac hwaddr.MAC, at time.Time) string {
	return s.circuitAccessResolved(c, s.resolve(c), mac, at)
}

func (s *Service) circuitAccessResolved(c *circuit.Circuit, r *resolution, mac hwaddr.MAC, at time.Time) string {
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
	if acc, ok := st.learned[string(c.Raw)]; !ok || acc != r.access {
		st.learned[string(c.Raw)] = r.access
	}
	if st.seeOption82(r.access, c.Raw, at) {
		pd.lastO82[r.access] = struct{}{}
	} else {
		pd.lastO82Lazy[r.access] = struct{}{}
	}
	return r.access
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
	u.LastMAC = mac
	return u, created
}

// namedIP is the IP an observation is about, for the holder look-up.
func namedIP(ob *binding.Observation) netip.Addr {
	switch ob.Kind {
	case binding.Request:
		if usable(ob.RequestedIP) {
			return ob.RequestedIP
		}
		return ob.CIAddr
	case binding.Ack, binding.LeaseActive:
		return ob.YIAddr
	}
	return netip.Addr{}
}

func usable(a netip.Addr) bool { return a.IsValid() && !a.IsUnspecified() }

// observe applies an observation to the working set and records what the
// writer must store. recv is the packet's receive time (0 for Kea rows,
// which have no packet latency). Call with set.mu held.
func (s *Service) observe(ob *binding.Observation, circ *circuit.Circuit, recv int64) {
	ob.Hostname = "" // personal data accessd has no use for: never kept
	st, pd := s.set, s.set.pending
	var curB, holderB *binding.Binding
	cur := st.byMAC[ob.MAC]
	if cur != nil {
		curB = &cur.rec.Binding
	}
	if h := st.holderOf(namedIP(ob)); h != nil && h.rec.MAC != ob.MAC {
		holderB = &h.rec.Binding
	}
	res := s.machine.Apply(curB, holderB, *ob)
	s.events(res.Events, circ)
	if d := res.Displaced; d != nil {
		if h := st.byMAC[d.MAC]; h != nil {
			nr := h.rec
			nr.Binding = *d
			st.put(&nr)
			s.markDirty(d.MAC, recv)
		}
	}
	pd.history = append(pd.history, res.Closed...)
	if res.Binding == nil {
		return
	}
	var old store.BindingRecord
	var storedExpires time.Time
	if cur != nil {
		old, storedExpires = cur.rec, cur.storedExpires
	}
	nr := old
	nr.Binding = *res.Binding
	nr.Hostname = ""
	if circ != nil && circ.Key != "" && nr.Circuit == circ.Key &&
		(!bytes.Equal(nr.Option82, circ.Raw) || nr.RemoteID != circ.RemoteID || nr.CircuitID != circ.CircuitID || nr.Profile != circ.Profile) {
		nr.RemoteID, nr.CircuitID, nr.Profile, nr.Option82 = circ.RemoteID, circ.CircuitID, circ.Profile, circ.Raw
	}
	prompt := cur == nil || s.significant(&old, &nr, ob.Time, storedExpires)
	st.put(&nr)
	if prompt {
		s.markDirty(nr.MAC, recv)
	} else {
		pd.lazy[nr.MAC] = struct{}{}
	}
}

func (s *Service) markDirty(mac hwaddr.MAC, recv int64) {
	pd := s.set.pending
	pd.dirty[mac] = struct{}{}
	delete(pd.lazy, mac)
	if recv != 0 && len(pd.received) < maxPendingLatencies {
		pd.received = append(pd.received, recv)
	}
}

// significant reports a change the store must get within commit_interval:
// anything but LastSeen, GIAddr, and an expiry that moved later while the
// stored one is still at least two lazy intervals ahead.
func (s *Service) significant(a, b *store.BindingRecord, at, storedExpires time.Time) bool {
	x, y := &a.Binding, &b.Binding
	if x.State != y.State || x.IP != y.IP || x.Access != y.Access || x.Circuit != y.Circuit ||
		!x.Since.Equal(y.Since) || !x.Ended.Equal(y.Ended) || x.Confirmed != y.Confirmed ||
		x.LeaseTime != y.LeaseTime || x.Source != y.Source || !x.FirstSeen.Equal(y.FirstSeen) ||
		a.RemoteID != b.RemoteID || a.CircuitID != b.CircuitID || a.Profile != b.Profile || !bytes.Equal(a.Option82, b.Option82) {
		return true
	}
	if x.Expires.Equal(y.Expires) {
		return false
	}
	return !y.Expires.After(storedExpires) || storedExpires.Before(at.Add(2*s.cfg.LazyInterval))
}

// events counts binding events and keeps those the NOC reads.
func (s *Service) events(evs []binding.Event, circ *circuit.Circuit) {
	for _, e := range evs {
		s.m.events.WithLabelValues(e.Kind.String()).Inc()
		switch e.Kind {
		case binding.MACMoved, binding.IPTakenOver, binding.IPClaimed, binding.IPChanged:
		default:
			continue
		}
		be := store.BindingEvent{Kind: e.Kind.String(), Time: e.Time, MAC: e.MAC, IP: e.IP, Access: e.Access,
			PrevAccess: e.PrevAccess, PrevIP: e.PrevIP, PrevMAC: e.PrevMAC}
		if circ != nil {
			be.Circuit = circ.Key
		}
		s.addEvent(be)
		if e.Kind == binding.MACMoved && s.proc.logLimit.allow(e.Time) {
			s.log.Info("a client moved to another access", "access_id", e.Access, "previous_access_id", e.PrevAccess)
		}
		s.log.Debug("binding event", "event", e.Kind, "mac", e.MAC, "ip", e.IP, "access_id", e.Access,
			"previous_access_id", e.PrevAccess, "previous_mac", e.PrevMAC)
	}
}

func (s *Service) addEvent(e store.BindingEvent) {
	pd := s.set.pending
	if len(pd.events) >= maxPendingEvents {
		pd.droppedEvent++
		return
	}
	pd.events = append(pd.events, e)
}

// applyLeases applies rows of Kea's lease file in order.
func (s *Service) applyLeases(rows []kealease.Lease) {
	s.refresh()
	s.set.mu.Lock()
	defer s.set.mu.Unlock()
	for i := range rows {
		l := &rows[i]
		var circ *circuit.Circuit
		access := ""
		if o, ok, err := l.Option82(); ok && err == nil {
			// A lease row has no giaddr: profiles selected by giaddr do
			// not apply, the others and the default do.
			c, err := s.proc.prof.dec.Decode(netip.Addr{}, []option82.Option{o})
			if err == nil {
				circ = &c
				mac, _ := l.MAC()
				access = s.circuitAccess(circ, mac, l.CLTT())
			} else {
				s.m.decodeErr.WithLabelValues(binding.SourceKea.String(), circuitReason(err)).Inc()
			}
		} else if err != nil {
			s.m.decodeErr.WithLabelValues(binding.SourceKea.String(), "option82").Inc()
		}
		key := ""
		if circ != nil {
			key = circ.Key
		}
		ob, ok := binding.FromLease(l, access, key)
		if !ok {
			continue
		}
		s.m.keaRows.Inc()
		s.observe(&ob, circ, 0)
	}
	s.armWriter()
}

// sweep ends expired bindings and, once an hour, forgets ended bindings
// and unknown circuits older than the history retention.
func (s *Service) sweep(now time.Time) {
	st := s.set
	st.mu.Lock()
	defer st.mu.Unlock()
	for _, mac := range st.byIP {
		e := st.byMAC[mac]
		if e == nil {
			continue
		}
		res, ok := s.machine.Sweep(e.rec.Binding, now)
		if !ok {
			continue
		}
		s.events(res.Events, nil)
		nr := e.rec
		nr.Binding = *res.Binding
		st.put(&nr)
		s.markDirty(mac, 0)
		st.pending.history = append(st.pending.history, res.Closed...)
	}
	if now.Sub(s.proc.lastForget) >= time.Hour {
		s.proc.lastForget = now
		cutoff := now.Add(-s.cfg.HistoryRetention)
		forgot := 0
		for mac, e := range st.byMAC {
			if !e.rec.State.Active() && e.rec.LastSeen.Before(cutoff) && e.rec.Ended.Before(cutoff) {
				st.remove(mac)
				delete(st.pending.dirty, mac)
				delete(st.pending.lazy, mac)
				st.pending.forget = append(st.pending.forget, mac)
				forgot++
			}
		}
		for _, u := range st.unknown.all() {
			if u.LastSeen.Before(cutoff) {
				st.unknown.remove(u.Key)
				st.pending.unknownGone[u.Key] = struct{}{}
				delete(st.pending.unknown, u.Key)
				delete(st.pending.unknownLazy, u.Key)
			}
		}
		if forgot > 0 {
			s.log.Info("forgot ended DHCP bindings past the history retention", "bindings", forgot, "retention", s.cfg.HistoryRetention)
		}
	}
	s.armWriter()
}

// limiter lets at most max log lines through per period.
type limiter struct {
	per   time.Duration
	max   int
	start time.Time
	n     int
}

func (l *limiter) allow(now time.Time) bool {
	if now.Sub(l.start) >= l.per || now.Before(l.start) {
		l.start, l.n = now, 0
	}
	l.n++
	return l.n <= l.max
}

func hexString(b []byte) string { return string(option82.AppendHex(nil, b, true)) }

func hexBytes(s string) ([]byte, error) { return option82.DecodeHex(s) }
