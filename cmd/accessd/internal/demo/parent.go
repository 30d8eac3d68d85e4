package demo

import (
	"os"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// StopWithParent makes the process stop (SIGTERM to itself, the ordinary
// graceful stop) when the process that started it ends, however it ends:
// `go run` killed with SIGKILL leaves no orphaned demo. The kernel sends the
// signal (PR_SET_PDEATHSIG), and a check of the parent every second covers
// what that misses (a parent that ended before the call, or whose starting
// thread ended before it did). For the demo only: under systemd the parent
// is PID 1 and nothing of this applies.
func StopWithParent() {
	parent := os.Getppid()
	_ = unix.Prctl(unix.PR_SET_PDEATHSIG, uintptr(syscall.SIGTERM), 0, 0, 0)
	go func() {
		for ; ; time.Sleep(time.Second) {
			if os.Getppid() != parent {
				_ = syscall.Kill(os.Getpid(), syscall.SIGTERM)
				return
			}
		}
	}()
}
