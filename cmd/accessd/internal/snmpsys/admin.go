package snmpsys

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/stadsnat/accessd/cmd/internal/admin"
	"github.com/stadsnat/accessd/snmp/poller"
	"github.com/stadsnat/accessd/store"
)

// admin registers accessctl port, switches and poll.
func (s *System) admin(m *admin.Mux) {
	m.Handle("GET "+admin.PathPort+"{accessId}", s.adminPort)
	m.Handle("GET "+admin.PathSwitches, func(w http.ResponseWriter, r *http.Request) error {
		s.mu.Lock()
		problems := slices.Clone(s.plan.Problems)
		s.mu.Unlock()
		return admin.WriteJSON(w, admin.SwitchList{Switches: fromSwitches(s.links.Switches()), Problems: admin.NonNil(problems)})
	})
	m.Handle("POST "+admin.PathPoll, s.adminPoll)
}

func (s *System) adminPort(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("accessId")
	rep, err := s.links.Report(id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return admin.Errorf(http.StatusNotFound, "no access %q", id)
	case errors.Is(err, store.ErrNoPort):
		return admin.Errorf(http.StatusNotFound, "access %q names no switch port (Option82 %q)", id, "SWITCH PORT")
	case err != nil:
		return err
	}
	return admin.WriteJSON(w, fromReport(&rep))
}

func (s *System) adminPoll(w http.ResponseWriter, r *http.Request) error {
	full := r.URL.Query().Get("full") == "1"
	start := time.Now()
	if err := s.pol.PollNow(r.Context(), full); err != nil {
		return err
	}
	if err := s.links.Sync(r.Context()); err != nil {
		return err
	}
	s.log.Info("switches polled on an operator's request", "full", full, "took", time.Since(start).Round(time.Millisecond))
	ws := s.w.Stats()
	return admin.WriteJSON(w, admin.PollResult{Full: full, Millis: time.Since(start).Milliseconds(), Writer: admin.PortWriterStats{
		Queued: ws.Queued, Batches: ws.Batches, Updates: ws.Updates, Removed: ws.Removed, Transitions: ws.Transitions,
		Flaps: ws.Flaps, Failures: ws.Failures}})
}

// status is the snmp part of accessctl status.
func (s *System) status() admin.Section {
	sws := s.links.Switches()
	unreachable, packets := 0, 0
	for _, sw := range sws {
		if !sw.Reachable {
			unreachable++
		}
		packets += sw.LastCyclePackets
	}
	var links poller.LinkCount // from the counts the poller keeps: no copy of every port's state
	for _, c := range s.pol.LinkCounts() {
		links.Up, links.Down, links.Unknown = links.Up+c.Up, links.Down+c.Down, links.Unknown+c.Unknown
	}
	s.mu.Lock()
	problems := len(s.plan.Problems)
	s.mu.Unlock()
	ws := s.w.Stats()
	c := s.c
	rows := [][2]string{
		{"switches", fmt.Sprintf("%d polled, %d unreachable, %d not pollable (accessctl switches)", len(sws), unreachable, problems)},
		{"ports", fmt.Sprintf("%d UP, %d DOWN, %d UNKNOWN", links.Up, links.Down, links.Unknown)},
		{"polling", fmt.Sprintf("every %v, full refresh every %d, timeout %v × %d tries, %d at once",
			c.Interval.D(), c.FullRefreshEvery, c.Timeout.D(), c.Retries+1, c.Concurrency)},
	}
	if len(sws) > 0 {
		rows = append(rows, [2]string{"last cycle", fmt.Sprintf("%.2f packets per switch", float64(packets)/float64(len(sws)))})
	}
	var addrs []string
	for _, l := range s.traps {
		addrs = append(addrs, l.Addr().String())
	}
	if len(addrs) == 0 {
		addrs = append(addrs, "none")
	}
	rows = append(rows,
		[2]string{"traps", fmt.Sprintf("%s, %d received", strings.Join(addrs, " "), int(s.sumMetric("accessd_snmp_traps_received_total")))},
		[2]string{"store", fmt.Sprintf("%d port states written in %d transactions, %d queued, %d transitions, %d flaps, %d failures",
			ws.Updates, ws.Batches, ws.Queued, ws.Transitions, ws.Flaps, ws.Failures)},
	)
	return admin.Section{Title: "snmp", Rows: rows}
}

// sumMetric adds up every series of a counter or gauge of the registry.
func (s *System) sumMetric(name string) float64 {
	if s.env.Metrics == nil {
		return 0
	}
	mfs, err := s.env.Metrics.Gather()
	if err != nil {
		return 0
	}
	var sum float64
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			sum += m.GetCounter().GetValue() + m.GetGauge().GetValue()
		}
	}
	return sum
}

// The admin protocol's forms of the link state.

func fromReport(r *store.PortReport) admin.PortReport {
	out := admin.PortReport{
		AccessID: r.AccessID, Switch: r.Switch, Port: r.Port, Address: r.Address, Link: string(r.Link), Since: r.Since,
		SinceExact: r.SinceExact, SpeedMbps: r.SpeedMbps, Admin: r.Admin, Oper: r.Oper, Confirmed: r.Confirmed, Source: r.Source,
		Reason: string(r.Reason), Cause: r.Cause, Flaps: admin.FlapCounts{Hour: r.Flaps.Hour, Day: r.Flaps.Day, AtLeast: r.Flaps.AtLeast},
		History: make([]admin.PortTransition, len(r.History)), Interval: r.Interval, Stale: r.Stale,
	}
	if rec := r.Record; rec != nil {
		out.Record = &admin.PortRecord{Switch: rec.Switch, Port: rec.PortKey.Port, Group: rec.Group, IfIndex: rec.IfIndex,
			MatchedBy: rec.MatchedBy, Admin: rec.PortState.Admin, Oper: rec.PortState.Oper, Link: string(rec.PortState.Link),
			SpeedMbps: rec.PortState.SpeedMbps, Since: rec.PortState.Since, SinceExact: rec.PortState.SinceExact,
			PolledAt: rec.PolledAt, Source: rec.PortState.Source, Reachable: rec.Reachable, Problem: rec.Problem,
			Stored: rec.Stored, Known: string(rec.Known), KnownSince: rec.KnownSince}
	}
	if sw := r.SwitchStatus; sw != nil {
		ss := fromSwitch(sw)
		out.SwitchStatus = &ss
	}
	for i, t := range r.History {
		out.History[i] = admin.PortTransition{At: t.At, Since: t.Since, SinceExact: t.SinceExact, From: string(t.From),
			Link: string(t.Link), Admin: t.Admin, Oper: t.Oper, SpeedMbps: t.SpeedMbps, Source: t.Source, Problem: t.Problem, Flap: t.Flap}
	}
	return out
}

func fromSwitch(sw *store.SwitchStatus) admin.SwitchStatus {
	return admin.SwitchStatus{Address: sw.Address, Group: sw.Group, Reachable: sw.Reachable, UnreachableSince: sw.UnreachableSince,
		LastSeen: sw.LastSeen, PolledAt: sw.PolledAt, Err: sw.Err, Boot: sw.Boot, Restarts: sw.Restarts,
		MaxRepetitions: sw.MaxRepetitions, LastCyclePackets: sw.LastCyclePackets, LastCycleFull: sw.LastCycleFull}
}

func fromSwitches(sws []store.SwitchStatus) []admin.SwitchStatus {
	out := make([]admin.SwitchStatus, len(sws))
	for i := range sws {
		out[i] = fromSwitch(&sws[i])
	}
	return out
}
