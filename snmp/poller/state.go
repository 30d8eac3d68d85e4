package poller

import (
	"slices"
	"time"

	"github.com/stadsnat/accessd/snmp/ifmib"
	"github.com/stadsnat/accessd/snmp/portmatch"
)

// mergeChanged adds b to a, a later state of the same port replacing an
// earlier one.
func mergeChanged(a, b []PortState) []PortState {
	for _, st := range b {
		if i := slices.IndexFunc(a, func(x PortState) bool { return x.Port == st.Port }); i >= 0 {
			a[i] = st
		} else {
			a = append(a, st)
		}
	}
	return a
}

// applyRow sets a port's state from a row read at up. It keeps the
// previous since when the link did not change and either ifLastChange did
// not move or the agent restarted (a restart is not a change of every
// port). It reports the new state and whether it changed.
//
// m is the port's new match (nil: the row was read at the known ifIndex).
func (w *worker) applyRow(pt *port, row *ifmib.Row, up ifmib.Uptime, restarted bool, src Source, m *portmatch.Match) (PortState, bool) {
	old := w.state(pt)
	st := old
	if m != nil {
		st.IfIndex, st.MatchedBy = m.IfIndex, m.By
	}
	st.Reachable, st.Problem = true, ""
	st.Admin, st.Oper = row.Admin, row.Oper
	st.Link = row.Oper.Link()
	if mbps, ok := row.SpeedMbps(); ok {
		st.SpeedMbps = mbps
	}
	st.PolledAt = up.At
	same := pt.known && old.Link == st.Link && old.Admin == st.Admin
	if !same || (!restarted && row.LastChange != pt.lastChange) {
		st.Since, st.SinceExact = w.clock.Since(up, row.LastChange)
	}
	pt.lastChange = row.LastChange
	pt.known = true
	return w.commit(pt, st, src)
}

// applyProblem marks a port that could not be matched.
func (w *worker) applyProblem(pt *port, err error, at time.Time) (PortState, bool) {
	old := w.state(pt)
	st := PortState{Switch: old.Switch, Group: old.Group, Port: old.Port, Link: ifmib.LinkUnknown,
		Reachable: true, Problem: err.Error(), PolledAt: at, Since: old.Since, SinceExact: true}
	if old.Problem != st.Problem || old.Link != ifmib.LinkUnknown {
		st.Since = at
		w.p.log.Warn("port not matched on switch: link unknown", "switch", w.key, "group", w.cfg.Group, "port", old.Port, "err", err)
	}
	pt.known = false
	return w.commit(pt, st, SourcePoll)
}

// commit stores st and reports whether anything but PolledAt and Source
// changed (the source of an unchanged state stays what it was).
func (w *worker) commit(pt *port, st PortState, src Source) (PortState, bool) {
	old := w.state(pt)
	a, b := old, st
	a.PolledAt, b.PolledAt, a.Source, b.Source = time.Time{}, time.Time{}, "", ""
	changed := a != b || old.Source == ""
	if changed {
		st.Source = src
	}
	r := pack(st)
	w.p.mu.Lock() // the snapshot reads the records
	pt.rec = r
	w.p.mu.Unlock()
	return st, changed
}

func (w *worker) markReachable() {
	if !w.sw.Reachable && !w.sw.UnreachableSince.IsZero() {
		w.p.log.Info("switch answers again", "switch", w.key, "group", w.cfg.Group,
			"unreachable_since", w.sw.UnreachableSince.UTC().Format(time.RFC3339))
	}
	w.sw.Reachable, w.sw.UnreachableSince, w.sw.Err = true, time.Time{}, ""
	w.sw.LastSeen = time.Now()
}

// fail turns the switch and its ports to unreachable/UNKNOWN since the
// start of the first failed cycle and drops the session.
func (w *worker) fail(start time.Time, err error) []PortState {
	if w.sw.Reachable || w.sw.UnreachableSince.IsZero() {
		w.sw.UnreachableSince = start
		w.p.log.Warn("switch does not answer: its ports are unknown", "switch", w.key, "group", w.cfg.Group,
			"ports", len(w.ports), "err", err)
	}
	w.sw.Reachable, w.sw.Err = false, err.Error()
	if w.cl != nil {
		w.cl.Close()
		w.cl = nil
	}
	w.needFull = true
	var changed []PortState
	for i := range w.ports {
		pt := &w.ports[i]
		old := w.state(pt)
		st := PortState{Switch: old.Switch, Group: old.Group, Port: old.Port, IfIndex: old.IfIndex, MatchedBy: old.MatchedBy,
			Link: ifmib.LinkUnknown, Since: w.sw.UnreachableSince, SinceExact: true, PolledAt: start}
		pt.known = false
		if s, ok := w.commit(pt, st, SourcePoll); ok {
			changed = append(changed, s)
		}
	}
	return changed
}
