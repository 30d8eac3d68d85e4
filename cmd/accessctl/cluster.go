package main

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/stadsnat/accessd/cmd/internal/admin"
)

// clusterVerbs are the commands of the cluster subsystem.
func clusterVerbs() []verb {
	return []verb{
		{name: "cluster", help: "show this box's part in a cluster of sites: role, hub link, streams and their lag, facts applied per site",
			run: cmdCluster},
	}
}

func cmdCluster(ctx context.Context, c *cli, args []string) error {
	if len(args) > 0 {
		return usagef("cluster takes no arguments")
	}
	var st admin.Cluster
	if err := c.client.Get(ctx, admin.PathCluster, &st); err != nil {
		return err
	}
	return c.show(st, func(w io.Writer) error { return clusterHuman(w, &st) })
}

func clusterHuman(w io.Writer, st *admin.Cluster) error {
	if st.Role == "standalone" {
		fmt.Fprintln(w, "role  standalone: this box is no part of a cluster (cluster.role)")
		return nil
	}
	site := st.Site
	if st.Instance != "" {
		site += ":" + st.Instance
	}
	kv := [][2]string{{"role", st.Role}, {"site", site}, {"hub", st.HubSite}}
	if !st.Running {
		kv = append(kv, [2]string{"nats", "not connected yet"})
	}
	if st.Error != "" {
		kv = append(kv, [2]string{"status error", st.Error})
	}
	if l := st.HubLink; l != nil {
		kv = append(kv, [2]string{"hub link", fmt.Sprintf("%s since %s", upDown(l.Up), localTime(l.Since))})
	}
	for _, l := range st.Leafs {
		dir := "from"
		if l.ToHub {
			dir = "to"
		}
		kv = append(kv, [2]string{"leaf connection", fmt.Sprintf("%s %s (%s)", dir, l.Name, l.Remote)})
	}
	if st.UnforwardedFacts >= 0 {
		kv = append(kv, [2]string{"facts the hub has not taken", strconv.FormatInt(st.UnforwardedFacts, 10)})
	}
	if f := st.Facts; f != nil {
		v := fmt.Sprintf("%d in the outbox; published up to %d, released up to %d, last %s", f.Outbox, f.Published, f.Cursor, localTime(f.LastAt))
		if f.LastError != "" {
			v += "; failing: " + f.LastError
		}
		kv = append(kv, [2]string{"facts", v})
	}
	kv = append(kv, inventoryPairs(&st.Inventory, st.Role)...)
	if err := pairs(w, kv); err != nil {
		return err
	}
	fmt.Fprintln(w)
	rows := [][]string{{"STREAM", "MESSAGES", "BYTES", "CONSUMER LAG", "SOURCES (LAG)"}}
	for _, s := range st.Streams {
		var cons, srcs []string
		for _, c := range s.Consumers {
			cons = append(cons, fmt.Sprintf("%s %d", c.Name, c.Pending+uint64(c.AckPending)))
		}
		for _, src := range s.Sources {
			v := fmt.Sprintf("%s %d", src.Name, src.Lag)
			if src.Error != "" {
				v += " (" + src.Error + ")"
			}
			srcs = append(srcs, v)
		}
		msgs := strconv.FormatUint(s.Messages, 10)
		if s.Facts > 0 { // an edge's facts, many to a message
			msgs += " (" + strconv.FormatUint(s.Facts, 10) + " facts)"
		}
		rows = append(rows, []string{s.Name, msgs, strconv.FormatUint(s.Bytes, 10),
			dash(strings.Join(cons, ", ")), dash(strings.Join(srcs, ", "))})
	}
	if err := table(w, rows); err != nil {
		return err
	}
	if len(st.Sites) == 0 {
		return nil
	}
	fmt.Fprintln(w)
	rows = [][]string{{"SITE", "CONNECTED", "LAST FACT", "MADE", "APPLIED", "LAG", "LAST CONTACT", "STALE"}}
	for _, s := range st.Sites {
		rows = append(rows, []string{s.Site, yesNo(s.Connected), strconv.FormatUint(s.LastSeq, 10), localTime(s.LastAt),
			localTime(s.AppliedAt), strconv.FormatUint(s.Lag, 10), localTime(s.LastContact), yesNo(s.Stale)})
	}
	return table(w, rows)
}

func inventoryPairs(inv *admin.ClusterInventory, role string) [][2]string {
	v := fmt.Sprintf("applied up to %d, %d to read", inv.Mark, inv.Pending)
	if role == "hub" {
		v += fmt.Sprintf("; %d batch(es) published since start, last %s", inv.PublishedBatches, localTime(inv.LastPublished))
	}
	if inv.Following {
		v += "; local imports refused (imports go to the hub)"
	}
	kv := [][2]string{{"inventory", v}}
	if r := inv.LastRefused; r != nil {
		kv = append(kv, [2]string{"inventory refused", fmt.Sprintf("%d batch(es); the last at %s (%d changes, up to %d), none of it applied:",
			inv.Refused, localTime(r.At), r.Changes, r.Mark)})
		for _, p := range r.Problems {
			kv = append(kv, [2]string{"", p})
		}
	}
	return kv
}

func upDown(up bool) string {
	if up {
		return "up"
	}
	return "down"
}
