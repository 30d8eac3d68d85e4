package linkstate

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/stadsnat/accessd/snmp/ifmib"
	"github.com/stadsnat/accessd/snmp/poller"
	"github.com/stadsnat/accessd/store"
)

// Options configure Links.
type Options struct {
	// Interval is the poller's interval: the Retry-After of an unknown
	// link.
	Interval time.Duration
	// StaleAfter: a port state its switch has not confirmed for longer is
	// UNKNOWN (default 3 intervals plus a minute: a few missed cycles).
	StaleAfter time.Duration
	// Now is the clock (default time.Now).
	Now    func() time.Time
	Logger *slog.Logger
	// Registerer receives the store-side metrics (nil: none).
	Registerer prometheus.Registerer
}

// Links is the poller's Sink and the answer to "what is the link of this
// access?". Create it with New; it is safe for concurrent use.
type Links struct {
	ports   store.Ports
	w       *store.PortWriter
	opts    Options
	log     *slog.Logger
	started time.Time

	mu   sync.RWMutex
	plan *Plan
	sws  map[string]poller.SwitchState // by address
}

// New returns Links writing through w. Ports not confirmed since New are
// UNKNOWN: what the store remembers from before is not fresh.
func New(ports store.Ports, w *store.PortWriter, o Options) (*Links, error) {
	if o.Interval <= 0 {
		return nil, errors.New("linkstate: interval must be positive")
	}
	if o.StaleAfter <= 0 {
		o.StaleAfter = 3*o.Interval + time.Minute
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	l := &Links{ports: ports, w: w, opts: o, log: log, started: o.Now(), sws: make(map[string]poller.SwitchState)}
	if err := registerMetrics(o.Registerer, w); err != nil {
		return nil, err
	}
	return l, nil
}

// SetPlan sets the map from inventory switch names to polled addresses
// (call it with the plan handed to the poller).
func (l *Links) SetPlan(p *Plan) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.plan = p
}

// Update implements poller.Sink: it records the switch's freshness and
// queues the changed ports for the store. It never waits for the disk.
func (l *Links) Update(sw poller.SwitchState, changed []poller.PortState) {
	l.mu.Lock()
	if sw.Removed {
		delete(l.sws, sw.Switch)
	} else {
		l.sws[sw.Switch] = sw
	}
	l.mu.Unlock()
	if len(changed) == 0 {
		return
	}
	us := make([]store.PortUpdate, len(changed))
	for i, p := range changed {
		us[i] = store.PortUpdate{Key: store.PortKey{Switch: p.Switch, Port: p.Port}, State: stateOf(p), Removed: p.Removed}
	}
	l.nameAccesses(sw.Switch, us)
	l.w.Submit(us...)
}

// nameAccesses fills in the access on each changed port (for whoever
// learns of port changes from the store's hooks: a cluster's hub), from
// the inventory's names of the switch. A port no access names keeps "".
func (l *Links) nameAccesses(addr string, us []store.PortUpdate) {
	l.mu.RLock()
	names := l.plan.NamesOf(addr)
	l.mu.RUnlock()
	if len(names) == 0 {
		return
	}
	ids, err := l.ports.AccessesOfPorts(names, us)
	if err != nil {
		l.log.Warn("cannot name the accesses of changed ports", "switch", addr, "err", err)
		return
	}
	for i := range us {
		us[i].Access = ids[i]
	}
}

func stateOf(p poller.PortState) store.PortState {
	return store.PortState{
		Group: p.Group, IfIndex: p.IfIndex, MatchedBy: string(p.MatchedBy), Admin: p.Admin.String(), Oper: p.Oper.String(),
		Link: storeLink(p.Link), SpeedMbps: p.SpeedMbps, Since: p.Since.UTC(), SinceExact: p.SinceExact,
		PolledAt: p.PolledAt.UTC(), Source: string(p.Source), Reachable: p.Reachable, Problem: p.Problem,
	}
}

// storeLink is the stored form of the poller's link state: the store
// defines its own (it imports no SNMP package), so the conversion is
// explicit; anything that is not UP or DOWN is UNKNOWN.
func storeLink(l ifmib.Link) store.Link {
	switch l {
	case ifmib.LinkUp:
		return store.LinkUp
	case ifmib.LinkDown:
		return store.LinkDown
	}
	return store.LinkUnknown
}

func (l *Links) switchState(addr string) *poller.SwitchState {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if sw, ok := l.sws[addr]; ok {
		return &sw
	}
	return nil
}

func (l *Links) address(name string) (string, bool) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.plan.Address(name)
}

// Link answers the link of an access. An unknown access is
// store.ErrNotFound, one whose inventory entry names no switch port
// store.ErrNoPort (both wrapped); an UNKNOWN link is not an error.
func (l *Links) Link(accessID string) (store.LinkState, error) {
	ap, err := l.ports.AccessPort(accessID, l.address, false)
	if err != nil {
		return store.LinkState{}, err
	}
	sw := l.switchState(ap.Key.Switch)
	return judge(ap, sw, l.started, l.opts.Now(), l.opts.Interval, l.opts.StaleAfter), nil
}

// Report is Link with the stored record, the switch's state, the flap
// counts and times of the last day and the history (newest first), for
// accessctl port and the NOC's access page.
func (l *Links) Report(accessID string) (store.PortReport, error) {
	ap, err := l.ports.AccessPort(accessID, l.address, true)
	if err != nil {
		return store.PortReport{}, err
	}
	sw := l.switchState(ap.Key.Switch)
	now := l.opts.Now()
	r := store.PortReport{LinkState: judge(ap, sw, l.started, now, l.opts.Interval, l.opts.StaleAfter), Record: ap.Record,
		Interval: l.opts.Interval, Stale: l.opts.StaleAfter, History: []store.PortTransition{}}
	if sw != nil {
		r.SwitchStatus = switchStatus(*sw)
	}
	if ap.History != nil {
		r.Flaps = ap.History.CountFlaps(now)
		day := now.Add(-24 * time.Hour).Unix()
		for _, f := range ap.History.Flaps {
			if f > day {
				r.FlapTimes = append(r.FlapTimes, time.Unix(f, 0).UTC())
			}
		}
		r.History = slices.Clone(ap.History.Transitions)
		slices.Reverse(r.History)
	}
	return r, nil
}

// Sync waits until the port states handed over so far are in the store.
func (l *Links) Sync(ctx context.Context) error { return l.w.Sync(ctx) }

// Switches returns what is known of every polled switch now, by address.
func (l *Links) Switches() []store.SwitchStatus {
	l.mu.RLock()
	defer l.mu.RUnlock()
	out := make([]store.SwitchStatus, 0, len(l.sws))
	for _, sw := range l.sws {
		out = append(out, *switchStatus(sw))
	}
	slices.SortFunc(out, func(a, b store.SwitchStatus) int {
		if a.Address < b.Address {
			return -1
		}
		if a.Address > b.Address {
			return 1
		}
		return 0
	})
	return out
}

func switchStatus(sw poller.SwitchState) *store.SwitchStatus {
	return &store.SwitchStatus{Address: sw.Switch, Group: sw.Group, Reachable: sw.Reachable, UnreachableSince: sw.UnreachableSince.UTC(),
		LastSeen: sw.LastSeen.UTC(), PolledAt: sw.PolledAt.UTC(), Err: sw.Err, Boot: sw.Boot.UTC(), Restarts: sw.Restarts,
		MaxRepetitions: sw.MaxRepetitions, LastCyclePackets: sw.LastCyclePackets, LastCycleFull: sw.LastCycleFull}
}

// judge turns what the store and the poller know into the answer.
func judge(ap store.AccessPort, sw *poller.SwitchState, started, now time.Time, interval, stale time.Duration) store.LinkState {
	ls := store.LinkState{AccessID: ap.AccessID, Switch: ap.SwitchName, Port: ap.Key.Port, Address: ap.Key.Switch, Link: store.LinkUnknown}
	retry := interval
	if sw != nil && !sw.PolledAt.IsZero() {
		retry = sw.PolledAt.Add(interval).Sub(now)
	}
	ls.RetryAfter = max(retry, time.Second)
	unknown := func(why store.UnknownReason, since time.Time, format string, args ...any) store.LinkState {
		ls.Link, ls.Reason, ls.Cause = store.LinkUnknown, why, fmt.Sprintf(format, args...)
		if !since.IsZero() {
			ls.Since, ls.SinceExact = since.UTC(), true
		}
		return ls
	}
	rec := ap.Record
	switch {
	case ap.Key.Switch == "":
		return unknown(store.NotPolled, time.Time{}, "switch %q is not polled (not an address, no snmp.switches entry, no credentials, or just imported)", ap.SwitchName)
	case rec == nil:
		return unknown(store.NotPolled, time.Time{}, "port %q of switch %s has not been polled yet", ap.Key.Port, ap.Key.Switch)
	}
	ls.Admin, ls.Oper, ls.SpeedMbps, ls.Source = rec.Admin, rec.Oper, rec.SpeedMbps, rec.Source
	confirmed := rec.PolledAt
	if sw != nil && sw.Reachable && sw.PolledAt.After(confirmed) {
		confirmed = sw.PolledAt
	}
	ls.Confirmed = confirmed.UTC()
	switch {
	case sw != nil && !sw.Reachable:
		return unknown(store.Unreachable, sw.UnreachableSince, "switch %s does not answer since %s: %s", ap.Key.Switch, stamp(sw.UnreachableSince), sw.Err)
	case rec.PolledAt.Before(started):
		return unknown(store.NotPolled, started, "port %q of switch %s not polled since accessd started at %s", ap.Key.Port, ap.Key.Switch, stamp(started))
	case !rec.Reachable && rec.Link == store.LinkUnknown:
		return unknown(store.Unreachable, rec.Since, "switch %s does not answer since %s", ap.Key.Switch, stamp(rec.Since))
	case rec.Problem != "":
		return unknown(store.PortNotFound, rec.Since, "port %q on switch %s: %s", ap.Key.Port, ap.Key.Switch, rec.Problem)
	case rec.Link != store.LinkUp && rec.Link != store.LinkDown:
		return unknown(store.NoLinkInfo, rec.Since, "ifOperStatus %q of port %q on switch %s says nothing about the link", rec.Oper, ap.Key.Port, ap.Key.Switch)
	case now.Sub(confirmed) > stale:
		return unknown(store.Stale, confirmed, "port %q of switch %s last confirmed at %s, more than %v ago", ap.Key.Port, ap.Key.Switch, stamp(confirmed), stale)
	}
	ls.Link, ls.Since, ls.SinceExact, ls.RetryAfter = rec.Link, rec.Since, rec.SinceExact, 0
	return ls
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }
