package cluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/bits"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sync/errgroup"

	"github.com/stadsnat/accessd/cmd/accessd/internal/cluster/natsd"
)

// SyncInterval is how often the embedded server syncs JetStream's files
// to disk. A fact JetStream acknowledged may be lost in a power cut (or a
// SIGKILL of the process) until then: whoever hands facts over keeps
// them this long after publishing (see LastPublished).
const SyncInterval = 10 * time.Second

// Deps is what a node needs from the daemon.
type Deps struct {
	Log *slog.Logger
	// Registerer takes the node's metrics (accessd_cluster_…); nil: none.
	Registerer prometheus.Registerer
	// Facts applies the sites' facts (hub: required).
	Facts FactApplier
	// Inventory applies the hub's inventory (edge: required; hub: set it
	// on instances that must follow imports made at other instances).
	Inventory InventoryApplier
	// Orders runs orders (hub: optional; without it this instance takes
	// no orders).
	Orders OrderHandler
	// OnStale and OnFresh are called from the status loop when a site
	// turns stale (no contact since the time given) and when it is heard
	// from again (hub); either may be nil.
	OnStale func(site string, since time.Time)
	OnFresh func(site string)
	// Now is the clock; nil is time.Now.
	Now func() time.Time
}

// Node is this accessd's part in a cluster: the NATS server or connection,
// the streams of its role and the loops that apply what arrives.
type Node struct {
	opts Options
	deps Deps
	log  *slog.Logger
	m    *metrics

	mu  sync.Mutex // guards the connection fields while they change
	srv *natsd.Server
	nc  *nats.Conn
	js  jetstream.JetStream

	conn    atomic.Pointer[conn] // set while connected
	started time.Time

	st     statusState
	pub    pubState
	counts factCounts // facts per message of an edge's stream
	// ready is set once Run has called ready: the status reads the
	// stream's batches for their counts only then.
	ready atomic.Bool
	// resumeMu makes this node's changes of its sources one at a time
	// (resume.go).
	resumeMu sync.Mutex
}

// conn is a live connection for the publishing calls.
type conn struct {
	js jetstream.JetStream
	nc *nats.Conn
}

// New checks the options and builds a node; Run starts it. opts must have
// had SetDefaults.
func New(opts Options, deps Deps) (*Node, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	if opts.Role == Standalone {
		return nil, errors.New("cluster: role standalone runs no cluster node")
	}
	if opts.Role == Hub && deps.Facts == nil {
		return nil, errors.New("cluster: a hub needs a fact applier")
	}
	if opts.Role == Edge && deps.Inventory == nil {
		return nil, errors.New("cluster: an edge needs an inventory applier")
	}
	if deps.Log == nil {
		deps.Log = slog.New(slog.DiscardHandler)
	}
	if deps.Now == nil {
		deps.Now = time.Now
	}
	n := &Node{opts: opts, deps: deps, log: deps.Log.With("role", string(opts.Role), "site", opts.Site)}
	if opts.Instance != "" {
		n.log = n.log.With("instance", opts.Instance)
	}
	n.st.init(&n.opts)
	m, err := newMetrics(n, deps.Registerer)
	if err != nil {
		return nil, err
	}
	n.m = m
	return n, nil
}

// Run starts the embedded server (or connects to the external one),
// makes the streams of the role, calls ready, and then applies what
// arrives until ctx ends. It returns nil when ctx ends. Call it once.
func (n *Node) Run(ctx context.Context, ready func()) error {
	n.started = n.deps.Now()
	if err := n.connect(ctx); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	defer n.shutdown()
	c := &conn{js: n.js, nc: n.nc}
	if err := n.makeStreams(ctx, c); err != nil || ctx.Err() != nil {
		return err
	}
	n.conn.Store(c)
	n.refreshStatus(ctx, c)
	n.log.Info("cluster node running", "streams", n.streamNames())
	if ready != nil {
		ready()
	}
	n.ready.Store(true)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return n.statusLoop(gctx, c) })
	if n.opts.Role == Hub {
		g.Go(func() error { return n.applyFacts(gctx, c) })
		g.Go(func() error { return n.resumeSources(gctx, c) })
		if n.deps.Orders != nil {
			for i := range n.opts.Orders.Workers {
				g.Go(func() error { return n.runOrders(gctx, c, i) })
			}
		}
	}
	if n.deps.Inventory != nil {
		g.Go(func() error { return n.followInventory(gctx, c) })
	}
	err := g.Wait()
	if ctx.Err() != nil {
		return nil
	}
	return err
}

func (n *Node) streamNames() string {
	if n.opts.Role == Hub {
		return strings.Join([]string{StreamFacts, StreamInventory, StreamOrders}, ",")
	}
	return StreamFacts + "," + StreamInventory
}

// connect starts the embedded server and connects in-process, or
// connects to the external URL.
func (n *Node) connect(ctx context.Context) error {
	o := &n.opts
	name := "accessd-" + o.origin()
	var failures atomic.Uint64
	handlers := []nats.Option{
		nats.MaxReconnects(-1),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				n.log.Warn("NATS connection lost; reconnecting", "err", err)
			}
		}),
		nats.ReconnectHandler(func(*nats.Conn) { n.log.Info("NATS connection back") }),
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
			n.log.Warn("NATS error", "err", err)
		}),
		nats.ReconnectErrHandler(func(_ *nats.Conn, err error) {
			// The first failure and then every power of two of them.
			if k := failures.Add(1); bits.OnesCount64(k) == 1 {
				n.log.Warn("cannot reach NATS; trying again", "attempts", k, "err", err)
			}
		}),
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if *o.NATS.Embedded {
		srv, err := natsd.Start(natsd.Config{
			Name: serverName(o), Domain: o.Site, StoreDir: o.NATS.StoreDir, MaxStoreBytes: o.NATS.MaxStoreBytes,
			Listen: o.NATS.Listen, LeafListen: o.NATS.LeafListen, Remotes: o.NATS.Hub,
			TLS:         natsd.TLSFiles{CertFile: o.NATS.TLS.CertFile, KeyFile: o.NATS.TLS.KeyFile, CAFile: o.NATS.TLS.CAFile},
			Credentials: o.NATS.CredentialsFile, Log: n.deps.Log, SyncInterval: SyncInterval,
		})
		if err != nil {
			return err
		}
		nc, err := srv.Connect(name, handlers...)
		if err != nil {
			srv.Shutdown()
			return err
		}
		n.srv, n.nc = srv, nc
		js, err := jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(publishWindow))
		if err != nil {
			n.closeLocked()
			return fmt.Errorf("jetstream: %w", err)
		}
		n.js = js
		return nil
	}
	return n.connectExternal(ctx, name, handlers)
}

func (n *Node) connectExternal(ctx context.Context, name string, opts []nats.Option) error {
	o := &n.opts
	opts = append(opts, nats.Name(name), nats.RetryOnFailedConnect(true))
	if o.NATS.CredentialsFile != "" {
		opts = append(opts, nats.UserCredentials(o.NATS.CredentialsFile))
	}
	if o.NATS.TLS.CAFile != "" || o.NATS.TLS.CertFile != "" {
		tc, err := natsd.TLSFiles{CertFile: o.NATS.TLS.CertFile, KeyFile: o.NATS.TLS.KeyFile, CAFile: o.NATS.TLS.CAFile}.ClientConfig()
		if err != nil {
			return fmt.Errorf("cluster.nats.tls: %w", err)
		}
		opts = append(opts, nats.Secure(tc))
	}
	nc, err := nats.Connect(o.NATS.URL, opts...)
	if err != nil {
		return fmt.Errorf("connect to %s: %w", redactURL(o.NATS.URL), err)
	}
	for !nc.IsConnected() {
		select {
		case <-ctx.Done():
			nc.Close()
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	js, err := jetstream.NewWithDomain(nc, o.Site, jetstream.WithPublishAsyncMaxPending(publishWindow))
	if err != nil {
		nc.Close()
		return fmt.Errorf("jetstream: %w", err)
	}
	n.nc, n.js = nc, js
	return nil
}

// serverName is unique among the servers leaf nodes join: the site, and
// the instance when there are several.
func serverName(o *Options) string {
	if o.Instance == "" {
		return o.Site
	}
	return o.Site + "-" + o.Instance
}

// shutdown closes the connection (flushing what it buffered) and stops
// the embedded server.
func (n *Node) shutdown() {
	n.conn.Store(nil)
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.nc != nil {
		if err := n.nc.FlushTimeout(5 * time.Second); err != nil && !errors.Is(err, nats.ErrConnectionClosed) {
			n.log.Warn("NATS flush at shutdown", "err", err)
		}
	}
	n.closeLocked()
	n.log.Info("cluster node stopped")
}

func (n *Node) closeLocked() {
	if n.nc != nil {
		n.nc.Close()
		n.nc = nil
	}
	if n.srv != nil {
		n.srv.Shutdown()
		n.srv = nil
	}
}

// current returns the live connection or ErrNotRunning.
func (n *Node) current() (*conn, error) {
	c := n.conn.Load()
	if c == nil {
		return nil, ErrNotRunning
	}
	return c, nil
}

// redactURL drops user information from a URL list for logs and errors.
func redactURL(s string) string {
	parts := strings.Split(s, ",")
	for i, p := range parts {
		if at := strings.LastIndex(p, "@"); at >= 0 {
			if scheme := strings.Index(p, "://"); scheme >= 0 && scheme < at {
				parts[i] = p[:scheme+3] + "…@" + p[at+1:]
			}
		}
	}
	return strings.Join(parts, ",")
}

// LeafAddr is the embedded server's leaf-node listener (hub), "" if none
// or not running.
func (n *Node) LeafAddr() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.srv == nil {
		return ""
	}
	return n.srv.LeafAddr()
}

// ClientAddr is the embedded server's client listener, "" if none or not
// running.
func (n *Node) ClientAddr() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.srv == nil {
		return ""
	}
	return n.srv.ClientAddr()
}
