package daemon

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"golang.org/x/sync/errgroup"
)

// httpTask serves the HTTP APIs on the socket-activated listeners named
// "http", or else on the addresses of http.listen.
func (d *Daemon) httpTask() task {
	return task{name: "http", run: func(ctx context.Context, ready func()) error {
		cfg := d.cfg.Load()
		lns, err := d.httpListeners()
		if err != nil {
			return err
		}
		srv := &http.Server{
			Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				(*d.handler.Load()).ServeHTTP(w, r)
			}),
			ReadHeaderTimeout: 10 * time.Second,
			ReadTimeout:       cfg.HTTP.ReadTimeout.D(),
			WriteTimeout:      cfg.HTTP.WriteTimeout.D(),
			IdleTimeout:       cfg.HTTP.IdleTimeout.D(),
			MaxHeaderBytes:    64 << 10,
			ErrorLog:          serverErrorLog(d.log),
		}
		if cfg.HTTP.TLS.CertFile != "" {
			cert, err := tls.LoadX509KeyPair(cfg.HTTP.TLS.CertFile, cfg.HTTP.TLS.KeyFile)
			if err != nil {
				return fmt.Errorf("load TLS certificate: %w", err)
			}
			srv.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}}
		}
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
	}}
}

func (d *Daemon) httpListeners() ([]net.Listener, error) {
	var lns []net.Listener
	for _, f := range d.fds["http"] {
		ln, err := net.FileListener(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("socket-activated http listener: %w", err)
		}
		lns = append(lns, ln)
	}
	if len(lns) > 0 {
		return lns, nil
	}
	for _, addr := range d.cfg.Load().HTTP.Listen {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			for _, l := range lns {
				l.Close()
			}
			return nil, fmt.Errorf("listen on %s (http.listen): %w", addr, err)
		}
		lns = append(lns, ln)
	}
	return lns, nil
}

// packetConns returns the socket-activated datagram sockets of name (e.g.
// "dhcp4", "snmptrap").
func (d *Daemon) packetConns(name string) ([]net.PacketConn, error) {
	var out []net.PacketConn
	for _, f := range d.fds[name] {
		pc, err := net.FilePacketConn(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("socket-activated %s socket: %w", name, err)
		}
		out = append(out, pc)
	}
	return out, nil
}
