package main

import (
	"bytes"
	"context"
	"encoding/json"
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

// upstreamVerbs are the commands of the upstream subsystem.
func upstreamVerbs() []verb {
	return []verb{
		{name: "upstream", args: "[retry SINK [SEQ…] | pause SINK | resume SINK | parked SINK [--limit N] | verify cubit ID]",
			help: "show the upstream sinks (lag, errors, parked), or act on one", run: cmdUpstream},
		{name: "customer", args: "ACCESS", help: "ask the providers holding the access's services for its customer (shown, never stored)", run: cmdCustomer},
	}
}

func cmdUpstream(ctx context.Context, c *cli, args []string) error {
	if len(args) == 0 {
		return upstreamStatus(ctx, c)
	}
	switch args[0] {
	case "retry", "pause", "resume":
		if len(args) < 2 || args[0] != "retry" && len(args) > 2 {
			return usagef("want %s SINK", args[0])
		}
		return upstreamAction(ctx, c, args[0], args[1], args[2:])
	case "parked":
		return upstreamParked(ctx, c, args[1:])
	case "verify":
		if len(args) != 3 || args[1] != "cubit" {
			return usagef("want verify cubit ID (a customer number, or an 18-digit metering point id)")
		}
		return upstreamVerify(ctx, c, args[2])
	}
	return usagef("unknown upstream command %q: retry, pause, resume, parked or verify", args[0])
}

func upstreamStatus(ctx context.Context, c *cli) error {
	var u admin.Upstream
	if err := c.client.Get(ctx, admin.PathUpstream, &u); err != nil {
		return err
	}
	return c.show(u, func(w io.Writer) error {
		rows := [][]string{{"SINK", "LAG", "OLDEST", "LAST SUCCESS", "PAUSED", "PARKED", "DELIVERED", "LAST ERROR"}}
		for _, s := range u.Sinks {
			paused := "no"
			if s.Paused {
				paused = "yes: " + s.PauseReason
				if s.PauseError != "" {
					paused += " (" + s.PauseError + ")"
				}
			}
			age := "-"
			if s.Lag > 0 {
				age = (time.Duration(s.OldestAgeSeconds) * time.Second).Round(time.Second).String()
			}
			lastErr := "-"
			if s.LastError != "" {
				lastErr = localTime(s.LastErrorAt) + " " + s.LastErrorClass + ": " + s.LastError
			}
			rows = append(rows, []string{s.Sink, strconv.Itoa(s.Lag), age, localTime(s.LastSuccess), paused,
				strconv.Itoa(s.Parked), strconv.FormatUint(s.Delivered, 10), lastErr})
		}
		if len(u.Sinks) == 0 {
			fmt.Fprintln(w, "no upstream sink is configured")
		} else if err := table(w, rows); err != nil {
			return err
		}
		budget := "unbounded"
		if u.Outbox.Budget > 0 {
			budget = fmt.Sprintf("%d bytes", u.Outbox.Budget)
		}
		kv := [][2]string{{"outbox", fmt.Sprintf("%d bytes of %s", u.Outbox.Bytes, budget)}}
		if u.Outbox.OverBudget {
			kv[0][1] += " — over budget: nothing more can be compacted"
		}
		if p := u.Portal; p != nil {
			kv = append(kv, [2]string{"atlas portal", fmt.Sprintf("last poll %s, last success %s, %d read in, last check %s",
				localTime(p.LastPoll), localTime(p.LastSuccess), p.ReadIn, dash(p.LastCheck))})
			if p.LastError != "" {
				kv = append(kv, [2]string{"atlas portal error", p.LastError})
			}
		}
		if p := u.Pull; p != nil {
			kv = append(kv, [2]string{"inventory pull", fmt.Sprintf("%s (%s): last success %s (%d accesses in its answer), %d pulls, %d failed",
				p.Name, p.Format, localTime(p.LastSuccess), p.Applied, p.Pulls, p.Failures)})
			if p.LastError != "" {
				what := "inventory pull error"
				if p.Refused {
					what = "inventory pull refused (nothing applied)"
				}
				kv = append(kv, [2]string{what, p.LastError})
			}
		}
		fmt.Fprintln(w)
		return pairs(w, kv)
	})
}

func upstreamAction(ctx context.Context, c *cli, action, sink string, seqs []string) error {
	q := url.Values{}
	for _, s := range seqs {
		if _, err := strconv.ParseUint(s, 10, 64); err != nil {
			return usagef("%q is not an entry number (upstream parked %s lists them)", s, sink)
		}
		q.Add("seq", s)
	}
	path := admin.PathUpstream + "/" + url.PathEscape(sink) + "/" + action
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	if action == "retry" {
		var r admin.RetryResult
		if err := c.client.Do(ctx, http.MethodPost, path, nil, "", &r); err != nil {
			return err
		}
		return c.show(r, func(w io.Writer) error {
			_, err := fmt.Fprintf(w, "%s: %d parked entries requeued; delivery tried now\n", r.Sink, r.Requeued)
			return err
		})
	}
	var s admin.UpstreamSink
	if err := c.client.Do(ctx, http.MethodPost, path, nil, "", &s); err != nil {
		return err
	}
	return c.show(s, func(w io.Writer) error {
		state := "running"
		if s.Paused {
			state = "paused (" + s.PauseReason + ")"
		}
		_, err := fmt.Fprintf(w, "%s: %s, %d waiting, %d parked\n", s.Sink, state, s.Lag, s.Parked)
		return err
	})
}

func upstreamParked(ctx context.Context, c *cli, args []string) error {
	fs := flag.NewFlagSet("parked", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	limit := fs.Int("limit", 100, "at most this many")
	var sink string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		sink, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		return usagef("%v", err)
	}
	if sink == "" || fs.NArg() > 0 {
		return usagef("want parked SINK [--limit N]")
	}
	var ps []admin.ParkedEntry
	path := admin.PathUpstream + "/" + url.PathEscape(sink) + "/parked?limit=" + strconv.Itoa(*limit)
	if err := c.client.Get(ctx, path, &ps); err != nil {
		return err
	}
	return c.show(ps, func(w io.Writer) error {
		if len(ps) == 0 {
			_, err := fmt.Fprintf(w, "no parked entries for %s\n", sink)
			return err
		}
		rows := [][]string{{"SEQ", "KEY", "KIND", "CREATED", "PARKED", "ATTEMPTS", "ERROR"}}
		for _, p := range ps {
			rows = append(rows, []string{strconv.FormatUint(p.Seq, 10), p.Key, p.Kind, localTime(p.Created),
				localTime(p.Parked), strconv.Itoa(p.Attempts), p.Error})
		}
		return table(w, rows)
	})
}

func upstreamVerify(ctx context.Context, c *cli, id string) error {
	var v admin.CubitVerification
	if err := c.client.Get(ctx, admin.PathUpstream+"/cubit/verify/"+url.PathEscape(id), &v); err != nil {
		return err
	}
	return c.show(v, func(w io.Writer) error {
		if !v.Found {
			_, err := fmt.Fprintf(w, "cubit has no %s %s\n", v.Kind, v.ID)
			return err
		}
		var pretty bytes.Buffer
		if err := json.Indent(&pretty, v.Stored, "", "  "); err != nil {
			pretty.Write(v.Stored)
		}
		fmt.Fprintf(w, "cubit's %s %s:\n%s\n", v.Kind, v.ID, pretty.String())
		if len(v.Differences) == 0 {
			return nil
		}
		fmt.Fprintln(w, "\ndiffers from the inventory's:")
		rows := [][]string{{"FIELD", "INVENTORY", "CUBIT"}}
		for _, d := range v.Differences {
			rows = append(rows, []string{d.Field, d.Sent, dash(d.Stored)})
		}
		return table(w, rows)
	})
}

func cmdCustomer(ctx context.Context, c *cli, args []string) error {
	if len(args) != 1 {
		return usagef("want one access id")
	}
	var cs admin.Customers
	if err := c.client.Get(ctx, admin.PathCustomer+url.PathEscape(args[0]), &cs); err != nil {
		return err
	}
	return c.show(cs, func(w io.Writer) error {
		rows := [][]string{{"PROVIDER", "SERVICE", "SPREFERENCE", "NAME", "EMAIL", "PHONE", "MOBILE"}}
		for _, p := range cs.Providers {
			if p.Error != "" {
				rows = append(rows, []string{p.Provider, "-", "-", "could not answer: " + p.Error, "", "", ""})
				continue
			}
			if len(p.Services) == 0 {
				rows = append(rows, []string{p.Provider, "-", "-", "no customer on this access", "", "", ""})
			}
			for _, s := range p.Services {
				rows = append(rows, []string{p.Provider, s.Service, dash(s.SPReference), dash(s.Name), dash(s.Email),
					dash(s.Phone), dash(s.MobilePhone)})
			}
		}
		return table(w, rows)
	})
}
