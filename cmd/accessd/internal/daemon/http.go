package daemon

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"golang.org/x/sync/errgroup"

	"github.com/stadsnat/accessd/cmd/accessd/internal/connlimit"
	"github.com/stadsnat/accessd/cmd/accessd/internal/connwatch"
	"github.com/stadsnat/accessd/cmd/accessd/internal/logging"
	"github.com/stadsnat/accessd/cmd/accessd/internal/subsys"
	"github.com/stadsnat/accessd/cmd/internal/config"
)

// httpTask serves the HTTP APIs on the socket-activated listeners named
// "http", or else on the addresses of http.listen, which it opens now.
func (d *Daemon) httpTask() (subsys.Task, error) {
	cfg := d.cfg.Load()
	lns, err := d.httpListeners(cfg)
	if err != nil {
		return subsys.Task{}, err
	}
	lns = d.limitConnections(cfg, lns)
	watch := d.watchConnections(cfg, lns)
	srv := &http.Server{
		Handler: connwatch.Bodies(cfg.HTTP.ReadTimeout.D(), d.guardFaults(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			(*d.handler.Load()).ServeHTTP(w, r)
		}))),
		// The timeouts are the Watch's: net/http's own would move a
		// runtime timer up to five times a request.
		ConnState:      watch.ConnState,
		MaxHeaderBytes: 64 << 10,
		ErrorLog:       logging.ServerErrorLog(d.log),
		// HTTP/1.1 only, over TLS too: the APIs are one-shot calls, and
		// the Watch's phases are HTTP/1.1's (see connwatch).
		TLSNextProto: map[string]func(*http.Server, *tls.Conn, http.Handler){},
	}
	if cfg.HTTP.TLS.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(cfg.HTTP.TLS.CertFile, cfg.HTTP.TLS.KeyFile)
		if err != nil {
			closeAll(lns)
			return subsys.Task{}, fmt.Errorf("load TLS certificate: %w", err)
		}
		srv.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}}
	}
	return subsys.Task{Name: "http", Run: func(ctx context.Context, ready func()) error {
		go watch.Run(ctx)
		return d.serveHTTP(ctx, ready, srv, lns)
	}}, nil
}

func (d *Daemon) serveHTTP(ctx context.Context, ready func(), srv *http.Server, lns []net.Listener) error {
	g, gctx := errgroup.WithContext(ctx)
	for _, ln := range lns {
		d.log.Info("HTTP API listening", "address", ln.Addr().String(), "tls", srv.TLSConfig != nil)
		g.Go(func() error {
			var err error
			if srv.TLSConfig != nil {
				err = srv.ServeTLS(ln, "", "")
			} else {
				err = srv.Serve(ln)
			}
			if errors.Is(err, http.ErrServerClosed) {
				return nil
			}
			return err
		})
	}
	ready()
	g.Go(func() error {
		<-gctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := srv.Shutdown(sctx); err != nil {
			d.log.Warn("HTTP requests still running after 10s were cut off", "err", err)
			srv.Close()
		}
		return nil
	})
	return g.Wait()
}

func (d *Daemon) httpListeners(cfg *config.Config) ([]net.Listener, error) {
	lns, err := d.sockets.Listeners("http")
	if err != nil || len(lns) > 0 {
		return lns, err
	}
	for _, addr := range cfg.HTTP.Listen {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			closeAll(lns)
			return nil, fmt.Errorf("listen on %s (http.listen): %w", addr, err)
		}
		lns = append(lns, ln)
	}
	return lns, nil
}

// limitConnections bounds the HTTP connections: http.max_connections in
// all (lowered to half of RLIMIT_NOFILE, so that descriptors remain for
// the store, the switches' SNMP sockets and the admin socket) and
// http.max_connections_per_source from one address. Their figures are
// metrics.
func (d *Daemon) limitConnections(cfg *config.Config, lns []net.Listener) []net.Listener {
	max := cfg.HTTP.MaxConnections
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err == nil && rl.Cur > 0 && rl.Cur/2 < uint64(max) {
		max = int(rl.Cur / 2)
		d.log.Warn("http.max_connections lowered to half of the file descriptor limit (raise LimitNOFILE= to allow more)",
			"max_connections", max, "configured", cfg.HTTP.MaxConnections, "nofile", rl.Cur)
	}
	// One budget over every listener: max is per process, not per port.
	l := connlimit.New(connlimit.Options{Max: max, PerSource: cfg.HTTP.MaxConnectionsPerSource,
		Exempt: cfg.HTTP.TrustedProxies, Name: "http", Log: d.log})
	d.reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "accessd_http_connections", Help: "HTTP connections open."},
			func() float64 { return float64(l.Stats().Open) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "accessd_http_max_connections", Help: "The HTTP connection limit in force (http.max_connections, within half of RLIMIT_NOFILE)."},
			func() float64 { return float64(max) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "accessd_http_connections_refused_total",
			Help: "HTTP connections closed at once because http.max_connections or http.max_connections_per_source was reached.",
		}, func() float64 { st := l.Stats(); return float64(st.RefusedTotal + st.RefusedSource) }),
	)
	out := make([]net.Listener, len(lns))
	for i, ln := range lns {
		out[i] = l.Listen(ln)
	}
	return out
}

func closeAll(lns []net.Listener) {
	for _, l := range lns {
		l.Close()
	}
}

// watchConnections puts a connwatch.Watch over the listeners (outermost,
// so that net/http's connection states reach it): the server's header,
// answer and idle timeouts, and its metrics.
func (d *Daemon) watchConnections(cfg *config.Config, lns []net.Listener) *connwatch.Watch {
	w := connwatch.New("http", connwatch.Limits{Header: config.ReadHeaderTimeout,
		Answer: cfg.HTTP.WriteTimeout.D(), Idle: cfg.HTTP.IdleTimeout.D()}, d.log)
	for i, ln := range lns {
		lns[i] = w.Listen(ln)
	}
	d.reg.MustRegister(w)
	return w
}
