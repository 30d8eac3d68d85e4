// Package memsys is the process's memory. It sets the collector's target
// from the size of the live heap after every collection (GOGC 100 up to
// 8 MiB of live heap, down to 25 from 32 MiB: see gcPercentFor; an
// operator's GOGC wins), with more headroom while collections come back to
// back under a flood of requests (busyHeadroom), capped while a large
// import runs on a heap below 64 MiB (Tuner.Tighten); takes the store file's mapped pages out of the
// resident set four times a second while the daemon starts (the first poll
// cycle writes every port's state) and every minute afterwards
// (store.DB.ReleaseMapped); hands free memory back to the system when the
// daemon is ready (after the start's burst), a minute later and every ten
// minutes; and serves heap profiles on the admin socket (GET
// /debug/pprof/heap, /debug/pprof/allocs, /debug/pprof/goroutine) so an
// operator can see what holds the memory of a running daemon, and its CPU
// profile (/debug/pprof/profile?seconds=N): where the time goes.
package memsys

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"time"

	"github.com/stadsnat/accessd/cmd/accessd/internal/subsys"
	"github.com/stadsnat/accessd/cmd/internal/admin"
)

// Store is the store's part: its mapped pages (store.DB).
type Store interface {
	ReleaseMapped() error
}

// Options are what the subsystem needs of the process.
type Options struct {
	Store Store
	// Ready is closed once every task of the process is ready; it is
	// called when the subsystem's task runs.
	Ready func() <-chan struct{}
	Log   *slog.Logger
	// Tuner sets the collector's target (nil: one of its own); the process
	// shares it with what tightens it (the inventory's imports).
	Tuner *Tuner
}

// The schedule of the releases.
const (
	releaseMappedEvery    = time.Minute
	releaseMappedStarting = 250 * time.Millisecond
	freeAfterReady        = time.Minute
	freeEvery             = 10 * time.Minute
)

// Parts are the memory subsystem's task and admin handlers.
func Parts(o Options) subsys.Parts {
	return subsys.Parts{Name: "memory", Tasks: []subsys.Task{{Name: "memory", Run: o.run}}, Admin: registerProfiles}
}

// run tunes the collector and releases memory on its schedule until ctx
// is done.
func (o Options) run(ctx context.Context, ready func()) error {
	if os.Getenv("GOGC") == "" {
		t := o.Tuner
		if t == nil {
			t = NewTuner()
		}
		defer t.start()()
	} else {
		o.Log.Info("GOGC set: the collector's target is not tuned", "gogc", os.Getenv("GOGC"))
	}
	ready()
	if !o.untilReady(ctx) {
		return nil
	}
	o.release(true)
	mapped := time.NewTicker(releaseMappedEvery)
	defer mapped.Stop()
	free := time.NewTimer(freeAfterReady)
	defer free.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-mapped.C:
			o.release(false)
		case <-free.C:
			o.release(true)
			free.Reset(freeEvery)
		}
	}
}

// untilReady takes the store's mapped pages out of the resident set four
// times a second until the process is ready: the start reads every access
// and port (the subsystems' indexes and switch list) and would otherwise
// keep the whole file resident. It reports false when ctx ended first.
func (o Options) untilReady(ctx context.Context) bool {
	tick := time.NewTicker(releaseMappedStarting)
	defer tick.Stop()
	for {
		select {
		case <-o.Ready():
			return true
		case <-ctx.Done():
			return false
		case <-tick.C:
			o.release(false)
		}
	}
}

// release takes the store's mapped pages out of the resident set and,
// with heap, collects and hands the free heap back to the system: an idle
// daemon collects so rarely that the runtime would keep a burst's peak as
// its resident size.
func (o Options) release(heap bool) {
	if heap {
		debug.FreeOSMemory()
	}
	if o.Store == nil {
		return
	}
	if err := o.Store.ReleaseMapped(); err != nil {
		o.Log.Warn("cannot take the store's mapped pages out of the resident set; they stay counted", "err", err)
	}
}

// PathProfile is where the admin socket serves runtime/pprof's profiles:
// PathProfile + "heap" (add ?gc=1 to collect garbage first), "allocs",
// "goroutine", and "profile" (CPU, ?seconds=N: 30 unless given, at most
// maxCPUProfile).
const PathProfile = "/debug/pprof/"

// maxCPUProfile bounds a CPU profile's length: the request holds the admin
// connection for as long.
const maxCPUProfile = 5 * time.Minute

// registerProfiles serves the profiles in pprof's protobuf format.
func registerProfiles(m *admin.Mux) {
	for _, name := range []string{"heap", "allocs", "goroutine"} {
		m.Handle("GET "+PathProfile+name, func(w http.ResponseWriter, r *http.Request) error {
			if gc, _ := strconv.ParseBool(r.URL.Query().Get("gc")); gc {
				debug.FreeOSMemory()
			}
			p := pprof.Lookup(name)
			if p == nil {
				return admin.Errorf(http.StatusNotFound, "no profile %q", name)
			}
			w.Header().Set("Content-Type", "application/octet-stream")
			w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", name+".pb.gz"))
			return p.WriteTo(w, 0)
		})
	}
	m.Handle("GET "+PathProfile+"profile", cpuProfile)
}

// cpuProfile records the CPU profile of the next ?seconds (30 unless
// given) and sends it; one at a time (409 while another runs), cut short
// when the client goes away.
func cpuProfile(w http.ResponseWriter, r *http.Request) error {
	secs := 30
	if v := r.URL.Query().Get("seconds"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || time.Duration(n)*time.Second > maxCPUProfile {
			return admin.Errorf(http.StatusBadRequest, "seconds=%q: want a whole number from 1 to %d", v, int(maxCPUProfile.Seconds()))
		}
		secs = n
	}
	var buf bytes.Buffer
	if err := pprof.StartCPUProfile(&buf); err != nil {
		return admin.Errorf(http.StatusConflict, "a CPU profile is already being taken: %v", err)
	}
	t := time.NewTimer(time.Duration(secs) * time.Second)
	select {
	case <-t.C:
	case <-r.Context().Done():
		t.Stop()
	}
	pprof.StopCPUProfile()
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", `attachment; filename="profile.pb.gz"`)
	_, err := w.Write(buf.Bytes())
	return err
}
