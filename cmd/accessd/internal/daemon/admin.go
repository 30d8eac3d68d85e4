package daemon

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/stadsnat/accessd/cmd/accessd/internal/connlimit"
	"github.com/stadsnat/accessd/cmd/accessd/internal/logging"
	"github.com/stadsnat/accessd/cmd/accessd/internal/subsys"
	"github.com/stadsnat/accessd/cmd/internal/admin"
)

// adminTask serves accessctl on the admin unix socket: the process's own
// status and backup, and every subsystem's handlers.
func (d *Daemon) adminTask() subsys.Task {
	return subsys.Task{Name: "admin", Run: func(ctx context.Context, ready func()) error {
		cfg := d.cfg.Load()
		auth, err := admin.NewAuthorizer(cfg.Admin.Group)
		if err != nil {
			return err
		}
		ln, err := admin.Listen(cfg.Admin.Socket, cfg.Admin.Mode, cfg.Admin.Group)
		if err != nil {
			return err
		}
		// Its own connection limit, goroutines and descriptors: the admin
		// socket stays usable while HTTP is saturated.
		ln = connlimit.New(connlimit.Options{Max: adminMaxConnections, Name: "admin", Log: d.log}).Listen(ln)
		m := admin.NewMux(d.log)
		m.Handle("GET "+admin.PathStatus, d.adminStatus)
		m.Handle("GET "+admin.PathBackup, d.adminBackup)
		for _, p := range d.parts {
			if p.Admin != nil {
				p.Admin(m)
			}
		}
		srv := adminServer(d.guardFaults(admin.Protect(auth, d.log, m)), d.log)
		d.log.Info("admin socket listening", "socket", cfg.Admin.Socket, "mode", cfg.Admin.Mode, "allowed", auth.Who())
		ready()
		errc := make(chan error, 1)
		go func() { errc <- srv.Serve(ln) }()
		select {
		case err := <-errc:
			return err
		case <-ctx.Done():
		}
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
		return nil
	}}
}

// adminMaxConnections bounds the admin socket's connections: a few
// operators at once.
const adminMaxConnections = 16

// adminServer is the admin socket's HTTP server: net/http's own reports
// (a handler's panic, accept errors) go to the daemon's log like the HTTP
// server's, not to a bare line on stderr.
func adminServer(h http.Handler, log *slog.Logger) *http.Server {
	return &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ConnContext: admin.ConnContext,
		ErrorLog: logging.ServerErrorLog(log)}
}

func (d *Daemon) adminStatus(w http.ResponseWriter, r *http.Request) error {
	cfg := d.cfg.Load()
	st, err := d.db.Stats()
	if err != nil {
		return err
	}
	s := admin.Status{
		Version: d.version, KOID: cfg.KOID, Environment: string(cfg.Environment), Config: cfg.Path, StateDir: cfg.StateDir,
		Started: d.started.UTC(),
		Store: admin.StoreInfo{File: d.db.Path(), Bytes: st.FileBytes, Schema: st.Schema, Accesses: st.Accesses,
			Tombstones: st.Tombstones},
	}
	if reason, since, ro := d.db.ReadOnly(); ro {
		s.Store.ReadOnly = fmt.Sprintf("%s (since %s)", reason, since.UTC().Format(time.RFC3339))
	}
	for k, n := range d.db.Errors() {
		if n > 0 {
			if s.Store.Errors == nil {
				s.Store.Errors = map[string]uint64{}
			}
			s.Store.Errors[k] = n
		}
	}
	if err := d.ready(); err != nil {
		s.NotReady = err.Error()
	} else {
		s.Ready = true
	}
	for _, p := range d.parts {
		if p.Status != nil {
			s.Sections = append(s.Sections, p.Status())
		}
	}
	return admin.WriteJSON(w, s)
}

// adminBackup streams a consistent copy of the store.
func (d *Daemon) adminBackup(w http.ResponseWriter, r *http.Request) error {
	size, err := d.db.BackupSize()
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Length", strconv.FormatInt(size, 10))
	n, err := d.db.Backup(w)
	if err != nil {
		d.log.Error("backup failed", "err", err, "bytes", n)
		return nil // the response has started; the client sees a short body
	}
	d.log.Info("store backed up over the admin socket", "bytes", n)
	return nil
}
