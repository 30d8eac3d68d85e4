package cluster

import (
	"strings"
	"testing"
	"time"
)

func TestOptionsValidate(t *testing.T) {
	edge := func(f func(o *Options)) Options {
		o := Options{Site: "pop-norr", Role: Edge, NATS: NATSOptions{Hub: []string{"nats-leaf://hub.example:7422"},
			TLS: TLSOptions{CertFile: "c.pem", KeyFile: "k.pem", CAFile: "ca.pem"}}}
		if f != nil {
			f(&o)
		}
		o.SetDefaults("/var/lib/accessd")
		return o
	}
	hub := func(f func(o *Options)) Options {
		o := Options{Site: "hub", Role: Hub, Sites: []string{"pop-norr", "pop-syd"},
			NATS: NATSOptions{LeafListen: "0.0.0.0:7422", TLS: TLSOptions{CertFile: "c.pem", KeyFile: "k.pem", CAFile: "ca.pem"}}}
		if f != nil {
			f(&o)
		}
		o.SetDefaults("/var/lib/accessd")
		return o
	}
	external := false
	for _, tc := range []struct {
		name string
		opts Options
		want string // "" valid, else a part of the error
	}{
		{"edge", edge(nil), ""},
		{"hub", hub(nil), ""},
		{"standalone needs nothing", Options{}, ""},
		{"bad role", edge(func(o *Options) { o.Role = "spoke" }), "cluster.role"},
		{"bad site", edge(func(o *Options) { o.Site = "pop.norr" }), "site"},
		{"edge named as the hub", edge(func(o *Options) { o.Site = "hub" }), "site"},
		{"edge without hub", edge(func(o *Options) { o.NATS.Hub = nil }), "cluster.nats.hub"},
		{"edge hub off loopback without CA", edge(func(o *Options) { o.NATS.TLS = TLSOptions{} }), "tls.ca_file"},
		{"edge hub on loopback without TLS", edge(func(o *Options) {
			o.NATS.TLS, o.NATS.Hub = TLSOptions{}, []string{"nats-leaf://127.0.0.1:7422"}
		}), ""},
		{"edge hub bad scheme", edge(func(o *Options) { o.NATS.Hub = []string{"http://hub:7422"} }), "cluster.nats.hub"},
		{"edge lists sites", edge(func(o *Options) { o.Sites = []string{"x"} }), "cluster.sites"},
		{"edge takes leafs", edge(func(o *Options) { o.NATS.LeafListen = "127.0.0.1:7422" }), "leafnode_listen"},
		{"hub site not hub_site", hub(func(o *Options) { o.Site = "central" }), "site"},
		{"hub with another hub_site", hub(func(o *Options) { o.Site, o.HubSite = "central", "central" }), ""},
		{"hub leaf off loopback without TLS", hub(func(o *Options) { o.NATS.TLS = TLSOptions{} }), "leafnode_listen"},
		{"hub leaf on loopback without TLS", hub(func(o *Options) { o.NATS.TLS, o.NATS.LeafListen = TLSOptions{}, "127.0.0.1:7422" }), ""},
		{"hub client port off loopback without CA", hub(func(o *Options) { o.NATS.Listen, o.NATS.TLS.CAFile = "0.0.0.0:4222", "" }), "listen"},
		{"hub lists itself", hub(func(o *Options) { o.Sites = []string{"hub"} }), "cluster.sites"},
		{"hub lists twice", hub(func(o *Options) { o.Sites = []string{"a", "a"} }), "twice"},
		{"hub bad site", hub(func(o *Options) { o.Sites = []string{"a b"} }), "cluster.sites"},
		{"cert without key", hub(func(o *Options) { o.NATS.TLS.KeyFile = "" }), "cert_file and key_file"},
		{"external without url", hub(func(o *Options) { o.NATS.Embedded = &external; o.NATS.LeafListen = "" }), "cluster.nats.url"},
		{"external with listeners", hub(func(o *Options) { o.NATS.Embedded = &external; o.NATS.URL = "nats://n:4222" }), "only for the embedded"},
		{"external hub", hub(func(o *Options) { o.NATS.URL, o.NATS.LeafListen = "nats://n:4222", "" }), ""},
		{"url and embedded", hub(func(o *Options) { e := true; o.NATS.Embedded, o.NATS.URL = &e, "nats://n:4222" }), "exclude"},
		{"replicas 3 embedded", hub(func(o *Options) { o.Replicas = 3 }), "cluster.replicas"},
		{"replicas 3 external", hub(func(o *Options) { o.Replicas, o.NATS.URL, o.NATS.LeafListen = 3, "nats://n:4222", "" }), ""},
		{"replicas 2", hub(func(o *Options) { o.Replicas, o.NATS.URL, o.NATS.LeafListen = 2, "nats://n:4222", "" }), "cluster.replicas"},
		{"tiny facts", edge(func(o *Options) { o.Facts.MaxBytes = 10 }), "cluster.facts"},
		{"window over age", edge(func(o *Options) { o.Facts.MaxAge, o.Facts.DuplicateWindow = time.Hour, 2*time.Hour }), "duplicate_window"},
		{"workers", hub(func(o *Options) { o.Orders.Workers = 100 }), "cluster.orders"},
		{"staleness", hub(func(o *Options) { o.Staleness = time.Millisecond }), "cluster.staleness"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := tc.opts
			if o.Role == "" {
				o.SetDefaults("")
			}
			err := o.Validate()
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("Validate: %v", err)
			case tc.want != "" && err == nil:
				t.Errorf("Validate accepted it, want an error naming %q", tc.want)
			case tc.want != "" && !strings.Contains(err.Error(), tc.want):
				t.Errorf("Validate: %v, want it to name %q", err, tc.want)
			}
		})
	}
}

func TestSetDefaults(t *testing.T) {
	o := Options{Role: Edge, Site: "pop-norr"}
	o.SetDefaults("/var/lib/accessd")
	if o.NATS.StoreDir != "/var/lib/accessd/nats" || !*o.NATS.Embedded || o.HubSite != "hub" ||
		o.Facts.MaxAge != 720*time.Hour || o.Facts.MaxBytes != 1<<30 || o.Facts.DuplicateWindow != 2*time.Minute ||
		o.Staleness != 5*time.Minute || o.Replicas != 1 || o.Orders.Workers != 1 || o.Orders.AckWait != time.Minute {
		t.Errorf("defaults: %+v", o)
	}
	ext := Options{Role: Hub, Site: "hub", NATS: NATSOptions{URL: "nats://n:4222"}}
	ext.SetDefaults("/x")
	if *ext.NATS.Embedded {
		t.Error("a URL should default embedded to false")
	}
}
