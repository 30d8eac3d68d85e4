package snmpsys

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/stadsnat/accessd/api/noc"
	"github.com/stadsnat/accessd/store"
)

// NOC is the subsystem's part of the NOC pages: the link of an access and
// the switches' poll health, in the pages' own types.
type NOC struct{ s *System }

// NOC returns the subsystem's part of the NOC pages, nil when polling is
// off.
func (s *System) NOC() *NOC {
	if s.links == nil {
		return nil
	}
	return &NOC{s}
}

// PollNow polls every switch now (what changed since the last poll) and
// waits until the states it learnt are in the store: accessctl poll, and
// tests and benchmarks that change a simulated switch.
func (s *System) PollNow(ctx context.Context) error {
	if s.pol == nil {
		return errors.New("snmp polling is off")
	}
	if err := s.pol.PollNow(ctx, false); err != nil {
		return err
	}
	return s.links.Sync(ctx)
}

// Link answers the link of an access with at most limit transitions,
// newest first. An unknown access wraps noc.ErrNotFound, one that names
// no port noc.ErrNoPort.
func (n *NOC) Link(ctx context.Context, id string, limit int) (noc.Link, error) {
	if err := ctx.Err(); err != nil {
		return noc.Link{}, err
	}
	r, err := n.s.links.Report(id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return noc.Link{}, fmt.Errorf("access %s: %w", id, noc.ErrNotFound)
	case errors.Is(err, store.ErrNoPort):
		return noc.Link{}, fmt.Errorf("access %s: %w", id, noc.ErrNoPort)
	case err != nil:
		return noc.Link{}, err
	}
	l := noc.Link{Switch: r.Switch, Port: r.Port, Address: r.Address, State: string(r.Link), Since: r.Since, SinceExact: r.SinceExact,
		SpeedMbps: r.SpeedMbps, Admin: r.Admin, Oper: r.Oper, Confirmed: r.Confirmed, Source: r.Source, Reason: string(r.Reason),
		Cause: r.Cause, Flaps: noc.Flaps{Hour: r.Flaps.Hour, Day: r.Flaps.Day, AtLeast: r.Flaps.AtLeast}, FlapTimes: r.FlapTimes}
	if l.State != noc.LinkUp {
		l.SpeedMbps = 0 // a speed is shown while up only
	}
	for _, t := range r.History[:min(limit, len(r.History))] {
		l.Transitions = append(l.Transitions, noc.Transition{At: t.At, Since: t.Since, SinceExact: t.SinceExact, From: string(t.From),
			To: string(t.Link), Admin: t.Admin, Oper: t.Oper, SpeedMbps: t.SpeedMbps, Source: t.Source, Problem: t.Problem, Flap: t.Flap})
	}
	return l, nil
}

// Switches answers a page of the polled switches by address, the totals
// over all of them and the inventory's switches that are not polled.
func (n *NOC) Switches(ctx context.Context, q noc.SwitchQuery) (noc.SwitchPage, error) {
	if err := ctx.Err(); err != nil {
		return noc.SwitchPage{}, err
	}
	s := n.s
	sws := s.links.Switches()
	counts := s.pol.LinkCounts()
	s.mu.Lock()
	names, problems := s.plan.Names(), s.plan.Problems
	s.mu.Unlock()
	p := noc.SwitchPage{Summary: noc.SwitchSummary{Switches: len(sws), Interval: s.c.Interval.D()}, ProblemsTotal: len(problems)}
	p.Problems = slices.Clone(problems[:min(q.Limit, len(problems))])
	for i := range sws {
		st, c := &sws[i], counts[sws[i].Address]
		sum := &p.Summary
		sum.PortsUp, sum.PortsDown, sum.PortsUnknown = sum.PortsUp+c.Up, sum.PortsDown+c.Down, sum.PortsUnknown+c.Unknown
		sum.PacketsLastCycle += st.LastCyclePackets
		if !st.Reachable {
			sum.Unreachable++
		}
		if q.Trouble && st.Reachable && c.Unknown == 0 {
			continue
		}
		if p.Total >= q.Offset && len(p.Switches) < q.Limit {
			p.Switches = append(p.Switches, noc.Switch{Address: st.Address, Names: names[st.Address], Group: st.Group,
				Reachable: st.Reachable, UnreachableSince: st.UnreachableSince, LastSeen: st.LastSeen, PolledAt: st.PolledAt,
				Err: st.Err, Boot: st.Boot, Restarts: st.Restarts, MaxRepetitions: st.MaxRepetitions,
				PacketsLastCycle: st.LastCyclePackets, LastCycleFull: st.LastCycleFull,
				PortsUp: c.Up, PortsDown: c.Down, PortsUnknown: c.Unknown})
		}
		p.Total++
	}
	return p, nil
}
