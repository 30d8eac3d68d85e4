package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/stadsnat/accessd/cmd/internal/admin"
)

// ordersVerbs are the commands of the order engine.
func ordersVerbs() []verb {
	return []verb{
		{name: "services", args: "ACCESS", help: "list the services active on an access", run: cmdServices},
		{name: "orders", args: "[--state S] [--access ID] [--owner NAME] [--limit N]", help: "list orders, newest first (100 unless --limit)", run: cmdOrders},
		{name: "order", args: "ID", help: "show one order and its change log", run: cmdOrder},
	}
}

func cmdServices(ctx context.Context, c *cli, args []string) error {
	if len(args) != 1 {
		return usagef("want one access id")
	}
	var ss []admin.Service
	if err := c.client.Get(ctx, admin.PathAccess+url.PathEscape(args[0])+"/services", &ss); err != nil {
		return err
	}
	return c.show(ss, func(w io.Writer) error {
		if len(ss) == 0 {
			fmt.Fprintf(w, "no services active on %s\n", args[0])
			return nil
		}
		rows := [][]string{{"SERVICE", "NAME", "TYPE", "OWNER", "ACTIVATED", "COMMITMENT", "RELEASE", "SUBSCRIPTION", "ORDER"}}
		for _, s := range ss {
			rows = append(rows, []string{s.UID, s.Name, s.Type, s.Owner, s.Activated, dash(s.Commitment), dash(s.Release), s.SubscriptionID, s.OrderID})
		}
		return table(w, rows)
	})
}

func cmdOrders(ctx context.Context, c *cli, args []string) error {
	fs := flag.NewFlagSet("orders", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	state := fs.String("state", "", "RECEIVED, IN_PROGRESS, DONE_SUCCESS or DONE_FAILED")
	access := fs.String("access", "", "only this access")
	owner := fs.String("owner", "", "only this service provider (or atlas)")
	limit := fs.Int("limit", 100, "at most this many (0: all)")
	if err := fs.Parse(args); err != nil {
		return usagef("%v", err)
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	st := strings.ToUpper(*state)
	if st != "" && !slices.Contains(admin.OrderStates(), st) {
		return usagef("--state %q: must be RECEIVED, IN_PROGRESS, DONE_SUCCESS or DONE_FAILED", *state)
	}
	q := url.Values{"limit": {strconv.Itoa(*limit)}}
	for k, v := range map[string]string{"state": st, "access": *access, "owner": *owner} {
		if v != "" {
			q.Set(k, v)
		}
	}
	var os []admin.Order
	if err := c.client.Get(ctx, admin.PathOrders+"?"+q.Encode(), &os); err != nil {
		return err
	}
	return c.show(os, func(w io.Writer) error {
		if len(os) == 0 {
			fmt.Fprintln(w, "no orders")
			return nil
		}
		rows := [][]string{{"ORDER", "CREATED", "ACCESS", "SERVICE", "OPERATION", "STATE", "DUE", "OWNER", "CHANNEL", "MESSAGE"}}
		for _, o := range os {
			rows = append(rows, []string{o.ID, localTime(o.Created), o.AccessID, o.Service, o.Operation, o.State,
				localTime(o.Due), o.Owner, o.Channel, o.Message})
		}
		return table(w, rows)
	})
}

func cmdOrder(ctx context.Context, c *cli, args []string) error {
	if len(args) != 1 {
		return usagef("want one order id")
	}
	var d admin.OrderDetail
	if err := c.client.Get(ctx, admin.PathOrders+"/"+url.PathEscape(args[0]), &d); err != nil {
		return err
	}
	return c.show(d, func(w io.Writer) error {
		o := d.Order
		kv := [][2]string{
			{"order", o.ID},
			{"state", o.State},
			{"message", dash(o.Message)},
			{"operation", o.Operation},
			{"access", o.AccessID},
			{"service", o.Service},
			{"subscription", dash(o.SubscriptionID)},
			{"owner", o.Owner + " (" + o.Channel + ")"},
			{"created", localTime(o.Created)},
			{"due", localTime(o.Due)},
			{"updated", localTime(o.Updated)},
			{"hook runs", strconv.Itoa(o.Attempts)},
		}
		if o.Date != "" {
			kv = append(kv, [2]string{"date", o.Date})
		}
		if o.SPReference != "" {
			kv = append(kv, [2]string{"spReference", o.SPReference})
		}
		for _, e := range o.Equipment {
			kv = append(kv, [2]string{"equipment", strings.TrimSpace(e.VendorID + " " + e.MACAddress)})
		}
		if a := o.Atlas; a != nil {
			kv = append(kv, [2]string{"atlas", fmt.Sprintf("order %s, customer %s, xspcid %s, origin %s", dash(a.Order), dash(a.Customer), dash(a.XSPCID), dash(a.Origin))})
		}
		if o.CustomerRef != "" {
			kv = append(kv, [2]string{"customer", o.CustomerRef})
		}
		if o.Customer != nil {
			kv = append(kv, [2]string{"customer", "stored (PI-API 2.2, customer_data: store); -json shows it"})
		}
		if err := pairs(w, kv); err != nil {
			return err
		}
		fmt.Fprintln(w, "\nchange log")
		rows := [][]string{{"EVENT", "TIME", "KIND", "STATE", "MESSAGE"}}
		for _, e := range d.History {
			rows = append(rows, []string{e.ID, localTime(e.Time), e.Kind, e.State, e.Message})
		}
		return table(w, rows)
	})
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func localTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Local().Format(time.DateTime)
}
