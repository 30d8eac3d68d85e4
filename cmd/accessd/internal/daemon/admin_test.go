package daemon

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stadsnat/accessd/cmd/internal/admin"
)

// lockedBuffer is a log the server writes while the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// What net/http itself reports on the admin socket (here a handler's
// panic) goes to the daemon's log, not to stderr.
func TestAdminServerLogsThroughDaemonLog(t *testing.T) {
	var logs lockedBuffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	m := admin.NewMux(log)
	m.Handle("GET /v1/panic", func(w http.ResponseWriter, r *http.Request) error { panic("boom") })
	sock := filepath.Join(t.TempDir(), "admin.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	srv := adminServer(m, log)
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	err = admin.NewClient(sock).Get(context.Background(), "/v1/panic", nil)
	if err == nil {
		t.Fatal("a panicking handler answered")
	}
	srv.Close()
	if got := logs.String(); !strings.Contains(got, "HTTP handler panicked") || !strings.Contains(got, "boom") {
		t.Errorf("the panic is not in the daemon's log:\n%s", got)
	}
}
