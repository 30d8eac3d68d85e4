package ingest

import (
	"bytes"
	"context"
	"net/netip"
	"time"

	"github.com/stadsnat/accessd/dhcp/binding"
	"github.com/stadsnat/accessd/dhcp/circuit"
	"github.com/stadsnat/accessd/dhcp/dhcp4"
	"github.com/stadsnat/accessd/dhcp/hwaddr"
	"github.com/stadsnat/accessd/dhcp/kealease"
	"github.com/stadsnat/accessd/dhcp/lookup"
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
	pkt dhcp4.Packet
	// scratch is the binding machine's memory (its results point into
	// it until the next packet).
	scratch binding.Scratch
	buf     []packet
	prof    *profiles
	gen     uint64
	genOK   bool
	changes uint64 // the store's Inventory.Changes when gen was read
	cache   map[circuitKey]*resolution
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
	// A bbolt read transaction (and its allocations) for every chunk
	// was about 1 % of the daemon's CPU flat out: the generation is read
	// only when a write has been committed since.
	changes := s.inv.Changes()
	if prof == p.prof && p.genOK && changes == p.changes && len(p.cache) <= maxCache {
		return
	}
	gen, err := s.inv.Generation()
	if err != nil {
		s.log.Error("reading the inventory generation failed; circuits are looked up again", "err", err)
		p.genOK = false
	}
	p.changes = changes
	if prof != p.prof {
		clear(p.circs)
	}
	if prof != p.prof || err != nil || !p.genOK || gen != p.gen || len(p.cache) > maxCache {
		clear(p.cache)
		p.epoch++
		if p.genOK && gen != p.gen {
			s.set.mu.Lock()
			clear(s.set.learned)
			s.set.learnedVer++
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
			ce.live, _ = lookup.LiveKey(p.pkt.Option82)
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
			access = s.circuitAccessResolved(circ, ce, ce.res, ce.live, mac, pk.at)
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
	// The machine asks for the holder only when the client does not
	// actively hold the IP itself (most packets are about its own).
	if ip := namedIP(ob); cur == nil || !cur.rec.State.Active() || cur.rec.IP != ip {
		if h := st.holderOf(ip); h != nil {
			holderB = &h.rec.Binding
		}
	}
	res := s.machine.ApplyWith(&s.proc.scratch, curB, holderB, *ob)
	if res.Refused {
		s.m.refused.WithLabelValues(ob.Kind.String()).Inc()
		if s.proc.logLimit.allow(ob.Time) {
			s.log.Info("a RELEASE or DECLINE that did not come through the binding's circuit was ignored",
				"kind", ob.Kind, "access_id", cur.rec.Access, "source", ob.Source)
		}
		return
	}
	s.events(res.Events, circ)
	if d := res.Displaced; d != nil {
		if h := st.byMAC[d.MAC]; h != nil {
			nr := h.rec
			nr.Binding = *d
			s.markDirty(st.put(&nr), recv)
		}
	}
	pd.history = append(pd.history, res.Closed...)
	if res.Binding == nil {
		return
	}
	var old record
	var storedExpires time.Time
	if cur != nil {
		old, storedExpires = cur.rec, cur.storedExpires
	}
	nr := old
	nr.Binding = *res.Binding
	nr.Hostname = ""
	if circ != nil && circ.Key != "" && nr.Circuit == circ.Key {
		// The circuit's own strings and bytes, equal or not: a record
		// read from the store has its own copies, which every packet
		// compared byte by byte (about 4 % of the daemon's CPU flat out
		// after a restart); the same memory compares at once.
		nr.Circuit, nr.RemoteID, nr.CircuitID, nr.Profile, nr.Option82 = circ.Key, circ.RemoteID, circ.CircuitID, circ.Profile, circ.Raw
		if nr.Access == ob.Access {
			nr.Access = ob.Access
		}
	}
	prompt := cur == nil || s.significant(&old, &nr, ob.Time, storedExpires)
	e := st.putOver(cur, &nr)
	switch i, dirty := pd.dirty[nr.MAC]; {
	case prompt:
		s.markDirtyAt(e, recv, i, dirty)
	case dirty:
		pd.recs.set(i, e.rec.toStore()) // written with the prompt change, as it is now
	default:
		pd.addLazy(e)
	}
}

func (s *Service) markDirty(e *entry, recv int64) {
	i, dirty := s.set.pending.dirty[e.rec.MAC]
	s.markDirtyAt(e, recv, i, dirty)
}

// markDirtyAt is markDirty when the caller has looked e's MAC up in the
// dirty set: at i if dirty.
func (s *Service) markDirtyAt(e *entry, recv int64, i int, dirty bool) {
	pd := s.set.pending
	if dirty {
		pd.recs.set(i, e.rec.toStore())
	} else {
		pd.dirty[e.rec.MAC] = pd.recs.add(e.rec.toStore())
	}
	pd.dropLazy(e)
	if recv != 0 && len(pd.received) < maxPendingLatencies {
		pd.received = append(pd.received, recv)
	}
}

// significant reports a change the store must get within commit_interval:
// anything but LastSeen, GIAddr, and an expiry that moved later while the
// stored one is still at least two lazy intervals ahead.
func (s *Service) significant(a, b *record, at, storedExpires time.Time) bool {
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
		kind, ok := storeEventKind(e.Kind)
		if !ok {
			continue
		}
		be := store.BindingEvent{Kind: kind, Time: e.Time, MAC: store.MAC(e.MAC), IP: e.IP, Access: e.Access,
			PrevAccess: e.PrevAccess, PrevIP: e.PrevIP, PrevMAC: store.MAC(e.PrevMAC)}
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
				live, _ := lookup.LiveKey([]option82.Option{o})
				access = s.circuitAccess(circ, live, mac, l.CLTT())
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

// sweepStride is how many bindings a sweep checks between two drains of
// the queue.
const sweepStride = 4096

// sweep ends expired bindings and, once an hour, forgets ended bindings
// and unknown circuits older than the history retention.
func (s *Service) sweep(now time.Time) {
	st := s.set
	st.mu.Lock()
	defer st.mu.Unlock()
	due := st.expiring.take(now)
	if s.cfg.Follow {
		due = nil // the site that owns them ends them
	}
	n := 0
	for i, macs := range due {
		var later []hwaddr.MAC // due within the current second, not yet
		for _, mac := range macs {
			if n++; n%sweepStride == 0 {
				// A mass expiry takes a while: the packets that came
				// meanwhile are applied between its strides.
				s.armWriter()
				st.mu.Unlock()
				s.drain()
				st.mu.Lock()
			}
			e := st.byMAC[mac]
			if e == nil || !e.rec.State.Active() || !e.rec.IP.IsValid() || st.byIP[e.rec.IP] != mac {
				continue // ended, forgotten, or its address taken: no longer an active binding
			}
			res, ok := s.machine.Sweep(e.rec.Binding, now)
			if !ok {
				if i == len(due)-1 && e.rec.Expires.Unix() == now.Unix() {
					later = append(later, mac)
				}
				continue
			}
			s.events(res.Events, nil)
			nr := e.rec
			nr.Binding = *res.Binding
			s.markDirty(st.put(&nr), 0)
			st.pending.history = append(st.pending.history, res.Closed...)
		}
		for _, mac := range later {
			if e := st.byMAC[mac]; e != nil {
				st.expiring.note(&e.rec.Binding)
			}
		}
	}
	if now.Sub(s.proc.lastForget) >= time.Hour {
		s.proc.lastForget = now
		cutoff := now.Add(-s.cfg.HistoryRetention)
		forgot := 0
		for mac, e := range st.byMAC {
			if !e.rec.State.Active() && e.rec.LastSeen.Before(cutoff) && e.rec.Ended.Before(cutoff) {
				st.pending.dropLazy(e)
				st.remove(mac)
				delete(st.pending.dirty, mac)
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
