package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/stadsnat/accessd/cmd/internal/admin"
)

// snmpVerbs are the commands of the SNMP link state.
func snmpVerbs() []verb {
	return []verb{
		{name: "port", args: "ACCESS", help: "show the switch port of an access: link, since, speed, flaps, last polled, history", run: cmdPort},
		{name: "switches", help: "list the polled switches and the inventory switches that cannot be polled", run: cmdSwitches},
		{name: "poll", args: "[--full]", help: "poll every switch now (and wait for it)", run: cmdPoll},
	}
}

func cmdPort(ctx context.Context, c *cli, args []string) error {
	if len(args) != 1 {
		return usagef("want one access id")
	}
	var rep admin.PortReport
	if err := c.client.Get(ctx, admin.PathPort+url.PathEscape(args[0]), &rep); err != nil {
		return err
	}
	return c.show(rep, func(w io.Writer) error { return clock{time.Now(), time.Local}.printPort(w, &rep) })
}

// clock is the time and zone reports are printed in.
type clock struct {
	now time.Time
	loc *time.Location
}

// printPort prints a port report for people.
func (k clock) printPort(w io.Writer, r *admin.PortReport) error {
	now := k.now
	link := r.Link
	if r.Link == admin.LinkUnknown {
		link += ": " + r.Cause
	}
	adminStatus := r.Admin
	if adminStatus == "" {
		adminStatus = "?"
	}
	oper := r.Oper
	if oper == "" {
		oper = "?"
	}
	kv := [][2]string{
		{"access", r.AccessID},
		{"port", fmt.Sprintf("%s on switch %s (%s)", r.Port, r.Switch, orNone(r.Address, "not polled"))},
		{"link", link},
		{"since", k.when(r.Since, r.SinceExact)},
		{"status", fmt.Sprintf("admin %s, oper %s", adminStatus, oper)},
		{"speed", speed(r.SpeedMbps)},
		{"flaps", flaps(r.Flaps)},
		{"confirmed", fmt.Sprintf("%s (%s)", k.when(r.Confirmed, true), freshness(r, now))},
	}
	if rec := r.Record; rec != nil {
		kv = append(kv, [2]string{"source", fmt.Sprintf("%s, ifIndex %d matched by %s, group %s", rec.Source, rec.IfIndex, orNone(rec.MatchedBy, "-"), orNone(rec.Group, "default"))})
	}
	if sw := r.SwitchStatus; sw != nil {
		state := "answers"
		if !sw.Reachable {
			state = "does not answer since " + k.when(sw.UnreachableSince, true) + ": " + sw.Err
		}
		kv = append(kv, [2]string{"switch", fmt.Sprintf("%s; last poll %s, %d packets%s", state, k.when(sw.PolledAt, true),
			sw.LastCyclePackets, map[bool]string{true: " (full refresh)"}[sw.LastCycleFull])})
	}
	if err := pairs(w, kv); err != nil {
		return err
	}
	if len(r.History) == 0 {
		return nil
	}
	fmt.Fprintln(w, "\nhistory (newest first)")
	rows := [][]string{{"AT", "SINCE", "FROM", "LINK", "ADMIN", "OPER", "SPEED", "SOURCE", "NOTE"}}
	for _, t := range r.History {
		note := t.Problem
		if t.Flap {
			note = strings.TrimSpace("flap " + note)
		}
		rows = append(rows, []string{t.At.In(k.loc).Format(time.DateTime), t.Since.In(k.loc).Format(time.DateTime), orNone(t.From, "-"),
			t.Link, orNone(t.Admin, "-"), orNone(t.Oper, "-"), speed(t.SpeedMbps), orNone(t.Source, "-"), note})
	}
	return table(w, rows)
}

func (k clock) when(t time.Time, exact bool) string {
	if t.IsZero() {
		return "-"
	}
	s := fmt.Sprintf("%s (%s ago)", t.In(k.loc).Format(time.DateTime), k.now.Sub(t).Round(time.Second))
	if !exact {
		s = "at the latest " + s + ", before the switch's last restart"
	}
	return s
}

func freshness(r *admin.PortReport, now time.Time) string {
	if r.Confirmed.IsZero() {
		return "never"
	}
	age := now.Sub(r.Confirmed)
	if r.Link == admin.LinkUnknown {
		return "not fresh"
	}
	return fmt.Sprintf("fresh: polled every %v, unknown after %v without confirmation, %v left", r.Interval, r.Stale, (r.Stale - age).Round(time.Second))
}

func speed(mbps uint64) string {
	switch {
	case mbps == 0:
		return "-"
	case mbps >= 1000 && mbps%1000 == 0:
		return strconv.FormatUint(mbps/1000, 10) + " Gbit/s"
	}
	return strconv.FormatUint(mbps, 10) + " Mbit/s"
}

func flaps(f admin.FlapCounts) string {
	at := ""
	if f.AtLeast {
		at = "at least "
	}
	return fmt.Sprintf("%s%d in the last hour, %s%d in the last day", at, f.Hour, at, f.Day)
}

func orNone(s, none string) string {
	if s == "" {
		return none
	}
	return s
}

func cmdSwitches(ctx context.Context, c *cli, args []string) error {
	if len(args) != 0 {
		return usagef("takes no arguments")
	}
	var l admin.SwitchList
	if err := c.client.Get(ctx, admin.PathSwitches, &l); err != nil {
		return err
	}
	return c.show(l, func(w io.Writer) error {
		k := clock{time.Now(), time.Local}
		rows := [][]string{{"SWITCH", "GROUP", "STATE", "LAST POLL", "PACKETS", "BUDGET", "RESTARTS"}}
		for _, s := range l.Switches {
			state := "up"
			if !s.Reachable {
				state = "UNREACHABLE since " + s.UnreachableSince.In(k.loc).Format(time.DateTime)
			}
			rows = append(rows, []string{s.Address, s.Group, state, k.when(s.PolledAt, true), strconv.Itoa(s.LastCyclePackets),
				strconv.Itoa(s.MaxRepetitions), strconv.Itoa(s.Restarts)})
		}
		if err := table(w, rows); err != nil {
			return err
		}
		if len(l.Problems) > 0 {
			fmt.Fprintf(w, "\nnot polled (%d)\n", len(l.Problems))
			for _, p := range l.Problems {
				fmt.Fprintf(w, "  %s\n", p)
			}
		}
		return nil
	})
}

func cmdPoll(ctx context.Context, c *cli, args []string) error {
	fs := flag.NewFlagSet("poll", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	full := fs.Bool("full", false, "read every column of every port, not only what changed")
	if err := fs.Parse(args); err != nil {
		return usagef("%v", err)
	}
	if fs.NArg() != 0 {
		return usagef("takes no arguments besides --full")
	}
	path := admin.PathPoll
	if *full {
		path += "?full=1"
	}
	var r admin.PollResult
	if err := c.client.Do(ctx, http.MethodPost, path, nil, "", &r); err != nil {
		return err
	}
	return c.show(r, func(w io.Writer) error {
		kind := "changes only"
		if r.Full {
			kind = "full refresh"
		}
		_, err := fmt.Fprintf(w, "every switch polled (%s) in %d ms; port writer: %d states written in %d transactions so far\n",
			kind, r.Millis, r.Writer.Updates, r.Writer.Batches)
		return err
	})
}
