package binding

import (
	"net/netip"
	"time"
)

// Config tunes the machine.
type Config struct {
	// TentativeLifetime is how long a tentative binding lives unconfirmed
	// (default 5 minutes: a client that got no ACK retries within seconds).
	TentativeLifetime time.Duration
	// DefaultLeaseTime is the lease assumed when a binding is confirmed
	// without a known lease length (an ACK without option 51, a renewal
	// before any ACK or Kea row was seen); default 1 hour.
	DefaultLeaseTime time.Duration
}

// Machine applies observations to bindings. It is a value without state;
// the zero value uses the defaults.
type Machine struct {
	cfg Config
}

// New returns a Machine; zero fields of cfg take their defaults.
func New(cfg Config) Machine {
	if cfg.TentativeLifetime <= 0 {
		cfg.TentativeLifetime = 5 * time.Minute
	}
	if cfg.DefaultLeaseTime <= 0 {
		cfg.DefaultLeaseTime = time.Hour
	}
	return Machine{cfg: cfg}
}

func (m Machine) config() Config {
	if m.cfg.TentativeLifetime == 0 || m.cfg.DefaultLeaseTime == 0 {
		return New(m.cfg).cfg
	}
	return m.cfg
}

// Apply returns the effect of ob on cur, the current binding of ob.MAC (nil
// when none), given holder, the active binding of another MAC holding the
// IP that ob names (nil when none; a holder with ob's MAC is ignored). The
// holder plays no part when cur actively holds that IP itself, so a caller
// need not look it up then. The inputs are not modified.
func (m Machine) Apply(cur, holder *Binding, ob Observation) Result {
	return m.ApplyWith(new(Scratch), cur, holder, ob)
}

// Scratch is the memory ApplyWith works in: its copies of the current
// binding and the holder it changes, and a new binding. A caller that
// applies observation after observation (the ingest processor, hundreds
// of thousands a second) keeps one, so that an observation allocates
// nothing.
type Scratch struct {
	cur, holder, fresh Binding
}

// ApplyWith is Apply working in s: the bindings of its Result point into s
// and are valid until s is used again.
func (m Machine) ApplyWith(s *Scratch, cur, holder *Binding, ob Observation) Result {
	a := applier{cfg: m.config(), ob: ob, fresh: &s.fresh}
	if cur != nil {
		s.cur = *cur
		a.cur = &s.cur
	}
	if holder != nil && holder.MAC != ob.MAC && holder.State.Active() {
		s.holder = *holder
		a.holder = &s.holder
	}
	a.run()
	return a.res
}

// Sweep expires b when its expiry is not after now.
func (m Machine) Sweep(b Binding, now time.Time) (Result, bool) {
	if !b.State.Active() || b.Expires.IsZero() || now.Before(b.Expires) {
		return Result{}, false
	}
	a := applier{cfg: m.config(), cur: &b}
	a.end(Expired, b.Expires, 0)
	a.res.Binding = a.cur
	return a.res, true
}

type applier struct {
	cfg    Config
	ob     Observation
	cur    *Binding
	holder *Binding
	fresh  *Binding // where start builds a new binding; nil: a new one
	res    Result
}

func usable(a netip.Addr) bool { return a.IsValid() && !a.IsUnspecified() }

func (a *applier) run() {
	ob := a.ob
	switch ob.Kind {
	case Request:
		switch {
		case usable(ob.RequestedIP):
			a.claim(ob.RequestedIP, Tentative, ob.Time.Add(a.cfg.TentativeLifetime), usable(ob.ServerID))
		case usable(ob.CIAddr):
			a.renew(ob.CIAddr)
		default:
			a.touch()
		}
	case Ack:
		ip := ob.YIAddr
		if !usable(ip) {
			a.touch() // ACK to an INFORM: no lease
			return
		}
		lt := ob.LeaseTime
		if lt <= 0 {
			lt = a.cfg.DefaultLeaseTime
		}
		a.claim(ip, Bound, ob.Time.Add(lt), true)
	case LeaseActive:
		if !usable(ob.YIAddr) {
			a.touch()
			return
		}
		a.claim(ob.YIAddr, Bound, ob.Expire, true)
	case Nak:
		if a.cur != nil && a.cur.State == Tentative {
			a.touchFields()
			a.end(Expired, ob.Time, 0)
			return
		}
		a.touch()
	case Release:
		a.endIfHolds(ob.CIAddr, Released, ob.Time)
	case Decline:
		a.endIfHolds(ob.RequestedIP, Declined, ob.Time)
	case LeaseReleased:
		a.endIfHolds(ob.YIAddr, Released, ob.Time)
	case LeaseReclaimed:
		at := ob.Expire
		if at.IsZero() {
			at = ob.Time
		}
		a.endIfHolds(ob.YIAddr, Expired, at)
	case LeaseDeclined:
		a.endIfHolds(ob.YIAddr, Declined, ob.Time)
	default: // Discover, Offer, Inform and unknown kinds
		a.touch()
	}
	if a.res.Binding == nil && a.cur != nil {
		a.res.Binding = a.cur
	}
}

// stale reports an observation older than what the binding has seen.
func (a *applier) stale() bool { return a.cur != nil && a.ob.Time.Before(a.cur.LastSeen) }

// touchFields updates LastSeen, GIAddr, Hostname, and the circuit/access
// (with a mac-moved event) of an existing binding.
func (a *applier) touchFields() {
	c, ob := a.cur, a.ob
	if c == nil {
		return
	}
	if a.stale() {
		return
	}
	c.LastSeen = ob.Time
	if ob.GIAddr.IsValid() && !ob.GIAddr.IsUnspecified() {
		c.GIAddr = ob.GIAddr
	}
	if ob.Hostname != "" {
		c.Hostname = ob.Hostname
	}
	a.moveAccess()
}

// moveAccess applies ob's access/circuit to an active or ended binding.
func (a *applier) moveAccess() {
	c, ob := a.cur, a.ob
	if ob.Access == "" && ob.Circuit == "" {
		return // a source without relay information (Kea without user_context)
	}
	if c.Access != "" && ob.Access != "" && ob.Access != c.Access && !a.stale() {
		if c.State.Active() {
			a.closeInterval(c, ob.Time)
			c.Since = ob.Time
		}
		a.res.Events = append(a.res.Events, Event{Kind: MACMoved, Time: ob.Time, MAC: c.MAC, IP: c.IP, Access: ob.Access, PrevAccess: c.Access})
		c.Access = ob.Access
		a.res.Changed = true
	} else if c.Access == "" && ob.Access != "" {
		c.Access = ob.Access
		a.res.Changed = true
	}
	if ob.Circuit != "" && ob.Circuit != c.Circuit && (ob.Access != "" || c.Access == "") {
		c.Circuit = ob.Circuit
		a.res.Changed = true
	}
}

func (a *applier) touch() { a.touchFields() }

// renew handles a REQUEST with ciaddr and no option 50.
func (a *applier) renew(ip netip.Addr) {
	c := a.cur
	if c != nil && c.State.Active() && c.IP == ip {
		lt := c.LeaseTime
		if lt <= 0 {
			lt = a.cfg.DefaultLeaseTime
		}
		a.claim(ip, Bound, a.ob.Time.Add(lt), true)
		return
	}
	// A renewal of a lease we never saw: the client holds it from the
	// server, which is evidence enough to take it over, but only tentative
	// for this MAC until confirmed.
	a.claim(ip, Tentative, a.ob.Time.Add(a.cfg.TentativeLifetime), true)
}

// claim makes ob.MAC hold ip in state st until exp. evidence reports that
// the server gave ip to this client (so another MAC's hold on it ends).
func (a *applier) claim(ip netip.Addr, st State, exp time.Time, evidence bool) {
	if c := a.cur; c != nil && c.State.Active() && c.IP == ip {
		a.keep(ip, st, exp)
		return
	}
	if a.stale() {
		// An old row (Kea at start-up) never moves a newer binding.
		a.res.Binding = a.cur
		return
	}
	if !a.takeOver(ip, st, evidence) {
		return
	}
	a.start(ip, st, exp)
}

// keep applies a claim of the IP the client already holds: a
// confirmation or a later expiry.
func (a *applier) keep(ip netip.Addr, st State, exp time.Time) {
	ob, c := a.ob, a.cur
	a.touchFields()
	if st == Bound {
		if c.State != Bound {
			c.State = Bound
			c.Confirmed = true
			c.Source = ob.Source
			a.res.Events = append(a.res.Events, Event{Kind: Confirmed, Time: ob.Time, MAC: c.MAC, IP: ip, Access: c.Access})
			a.res.Changed = true
		}
		if a.stale() {
			exp = later(exp, c.Expires)
		}
		if !exp.Equal(c.Expires) {
			c.Expires = exp
			a.res.Changed = true
		}
		if ob.LeaseTime > 0 && ob.LeaseTime != c.LeaseTime {
			c.LeaseTime = ob.LeaseTime
			a.res.Changed = true
		}
	} else if c.State == Tentative && exp.After(c.Expires) {
		c.Expires = exp
		a.res.Changed = true
	}
	a.res.Binding = c
}

// takeOver ends another MAC's hold on ip when the claim may take it (see
// the package documentation) and reports whether the claim goes on; a
// refused claim is recorded as ip-claimed.
func (a *applier) takeOver(ip netip.Addr, st State, evidence bool) bool {
	ob, h := a.ob, a.holder
	if h == nil || h.IP != ip {
		return true
	}
	if st == Bound || evidence || h.State == Tentative {
		a.closeInterval(h, ob.Time)
		h.State, h.Ended, h.Source = Expired, later(ob.Time, h.Since), ob.Source
		a.res.Displaced = h
		a.res.Events = append(a.res.Events, Event{Kind: IPTakenOver, Time: ob.Time, MAC: ob.MAC, IP: ip, Access: ob.Access, PrevMAC: h.MAC, PrevAccess: h.Access})
		return true
	}
	a.res.Events = append(a.res.Events, Event{Kind: IPClaimed, Time: ob.Time, MAC: ob.MAC, IP: ip, Access: ob.Access, PrevMAC: h.MAC, PrevAccess: h.Access})
	a.touchFields()
	a.res.Binding = a.cur
	return false
}

// start makes the client hold ip from now: a new binding, or its binding
// moved to a new IP (closing the old interval).
func (a *applier) start(ip netip.Addr, st State, exp time.Time) {
	ob, c := a.ob, a.cur
	n := a.fresh
	if n == nil {
		n = new(Binding)
	}
	*n = Binding{MAC: ob.MAC, FirstSeen: ob.Time, Circuit: ob.Circuit, Access: ob.Access}
	if c != nil {
		*n = *c
		if c.State.Active() {
			// Same MAC, new IP.
			a.closeInterval(c, ob.Time)
			a.res.Events = append(a.res.Events, Event{Kind: IPChanged, Time: ob.Time, MAC: c.MAC, IP: ip, Access: c.Access, PrevIP: c.IP})
		}
		if ob.Access != "" && c.Access != "" && ob.Access != c.Access {
			a.res.Events = append(a.res.Events, Event{Kind: MACMoved, Time: ob.Time, MAC: c.MAC, IP: ip, Access: ob.Access, PrevAccess: c.Access})
		}
		if ob.Access != "" {
			n.Access = ob.Access
		}
		if ob.Circuit != "" {
			n.Circuit = ob.Circuit
		}
	}
	n.IP, n.State, n.Since, n.Ended, n.Expires, n.Source = ip, st, ob.Time, time.Time{}, exp, ob.Source
	n.Confirmed = st == Bound
	n.LastSeen = ob.Time
	if ob.LeaseTime > 0 {
		n.LeaseTime = ob.LeaseTime
	}
	if ob.GIAddr.IsValid() && !ob.GIAddr.IsUnspecified() {
		n.GIAddr = ob.GIAddr
	}
	if ob.Hostname != "" {
		n.Hostname = ob.Hostname
	}
	a.res.Events = append(a.res.Events, Event{Kind: Started, Time: ob.Time, MAC: n.MAC, IP: ip, Access: n.Access, State: st})
	a.res.Binding = n
	a.res.Changed = true
}

// endIfHolds ends the binding when it actively holds ip and the
// observation may end it (trustedEnd).
func (a *applier) endIfHolds(ip netip.Addr, st State, at time.Time) {
	c := a.cur
	if c == nil || !c.State.Active() || c.IP != ip || !usable(ip) {
		a.touch()
		return
	}
	if !a.trustedEnd() {
		a.res.Refused = true
		a.res.Binding = c // unchanged: not even LastSeen
		return
	}
	if a.ob.Source == SourceKea && at.Before(c.Since) {
		// A Kea row about an earlier interval of this IP.
		a.res.Binding = c
		return
	}
	a.touchFields()
	a.end(st, at, a.ob.Source)
}

// trustedEnd reports whether a RELEASE or DECLINE for the binding's MAC
// and IP may end it. Anyone who knows a client's MAC and address can
// forge one, so the packet must also come through the binding's circuit:
// relays put the client port's option 82 on what they relay, and a
// relayed packet that lacks the binding's circuit is refused. On snoop,
// a packet without option 82 is the client's own unicast to the DHCP
// server, which the server acts on with the same MAC and address check:
// accessd follows it. Kea's rows are the server's own record.
func (a *applier) trustedEnd() bool {
	c, ob := a.cur, a.ob
	if ob.Kind != Release && ob.Kind != Decline {
		return true
	}
	if ob.Source == SourceSnoop && !ob.Option82 {
		return true
	}
	return c.Circuit == "" || ob.Circuit == c.Circuit
}

// end closes the current binding's interval at `at` and sets state st.
func (a *applier) end(st State, at time.Time, src Source) {
	c := a.cur
	a.closeInterval(c, at)
	c.State, c.Ended = st, later(at, c.Since)
	if src != 0 {
		c.Source = src
	}
	a.res.Events = append(a.res.Events, Event{Kind: Ended, Time: c.Ended, MAC: c.MAC, IP: c.IP, Access: c.Access, State: st})
	a.res.Binding = c
	a.res.Changed = true
}

func (a *applier) closeInterval(b *Binding, at time.Time) {
	if !b.State.Active() || !b.IP.IsValid() {
		return
	}
	a.res.Closed = append(a.res.Closed, Interval{
		IP: b.IP, MAC: b.MAC, Access: b.Access, Circuit: b.Circuit,
		From: b.Since, To: later(at, b.Since), Confirmed: b.Confirmed,
	})
}

func later(a, b time.Time) time.Time {
	if a.Before(b) {
		return b
	}
	return a
}
