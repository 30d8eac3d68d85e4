package atlasportal

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/stadsnat/accessd/cmd/accessd/internal/upstream/outbox"
)

// Deps are what the portal integration is wired to.
type Deps struct {
	HTTP   *http.Client
	Engine Engine
	State  State
	// Outbox takes the updates the follower makes without a local change
	// (a refused or unreadable order); the store's outbox in production.
	Outbox outbox.Appender
	// Location is where dates are local; nil: Europe/Stockholm (A6).
	Location *time.Location
	Log      *slog.Logger
}

// Portal is the integration: the Client, the Follower (run it as a task)
// and the Sink (run it with an outbox.Runner named SinkName).
type Portal struct {
	Client   *Client
	Follower *Follower
	Sink     *Sink
}

// New builds the integration from cfg and the API key.
func New(cfg Config, key Secret, d Deps) (*Portal, error) {
	cfg = cfg.WithDefaults()
	if d.Engine == nil || d.State == nil || d.Outbox == nil || d.Log == nil {
		return nil, errors.New("atlas portal: engine, state, outbox and logger are required")
	}
	loc := d.Location
	if loc == nil {
		var err error
		if loc, err = time.LoadLocation("Europe/Stockholm"); err != nil {
			return nil, fmt.Errorf("atlas portal: %w", err)
		}
	}
	log := d.Log.With("upstream", SinkName)
	c, err := NewClient(cfg, key, d.HTTP, log)
	if err != nil {
		return nil, err
	}
	tr := &tracker{st: d.State}
	return &Portal{
		Client:   c,
		Follower: &Follower{cfg: cfg, client: c, engine: d.Engine, tr: tr, out: d.Outbox, loc: loc, log: log},
		Sink:     &Sink{client: c, tr: tr, log: log},
	}, nil
}

// SetNotify sets what the follower calls after it queued an update: the
// sink's outbox.Runner.Notify. Call it before Run.
func (f *Follower) SetNotify(notify func()) { f.notify = notify }
