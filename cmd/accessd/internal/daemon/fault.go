package daemon

import (
	"context"
	"fmt"
	"net/http"
	"runtime/debug"

	"github.com/stadsnat/accessd/cmd/accessd/internal/subsys"
)

// The store is a memory-mapped file: if it is cut short while accessd
// runs (a disk failing, someone truncating it), reading a page past its
// new end is a fault (SIGBUS) that kills the process with a Go stack trace
// and no word of what to do. The request handlers read the store, so each
// runs with faults turned into panics (debug.SetPanicOnFault); guardFaults
// recovers such a panic, cuts that request off and stops the daemon with
// an error that says what to do (exit 1). The next start checks the file
// before it maps it.

// fault is the error a memory fault becomes.
type fault struct{ v any }

func (f fault) Error() string {
	return fmt.Sprintf("a memory fault reading the store (%v): its file was damaged or cut short while accessd ran; "+
		"stop accessd and restore a backup (accessctl restore FILE)", f.v)
}

// guardFaults wraps a handler: a memory fault in it stops the daemon
// (faultTask) instead of killing it.
func (d *Daemon) guardFaults(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if _, isFault := v.(interface{ Addr() uintptr }); !isFault {
				panic(v)
			}
			d.faulted.Store(true)
			select {
			case d.faults <- fault{v}:
			default:
			}
			panic(http.ErrAbortHandler)
		}()
		h.ServeHTTP(w, r)
	})
}

// faultTask ends the daemon with the first fault a handler met.
func (d *Daemon) faultTask() subsys.Task {
	return subsys.Task{Name: "faults", Run: func(ctx context.Context, ready func()) error {
		ready()
		select {
		case <-ctx.Done():
			return nil
		case err := <-d.faults:
			return err
		}
	}}
}
