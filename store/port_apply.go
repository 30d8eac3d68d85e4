package store

import (
	"slices"
	"time"
)

// sinceSlack is how far two computed "since" times of one change may lie
// apart: each is derived from sysUpTime and the arrival time of a
// response, which jitter.
const sinceSlack = 2 * time.Second

// nextPort computes the record that replaces old (nil: the port is new)
// when the poller reports st at now, and the history entry the change
// makes (nil when nothing worth remembering changed).
//
// A flap is counted when the link was lost while the port is
// administratively up (the last known link was UP and now is DOWN), or when
// the link is the same as last known but its exact since moved: it went
// away and came back (or came and went) between two reads. UNKNOWN spells
// (an unreachable switch, a port not found) are looked through: the last
// UP or DOWN before them is compared with the first after.
func nextPort(old *PortRecord, k PortKey, st PortState, now time.Time) (PortRecord, *PortTransition) {
	rec := PortRecord{PortKey: k, PortState: st, Stored: now}
	known := st.Link == LinkUp || st.Link == LinkDown
	flap := false
	if old != nil {
		rec.Known, rec.KnownSince = old.Known, old.KnownSince
		if known && old.Known != "" && st.Admin != "down" {
			switch {
			case old.Known == LinkUp && st.Link == LinkDown:
				flap = true
			case old.Known == st.Link && st.SinceExact && absDuration(st.Since.Sub(old.KnownSince)) > sinceSlack:
				flap = true
			}
		}
	}
	if known {
		rec.Known, rec.KnownSince = st.Link, st.Since
	}
	if old != nil && !flap && old.Link == st.Link && old.Admin == st.Admin && old.Problem == st.Problem &&
		(st.Link != LinkUp || old.SpeedMbps == st.SpeedMbps) {
		return rec, nil
	}
	t := &PortTransition{At: now, Since: st.Since, SinceExact: st.SinceExact, Link: st.Link, Admin: st.Admin, Oper: st.Oper,
		SpeedMbps: st.SpeedMbps, Source: st.Source, Problem: st.Problem, Flap: flap}
	if old != nil {
		t.From = old.Link
	}
	return rec, t
}

func absDuration(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

// add appends t to the history, keeping at most keep transitions and the
// flaps of the last day before now.
func (h *PortHistory) add(t PortTransition, now time.Time, keep int) {
	h.Transitions = append(h.Transitions, t)
	if over := len(h.Transitions) - keep; over > 0 {
		h.Transitions = slices.Delete(h.Transitions, 0, over)
	}
	dayAgo := now.Add(-24 * time.Hour)
	cut, _ := slices.BinarySearch(h.Flaps, dayAgo.Unix()+1)
	h.Flaps = slices.Delete(h.Flaps, 0, cut)
	if !t.Flap {
		return
	}
	// when it happened: the exact since of the change if it lies within
	// the day, else when accessd learnt of it
	at := now
	if t.SinceExact && !t.Since.After(now) && t.Since.After(dayAgo) {
		at = t.Since
	}
	i, _ := slices.BinarySearch(h.Flaps, at.Unix())
	h.Flaps = slices.Insert(h.Flaps, i, at.Unix())
	if over := len(h.Flaps) - maxFlaps; over > 0 {
		h.DroppedAt = max(h.DroppedAt, h.Flaps[over-1])
		h.Flaps = slices.Delete(h.Flaps, 0, over)
	}
}
