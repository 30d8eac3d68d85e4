package main

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/stadsnat/accessd/cmd/internal/admin"
)

// dhcpVerbs are the DHCP look-ups.
func dhcpVerbs() []verb {
	return []verb{
		{name: "lookup", args: "ip|mac|circuit|option82 VALUE", help: "find the binding(s) and access of an IP, MAC, circuit key or Option 82 hex", run: cmdLookup},
		{name: "bindings", args: "ACCESS", help: "list the DHCP clients (active bindings) on an access", run: cmdBindings},
		{name: "history", args: "ip IP [--at TIME]", help: "who had an IP (at a time: RFC 3339 or 2006-01-02 15:04[:05] local)", run: cmdHistory},
		{name: "circuits", args: "--unknown", help: "list the circuits seen in DHCP that match no access", run: cmdCircuits},
		{name: "events", args: "[--limit N]", help: "list the latest DHCP binding events (moves, take-overs, conflicts)", run: cmdEvents},
	}
}

func cmdLookup(ctx context.Context, c *cli, args []string) error {
	if len(args) != 2 {
		return usagef("want a kind and a value")
	}
	kind, value := args[0], args[1]
	switch kind {
	case "ip", "mac", "circuit", "option82":
	default:
		return usagef("kind %q: want ip, mac, circuit or option82", kind)
	}
	var res admin.Lookup
	q := url.Values{"kind": {kind}, "value": {value}}
	if err := c.client.Get(ctx, admin.PathLookup+"?"+q.Encode(), &res); err != nil {
		return err
	}
	return c.show(res, func(w io.Writer) error {
		access := res.Access
		if access == "" {
			access = "none"
		}
		kv := [][2]string{{"access", access}}
		if res.AccessNote != "" {
			kv = append(kv, [2]string{"", res.AccessNote})
		}
		if err := pairs(w, kv); err != nil {
			return err
		}
		if len(res.Decoded) > 0 {
			fmt.Fprintln(w, "\ndecoded by the profiles")
			rows := [][]string{{"PROFILE", "KEY", "REMOTE-ID", "CIRCUIT-ID", "SWITCH", "MODULE", "PORT", "VLAN", "ERROR"}}
			for _, d := range res.Decoded {
				vlan := ""
				if d.VLAN != 0 {
					vlan = strconv.Itoa(int(d.VLAN))
				}
				rows = append(rows, []string{d.Profile, dash(d.Key), dash(d.RemoteID), dash(d.CircuitID), dash(d.Switch), dash(d.Module), dash(d.Port), dash(vlan), dash(d.Error)})
			}
			if err := table(w, rows); err != nil {
				return err
			}
		}
		if len(res.Unknown) > 0 {
			fmt.Fprintln(w, "\nlisted as an unknown circuit")
			if err := unknownTable(w, res.Unknown); err != nil {
				return err
			}
		}
		fmt.Fprintln(w)
		return bindingTable(w, res.Bindings)
	})
}

func cmdBindings(ctx context.Context, c *cli, args []string) error {
	if len(args) != 1 {
		return usagef("want one access id")
	}
	var res admin.AccessBindings
	if err := c.client.Get(ctx, admin.PathBindings+url.PathEscape(args[0]), &res); err != nil {
		return err
	}
	return c.show(res, func(w io.Writer) error {
		o82 := "none seen"
		if res.LastOption82 != "" {
			o82 = res.LastOption82
			if res.LastOption82Seen != nil {
				o82 += " (" + localTime(*res.LastOption82Seen) + ")"
			}
		}
		if err := pairs(w, [][2]string{{"access", res.Access}, {"last option 82", o82}}); err != nil {
			return err
		}
		fmt.Fprintln(w)
		return bindingTable(w, res.Bindings)
	})
}

func cmdHistory(ctx context.Context, c *cli, args []string) error {
	var at string
	var rest []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--at" || a == "-at":
			if i+1 == len(args) {
				return usagef("--at needs a time")
			}
			at = args[i+1]
			i++
		case strings.HasPrefix(a, "--at="):
			at = strings.TrimPrefix(a, "--at=")
		default:
			rest = append(rest, a)
		}
	}
	if len(rest) != 2 || rest[0] != "ip" {
		return usagef("want: history ip IP [--at TIME]")
	}
	q := url.Values{"ip": {rest[1]}}
	if at != "" {
		t, err := parseTime(at)
		if err != nil {
			return usagef("--at %q: %v", at, err)
		}
		q.Set("at", t.Format(time.RFC3339Nano))
	}
	var res admin.History
	if err := c.client.Get(ctx, admin.PathHistory+"?"+q.Encode(), &res); err != nil {
		return err
	}
	return c.show(res, func(w io.Writer) error {
		if len(res.Intervals) == 0 {
			when := "ever (within the history retention)"
			if res.At != nil {
				when = "at " + localTime(*res.At)
			}
			fmt.Fprintf(w, "no client held %s %s\n", res.IP, when)
			return nil
		}
		rows := [][]string{{"FROM", "TO", "MAC", "ACCESS", "CIRCUIT", "CONFIRMED"}}
		for _, iv := range res.Intervals {
			to := "now (active)"
			if iv.To != nil {
				to = localTime(*iv.To)
			}
			rows = append(rows, []string{localTime(iv.From), to, iv.MAC, dash(iv.Access), dash(iv.Circuit), yesNo(iv.Confirmed)})
		}
		if err := table(w, rows); err != nil {
			return err
		}
		if res.Older {
			fmt.Fprintf(w, "(the newest %d intervals: older ones are left out; --at TIME finds who had the IP then)\n", len(res.Intervals))
		}
		return nil
	})
}

// parseTime reads RFC 3339, or a local date and time.
func parseTime(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	for _, layout := range []string{"2006-01-02 15:04:05", "2006-01-02 15:04", "2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, time.Local); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("want RFC 3339 (2026-03-01T10:00:00Z) or local 2006-01-02 15:04[:05]")
}

func cmdCircuits(ctx context.Context, c *cli, args []string) error {
	if len(args) != 1 || (args[0] != "--unknown" && args[0] != "-unknown") {
		return usagef("only the unknown circuits are listed: accessctl circuits --unknown")
	}
	var us []admin.UnknownCircuit
	if err := c.client.Get(ctx, admin.PathCircuits+"?unknown=1", &us); err != nil {
		return err
	}
	return c.show(us, func(w io.Writer) error {
		if len(us) == 0 {
			fmt.Fprintln(w, "no unknown circuits: every circuit seen matches an access")
			return nil
		}
		return unknownTable(w, us)
	})
}

func cmdEvents(ctx context.Context, c *cli, args []string) error {
	limit := "100"
	switch {
	case len(args) == 0:
	case len(args) == 2 && (args[0] == "--limit" || args[0] == "-limit"):
		limit = args[1]
	default:
		return usagef("want [--limit N]")
	}
	var evs []admin.BindingEvent
	if err := c.client.Get(ctx, admin.PathEvents+"?limit="+url.QueryEscape(limit), &evs); err != nil {
		return err
	}
	return c.show(evs, func(w io.Writer) error {
		if len(evs) == 0 {
			fmt.Fprintln(w, "no events")
			return nil
		}
		rows := [][]string{{"TIME", "EVENT", "MAC", "IP", "ACCESS", "BEFORE", "CIRCUIT"}}
		for _, e := range evs {
			before := []string{}
			if e.PrevAccess != "" {
				before = append(before, "access "+e.PrevAccess)
			}
			if e.PrevIP != "" {
				before = append(before, "ip "+e.PrevIP)
			}
			if e.PrevMAC != "" {
				before = append(before, "mac "+e.PrevMAC)
			}
			if len(e.Accesses) > 0 {
				before = append(before, "claimed by "+strings.Join(e.Accesses, ", "))
			}
			rows = append(rows, []string{localTime(e.Time), e.Kind, dash(e.MAC), dash(e.IP), dash(e.Access), dash(strings.Join(before, "; ")), dash(e.Circuit)})
		}
		return table(w, rows)
	})
}

func bindingTable(w io.Writer, bs []admin.Binding) error {
	if len(bs) == 0 {
		fmt.Fprintln(w, "no bindings")
		return nil
	}
	rows := [][]string{{"MAC", "IP", "STATE", "ACCESS", "CIRCUIT", "SINCE", "EXPIRES", "LAST SEEN", "SOURCE"}}
	for _, b := range bs {
		exp := "-"
		if b.Expires != nil {
			exp = localTime(*b.Expires)
		}
		if b.Ended != nil {
			exp = "ended " + localTime(*b.Ended)
		}
		rows = append(rows, []string{b.MAC, dash(b.IP), b.State, dash(b.Access), dash(b.Circuit), localTime(b.Since), exp, localTime(b.LastSeen), dash(b.Source)})
	}
	return table(w, rows)
}

func unknownTable(w io.Writer, us []admin.UnknownCircuit) error {
	rows := [][]string{{"CIRCUIT", "REASON", "PACKETS", "FIRST SEEN", "LAST SEEN", "LAST MAC", "PROFILE", "GIADDR"}}
	for _, u := range us {
		lastMAC := u.LastMAC
		if lastMAC == "" {
			lastMAC = "00:00:00:00:00:00" // as the unknown-circuit list keeps a circuit seen without one
		}
		rows = append(rows, []string{u.Key, u.Reason, strconv.FormatUint(u.Count, 10), localTime(u.FirstSeen), localTime(u.LastSeen),
			lastMAC, dash(u.Profile), dash(u.GIAddr)})
	}
	return table(w, rows)
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
