// Package subsys is the contract between accessd's process (package
// daemon) and its subsystems (DHCP, SNMP, orders, inventory, and those to
// come). A subsystem is a value: one constructor builds it from its typed
// configuration section, the store, the process's Env and, as arguments,
// what it needs of other subsystems; it hands the process its Parts. The
// process runs the tasks in one errgroup, mounts the HTTP groups on the
// one router, registers the admin handlers, shows the status sections,
// passes a new configuration on SIGHUP and closes what was opened once
// every task has stopped. Subsystems share no mutable state: what one
// needs of another it gets through a small interface at construction.
package subsys

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/stadsnat/accessd/api"
	"github.com/stadsnat/accessd/cmd/internal/admin"
	"github.com/stadsnat/accessd/cmd/internal/config"
)

// Task is a long-running part of a subsystem. Run blocks until ctx is
// done (returning nil) or the task fails; it calls ready once it serves.
type Task struct {
	Name string
	Run  func(ctx context.Context, ready func()) error
}

// Parts is what a subsystem hands the process. Every field but Name may
// be empty.
type Parts struct {
	// Name is the subsystem's name in logs ("dhcp", "snmp", …).
	Name  string
	Tasks []Task
	// Groups are the subsystem's HTTP API groups for its configuration of
	// the moment: called when the router is built, at start and after
	// every reload.
	Groups func() []api.Group
	// Admin registers the subsystem's handlers of the admin protocol.
	Admin func(m *admin.Mux)
	// Status is the subsystem's section of accessctl status.
	Status func() admin.Section
	// Reload applies a new configuration: what of it applies live (the
	// process warns about the keys that need a restart, see
	// config.Restart). On an error the subsystem keeps what it had.
	Reload func(cfg *config.Config) error
	// Close releases what the subsystem opened, once every task has
	// stopped and the servers are shut down.
	Close func() error
	// ReadyNotes are what /readyz says beside "ready": a part that is
	// degraded without making the box unready (a hub's stale sites).
	ReadyNotes func() []string
}

// Env is what the process gives every subsystem.
type Env struct {
	// Log is the process's logger; a subsystem adds its name.
	Log *slog.Logger
	// Metrics is the process's registry (every metric named accessd_…).
	Metrics *prometheus.Registry
	// Sockets are the sockets systemd passed (socket activation).
	Sockets Sockets
	// Location is Europe/Stockholm: the dates of the standards are local
	// dates there.
	Location *time.Location
}

// Registerer is where a subsystem registers its metrics (nil: nowhere).
func (e Env) Registerer() prometheus.Registerer {
	if e.Metrics == nil {
		return nil
	}
	return e.Metrics
}

// Logger is env's logger for the subsystem name.
func (e Env) Logger(name string) *slog.Logger { return e.Log.With("subsystem", name) }

// Sockets are socket-activated sockets by their FileDescriptorName. Take
// each name once: its files are closed when taken.
type Sockets map[string][]*os.File

// PacketConns takes the datagram sockets of name ("dhcp4", "snmptrap").
func (s Sockets) PacketConns(name string) ([]net.PacketConn, error) {
	var out []net.PacketConn
	for _, f := range s[name] {
		pc, err := net.FilePacketConn(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("socket-activated %s socket: %w", name, err)
		}
		out = append(out, pc)
	}
	delete(s, name)
	return out, nil
}

// Listeners takes the stream sockets of name ("http").
func (s Sockets) Listeners(name string) ([]net.Listener, error) {
	var out []net.Listener
	for _, f := range s[name] {
		ln, err := net.FileListener(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("socket-activated %s listener: %w", name, err)
		}
		out = append(out, ln)
	}
	delete(s, name)
	return out, nil
}

// ReadyNotes are the notes of every part for /readyz, in order.
func ReadyNotes(parts []Parts) []string {
	var out []string
	for _, p := range parts {
		if p.ReadyNotes != nil {
			out = append(out, p.ReadyNotes()...)
		}
	}
	return out
}
