package clustersys

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/stadsnat/accessd/cmd/accessd/internal/cluster"
	"github.com/stadsnat/accessd/cmd/internal/admin"
)

// admin registers accessctl cluster.
func (s *System) admin(m *admin.Mux) {
	m.Handle("GET "+admin.PathCluster, func(w http.ResponseWriter, r *http.Request) error {
		return admin.WriteJSON(w, s.Status())
	})
}

// Status is what accessctl cluster shows.
func (s *System) Status() admin.Cluster {
	out := admin.Cluster{Role: string(s.opts.Role), Site: s.opts.Site, Instance: s.opts.Instance, UnforwardedFacts: -1}
	if s.node == nil {
		return out
	}
	out.HubSite = s.opts.HubSite
	st := s.node.Status()
	out.Running = !st.Refreshed.IsZero()
	out.Refreshed, out.Error, out.UnforwardedFacts = st.Refreshed, st.Error, st.UnforwardedFacts
	if st.HubLink != nil {
		out.HubLink = &admin.ClusterLink{Up: st.HubLink.Up, Since: st.HubLink.Since}
	}
	for _, l := range st.Leafs {
		out.Leafs = append(out.Leafs, admin.ClusterLeaf{Name: l.Name, Remote: l.Remote, ToHub: l.ToHub})
	}
	for _, ss := range st.Streams {
		out.Streams = append(out.Streams, adminStream(ss))
	}
	for _, site := range st.Sites {
		out.Sites = append(out.Sites, admin.ClusterSite{Site: site.Site, Connected: site.Connected, LastSeq: site.LastSeq,
			LastAt: site.LastAt, AppliedAt: site.AppliedAt, Lag: site.Lag, LastContact: site.LastContact, Stale: site.Stale})
	}
	out.Facts = s.factSinkStatus()
	out.Inventory = admin.ClusterInventory{Mark: st.InventoryMark, Pending: st.InventoryPending, Following: s.opts.Role == cluster.Edge}
	if r, ok, err := s.db.Cluster().LastInventoryRefusal(); err == nil && ok {
		out.Inventory.Refused = r.Refused
		out.Inventory.LastRefused = &admin.ClusterInventoryRefusal{At: r.At, Mark: r.Mark, Changes: r.Changes, Problems: r.Problems}
	}
	if s.inv != nil {
		out.Inventory.PublishedBatches, out.Inventory.LastPublished = s.inv.state()
	}
	return out
}

func adminStream(ss cluster.StreamStatus) admin.ClusterStream {
	as := admin.ClusterStream{Name: ss.Name, Messages: ss.Messages, Facts: ss.Facts, Bytes: ss.Bytes, FirstSeq: ss.FirstSeq, LastSeq: ss.LastSeq}
	for _, c := range ss.Consumers {
		as.Consumers = append(as.Consumers, admin.ClusterConsumer{Name: c.Name, Pending: c.Pending, AckPending: c.AckPending,
			Redelivered: c.Redelivered})
	}
	for _, src := range ss.Sources {
		active := -1.0
		if src.Active >= 0 {
			active = src.Active.Seconds()
		}
		as.Sources = append(as.Sources, admin.ClusterSource{Name: src.Name, Lag: src.Lag, ActiveSeconds: active, Error: src.Error})
	}
	return as
}

func (s *System) factSinkStatus() *admin.ClusterFactSink {
	pos, cursor, held, lastErr, lastAt := s.facts.state()
	fs := &admin.ClusterFactSink{Published: pos, Cursor: cursor, Held: held, LastError: lastErr, LastAt: lastAt}
	if st, err := s.db.Outbox().Stats(SinkFacts); err == nil {
		fs.Outbox = st.Pending
	}
	return fs
}

// status is the cluster section of accessctl status.
func (s *System) status() admin.Section {
	sec := admin.Section{Title: "cluster"}
	st := s.Status()
	row := func(k, format string, args ...any) {
		sec.Rows = append(sec.Rows, [2]string{k, fmt.Sprintf(format, args...)})
	}
	row("role", "%s", st.Role)
	if s.node == nil {
		return sec
	}
	row("site", "%s", origin(st.Site, st.Instance))
	if st.HubLink != nil {
		row("hub link", "%s since %s", upDown(st.HubLink.Up), st.HubLink.Since.UTC().Format(time.RFC3339))
	}
	if st.UnforwardedFacts >= 0 {
		row("facts the hub has not taken", "%d", st.UnforwardedFacts)
	}
	if f := st.Facts; f != nil {
		row("facts in the outbox", "%d (published up to %d, released up to %d)", f.Outbox, f.Published, f.Cursor)
	}
	row("inventory", "applied up to %d, %d to read, %d batch(es) refused", st.Inventory.Mark, st.Inventory.Pending, st.Inventory.Refused)
	var stale []string
	for _, site := range st.Sites {
		if site.Stale {
			stale = append(stale, site.Site)
		}
	}
	if len(st.Sites) > 0 {
		row("sites", "%d listed, stale: %s", len(st.Sites), orNone(stale))
	}
	return sec
}

func origin(site, instance string) string {
	if instance == "" {
		return site
	}
	return site + ":" + instance
}

func upDown(up bool) string {
	if up {
		return "up"
	}
	return "down"
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}
