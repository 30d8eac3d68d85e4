package dhcpsys

import (
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/stadsnat/accessd/cmd/accessd/internal/subsys"
	"github.com/stadsnat/accessd/cmd/internal/config"
	"github.com/stadsnat/accessd/store"
)

func newSystem(t *testing.T, yaml string) *System {
	t.Helper()
	cfg, err := config.Parse("t.yaml", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(filepath.Join(t.TempDir(), store.FileName), store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	s, err := New(cfg.DHCP, db, subsys.Env{Log: slog.New(slog.DiscardHandler), Metrics: prometheus.NewRegistry(), Sockets: subsys.Sockets{}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// The status reads the relay listener's addresses while the relay task
// writes them as it opens its socket: run under -race, this fails if the
// two are not synchronised (they once were not).
func TestStatusWhileTheRelayStarts(t *testing.T) {
	s := newSystem(t, "dhcp:\n  relay: {listen: \"127.0.0.1:0\", allowed_sources: [127.0.0.1/32]}\n")
	var relay subsys.Task
	for _, task := range s.Parts().Tasks {
		if task.Name == "dhcp-relay" {
			relay = task
		}
	}
	if relay.Run == nil {
		t.Fatal("no dhcp-relay task for dhcp.relay.listen")
	}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan struct{})
	done := make(chan error, 1)
	go func() { done <- relay.Run(ctx, func() { close(ready) }) }()

	var wg sync.WaitGroup
	seen := make(chan string, 1)
	wg.Add(1)
	go func() {
		defer wg.Done()
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) {
			for _, row := range s.Parts().Status().Rows {
				if row[0] == "relay listener" {
					seen <- row[1]
					return
				}
			}
		}
		seen <- ""
	}()
	wg.Wait()
	<-ready
	cancel()
	if err := <-done; err != nil {
		t.Errorf("relay task: %v", err)
	}
	if addr := <-seen; !strings.HasPrefix(addr, "127.0.0.1:") || strings.HasSuffix(addr, ":0") {
		t.Errorf("status relay listener = %q, want the port the kernel chose on 127.0.0.1", addr)
	}
}
