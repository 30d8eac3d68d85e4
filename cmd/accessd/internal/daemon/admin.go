package daemon

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"runtime"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/stadsnat/accessd/cmd/internal/admin"
	"github.com/stadsnat/accessd/store"
	"github.com/stadsnat/accessd/store/inventory"
)

type peerKey struct{}

// adminTask serves accessctl on the admin unix socket.
func (d *Daemon) adminTask() task {
	return task{name: "admin", run: func(ctx context.Context, ready func()) error {
		cfg := d.cfg.Load()
		ln, err := admin.Listen(cfg.Admin.Socket, cfg.Admin.Mode, cfg.Admin.Group)
		if err != nil {
			return err
		}
		srv := &http.Server{
			Handler:           d.adminMux(),
			ReadHeaderTimeout: 10 * time.Second,
			ConnContext: func(ctx context.Context, c net.Conn) context.Context {
				return context.WithValue(ctx, peerKey{}, admin.PeerUID(c))
			},
		}
		d.log.Info("admin socket listening", "socket", cfg.Admin.Socket, "mode", cfg.Admin.Mode)
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

// adminHandler is an admin endpoint; errors become ErrorBody answers.
type adminHandler func(w http.ResponseWriter, r *http.Request) error

// adminError is an admin failure with a status.
type adminError struct {
	status   int
	msg      string
	problems []inventory.Problem
}

func (e *adminError) Error() string { return e.msg }

func adminErrorf(status int, format string, args ...any) error {
	return &adminError{status: status, msg: fmt.Sprintf(format, args...)}
}

func (d *Daemon) adminMux() http.Handler {
	mux := http.NewServeMux()
	handle := func(pattern string, h adminHandler) {
		mux.Handle(pattern, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			uid, _ := r.Context().Value(peerKey{}).(int)
			err := h(w, r)
			if err == nil {
				d.log.Debug("admin request", "request", pattern, "uid", uid)
				return
			}
			var ae *adminError
			if !errors.As(err, &ae) {
				ae = &adminError{status: http.StatusInternalServerError, msg: err.Error()}
			}
			d.log.Info("admin request failed", "request", pattern, "uid", uid, "status", ae.status, "err", ae.msg)
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(ae.status)
			json.NewEncoder(w).Encode(admin.ErrorBody{Error: ae.msg, Problems: ae.problems})
		}))
	}
	handle("GET /v1/status", d.adminStatus)
	handle("POST /v1/import", d.adminImport)
	handle("GET /v1/accesses/{id}", d.adminAccess)
	handle("DELETE /v1/accesses/{id}", d.adminRemove)
	handle("GET /v1/backup", d.adminBackup)
	for _, reg := range d.adminRoutes {
		reg(handle)
	}
	return mux
}

func writeJSON(w http.ResponseWriter, v any) error {
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func (d *Daemon) adminStatus(w http.ResponseWriter, r *http.Request) error {
	cfg := d.cfg.Load()
	st, err := d.db.Stats()
	if err != nil {
		return err
	}
	s := admin.Status{
		Version: d.version, KOID: cfg.KOID, Environment: cfg.Environment, Config: cfg.Path, StateDir: cfg.StateDir,
		Started: d.started.UTC(),
		Store: admin.StoreInfo{File: d.db.Path(), Bytes: st.FileBytes, Schema: st.Schema, Accesses: st.Accesses,
			Tombstones: st.Tombstones},
	}
	if err := d.ready(); err != nil {
		s.NotReady = err.Error()
	} else {
		s.Ready = true
	}
	for _, sec := range d.statusSections {
		s.Sections = append(s.Sections, sec())
	}
	return writeJSON(w, s)
}

// adminImport reads an inventory file from the request body: format from
// ?format= (csv or json), ?replace=1 makes it the whole inventory,
// ?dry_run=1 only checks. All or nothing.
func (d *Daemon) adminImport(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f, err := inventory.ParseFormat(q.Get("format"))
	if err != nil {
		return adminErrorf(http.StatusBadRequest, "%v", err)
	}
	opts := store.ImportOptions{Replace: q.Get("replace") == "1", DryRun: q.Get("dry_run") == "1"}
	start := time.Now()
	in, err := store.ReadIncoming(f, r.Body)
	var ps *inventory.Problems
	if errors.As(err, &ps) {
		return &adminError{status: http.StatusBadRequest, msg: fmt.Sprintf("%d problem(s) in the file, nothing imported", len(ps.List)), problems: ps.List}
	}
	if err != nil {
		return adminErrorf(http.StatusBadRequest, "read the file: %v", err)
	}
	sum, err := d.db.Import(in, opts)
	var ce *store.ConflictError
	if errors.As(err, &ce) {
		return &adminError{status: http.StatusConflict, msg: fmt.Sprintf("%d conflict(s) with the inventory, nothing imported", len(ce.Conflicts)), problems: ce.Conflicts}
	}
	if err != nil {
		return err
	}
	res := admin.ImportResult{Format: string(f), Accesses: len(in), Created: sum.Created, Updated: sum.Updated,
		Unchanged: sum.Unchanged, Removed: sum.Removed, DryRun: opts.DryRun, Replace: opts.Replace,
		Millis: time.Since(start).Milliseconds()}
	// A big import leaves its parse buffers and bbolt's page buffers (a
	// sync.Pool, which survives one collection) to the collector: collect
	// twice and hand the memory back to the system, rather than idle with
	// the import's peak as RSS.
	in = nil
	runtime.GC()
	debug.FreeOSMemory()
	if !opts.DryRun {
		d.log.Info("inventory imported", "format", f, "accesses", len(in), "created", sum.Created, "updated", sum.Updated,
			"unchanged", sum.Unchanged, "removed", sum.Removed, "replace", opts.Replace, "took", time.Since(start).Round(time.Millisecond))
	}
	return writeJSON(w, res)
}

func (d *Daemon) adminAccess(w http.ResponseWriter, r *http.Request) error {
	rec, err := d.db.Access(r.PathValue("id"))
	if errors.Is(err, store.ErrNotFound) {
		return adminErrorf(http.StatusNotFound, "no access %q", r.PathValue("id"))
	}
	if err != nil {
		return err
	}
	return writeJSON(w, rec)
}

func (d *Daemon) adminRemove(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	err := d.db.RemoveAccess(id)
	if errors.Is(err, store.ErrNotFound) {
		return adminErrorf(http.StatusNotFound, "no access %q", id)
	}
	if err != nil {
		return err
	}
	d.log.Info("access removed by an operator", "access_id", id)
	return writeJSON(w, map[string]string{"removed": id})
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

// adminRoute registers an admin endpoint (used by the subsystems).
type adminRoute func(handle func(pattern string, h adminHandler))
