// Package natsd runs the nats-server that accessd embeds: JetStream in one
// JetStream domain under a store directory, an optional client listener,
// a leaf-node listener (hub) or leaf-node remotes (edge), TLS from files.
// The daemon's own client connects in-process and needs no port.
//
// Trust is TLS: with a CA file, every listener requires a client
// certificate signed by it, and every remote checks the hub's certificate
// against it. Without TLS a listener takes anyone who reaches it, so the
// caller allows that only on loopback addresses.
package natsd

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// Config is an embedded server.
type Config struct {
	// Name is the server's name, unique among all servers joined by leaf
	// nodes (the site, or site-instance).
	Name string
	// Domain is the JetStream domain: the site.
	Domain string
	// StoreDir holds JetStream's files.
	StoreDir string
	// MaxStoreBytes bounds JetStream's files; 0 lets the server choose
	// (75% of the free disk).
	MaxStoreBytes int64
	// Listen is the client listener host:port ("…:0" for any port); ""
	// listens on no port (in-process clients only).
	Listen string
	// LeafListen is the leaf-node listener host:port (hub); "" none.
	LeafListen string
	// Remotes are the hub's leaf-node URLs (edge): nats-leaf://, tls://
	// or nats://host:port; several are the servers of one hub cluster,
	// tried in turn by one leaf-node connection.
	Remotes []string
	// TLS is the certificate, key and CA for the listeners and remotes.
	TLS TLSFiles
	// Credentials is a NATS credentials file (JWT and seed) the remotes
	// present, for a hub that runs in operator mode.
	Credentials string
	// ReconnectInterval is the wait between attempts to reach a remote;
	// 0 is the server's default (1 s).
	ReconnectInterval time.Duration
	// SyncInterval is how often JetStream syncs its files to disk; 0 is
	// the server's default (2 minutes). A message it acknowledged may be
	// lost in a power cut (or a SIGKILL) until the next sync.
	SyncInterval time.Duration
	Log          *slog.Logger
}

// Server is a running embedded server.
type Server struct {
	s        *server.Server
	log      *slog.Logger
	leafAddr string
}

// Start starts the server and waits until it takes connections.
func Start(cfg Config) (*Server, error) {
	opts, err := options(cfg)
	if err != nil {
		return nil, err
	}
	s, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("nats server %s: %w", cfg.Name, err)
	}
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s.SetLoggerV2(logAdapter{log: log.With("component", "nats")}, true, false, false)
	s.Start()
	if !s.ReadyForConnections(30 * time.Second) {
		s.Shutdown()
		return nil, fmt.Errorf("nats server %s: not ready after 30s", cfg.Name)
	}
	if !s.JetStreamEnabled() {
		s.Shutdown()
		return nil, fmt.Errorf("nats server %s: JetStream did not start (store %s)", cfg.Name, cfg.StoreDir)
	}
	srv := &Server{s: s, log: log}
	if cfg.LeafListen != "" {
		// The server writes the port it got into the options it was given.
		srv.leafAddr = net.JoinHostPort(opts.LeafNode.Host, strconv.Itoa(opts.LeafNode.Port))
	}
	return srv, nil
}

func options(cfg Config) (*server.Options, error) {
	if cfg.Name == "" || cfg.Domain == "" || cfg.StoreDir == "" {
		return nil, errors.New("nats server: name, domain and store directory are required")
	}
	o := &server.Options{
		ServerName:         cfg.Name,
		JetStream:          true,
		JetStreamDomain:    cfg.Domain,
		StoreDir:           cfg.StoreDir,
		JetStreamMaxMemory: 64 << 20, // accessd's streams are on file
		JetStreamMaxStore:  cfg.MaxStoreBytes,
		NoSigs:             true,
		DontListen:         cfg.Listen == "",
		SyncInterval:       cfg.SyncInterval,
	}
	if cfg.MaxStoreBytes == 0 {
		o.JetStreamMaxStore = -1
	}
	var err error
	if cfg.Listen != "" {
		if o.Host, o.Port, err = hostPort("listen", cfg.Listen); err != nil {
			return nil, err
		}
		if cfg.TLS.CertFile != "" {
			if o.TLSConfig, err = cfg.TLS.serverConfig(); err != nil {
				return nil, fmt.Errorf("listen: %w", err)
			}
			o.TLS, o.TLSVerify, o.TLSTimeout = true, cfg.TLS.CAFile != "", 5
		}
	}
	if cfg.LeafListen != "" {
		if o.LeafNode.Host, o.LeafNode.Port, err = hostPort("leafnode_listen", cfg.LeafListen); err != nil {
			return nil, err
		}
		if cfg.TLS.CertFile != "" {
			if o.LeafNode.TLSConfig, err = cfg.TLS.serverConfig(); err != nil {
				return nil, fmt.Errorf("leafnode_listen: %w", err)
			}
			o.LeafNode.TLSTimeout = 5
		}
		// Edges dial exactly the URLs they are configured with: a hub
		// behind NAT or a load balancer must not hand them its own
		// addresses to try instead.
		o.LeafNode.NoAdvertise = true
	}
	if len(cfg.Remotes) > 0 {
		// One remote with every URL: they are the same hub (a cluster's
		// servers), tried in turn; a remote per URL would join the hub
		// several times over.
		remote := &server.RemoteLeafOpts{Credentials: cfg.Credentials}
		secure := cfg.TLS.CAFile != ""
		for _, r := range cfg.Remotes {
			u, err := url.Parse(r)
			if err != nil || u.Host == "" {
				return nil, fmt.Errorf("hub %q: not a URL with a host", r)
			}
			secure = secure || u.Scheme == "tls"
			remote.URLs = append(remote.URLs, u)
		}
		if secure {
			if remote.TLSConfig, err = cfg.TLS.clientConfig(); err != nil {
				return nil, fmt.Errorf("hub %q: %w", cfg.Remotes[0], err)
			}
			remote.TLS, remote.TLSTimeout = true, 5
		}
		o.LeafNode.Remotes = []*server.RemoteLeafOpts{remote}
	}
	o.LeafNode.ReconnectInterval = cfg.ReconnectInterval
	return o, nil
}

// hostPort splits host:port; port 0 asks the kernel for one.
func hostPort(what, addr string) (string, int, error) {
	host, p, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, fmt.Errorf("%s %q: %w", what, addr, err)
	}
	port, err := strconv.Atoi(p)
	if err != nil || port < 0 || port > 65535 {
		return "", 0, fmt.Errorf("%s %q: bad port", what, addr)
	}
	if port == 0 {
		port = server.RANDOM_PORT
	}
	return host, port, nil
}

// Connect opens an in-process client connection.
func (s *Server) Connect(name string, opts ...nats.Option) (*nats.Conn, error) {
	opts = append([]nats.Option{nats.Name(name), nats.InProcessServer(s.s), nats.MaxReconnects(-1)}, opts...)
	nc, err := nats.Connect("", opts...)
	if err != nil {
		return nil, fmt.Errorf("connect to embedded nats server: %w", err)
	}
	return nc, nil
}

// ClientAddr is the client listener's host:port, "" without one.
func (s *Server) ClientAddr() string {
	if s.s.Addr() == nil {
		return ""
	}
	return s.s.Addr().String()
}

// LeafAddr is the leaf-node listener's host:port, "" without one.
func (s *Server) LeafAddr() string {
	return s.leafAddr
}

// Leaf is one leaf-node connection.
type Leaf struct {
	Name   string // the other server's name
	Remote string // its address
	Spoke  bool   // this server solicited it (it is a hub we reach)
}

// Leafs lists the leaf-node connections.
func (s *Server) Leafs() []Leaf {
	lz, err := s.s.Leafz(nil)
	if err != nil {
		return nil
	}
	out := make([]Leaf, 0, len(lz.Leafs))
	for _, l := range lz.Leafs {
		out = append(out, Leaf{Name: l.Name, Remote: net.JoinHostPort(l.IP, strconv.Itoa(l.Port)), Spoke: l.IsSpoke})
	}
	return out
}

// Shutdown stops the server; JetStream flushes its files.
func (s *Server) Shutdown() {
	s.s.Shutdown()
	s.s.WaitForShutdown()
}

// logAdapter sends the server's log to slog. Its notices (start-up
// banners, connection chatter) go to debug; accessd logs what matters.
type logAdapter struct{ log *slog.Logger }

func (l logAdapter) at(level slog.Level, format string, v []any) {
	if ctx := context.Background(); l.log.Enabled(ctx, level) {
		l.log.Log(ctx, level, fmt.Sprintf(format, v...))
	}
}

func (l logAdapter) Noticef(format string, v ...any) { l.at(slog.LevelDebug, format, v) }
func (l logAdapter) Warnf(format string, v ...any)   { l.at(slog.LevelWarn, format, v) }
func (l logAdapter) Fatalf(format string, v ...any)  { l.at(slog.LevelError, format, v) }
func (l logAdapter) Errorf(format string, v ...any)  { l.at(slog.LevelError, format, v) }
func (l logAdapter) Debugf(format string, v ...any)  { l.at(slog.LevelDebug, format, v) }
func (l logAdapter) Tracef(string, ...any)           {}
