package atlasportal_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/stadsnat/accessd/cmd/accessd/internal/upstream/atlasportal"
	"github.com/stadsnat/accessd/cmd/accessd/internal/upstream/atlasportal/localtest"
	"github.com/stadsnat/accessd/cmd/accessd/internal/upstream/atlasportal/portaltest"
	"github.com/stadsnat/accessd/cmd/accessd/internal/upstream/outbox"
	"github.com/stadsnat/accessd/cmd/accessd/internal/upstream/outbox/memstore"
)

type logBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// rig is the whole integration in-process: the test portal, the outbox
// (memstore) and its runner with the portal's Sink, the follower, and a
// stand-in order engine.
type rig struct {
	portal *portaltest.Portal
	state  *localtest.State
	engine *localtest.Engine
	box    *memstore.Store
	p      *atlasportal.Portal
	runner *outbox.Runner
	reg    *prometheus.Registry
	log    *logBuf
	loc    *time.Location
	stop   func()
}

type rigOptions struct {
	policy atlasportal.CustomerPolicy
	// wrap, when set, wraps the HTTP transport to the portal.
	wrap func(http.RoundTripper) http.RoundTripper
	// backoff of the sink's runner; default 1s…5m.
	backoff outbox.Backoff
	// socket: reach the portal over a real loopback HTTP server.
	socket bool
	// key is the API key accessd uses; default the portal's.
	key string
	// newHash makes the portal's login hashes; default random.
	newHash func() string
}

func newRig(t *testing.T, o rigOptions) *rig {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Stockholm")
	if err != nil {
		t.Fatal(err)
	}
	r := &rig{log: &logBuf{}, loc: loc, reg: prometheus.NewRegistry(), state: localtest.NewState(), box: memstore.New(memstore.Options{})}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("log:\n%s", r.log.String())
		}
	})
	log := slog.New(slog.NewTextHandler(r.log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	r.portal = portaltest.New(portaltest.Options{Location: loc, NewHash: o.newHash})
	hc, base := r.portal.Client(), r.portal.BaseURL()
	if o.socket {
		srv := httptest.NewServer(r.portal)
		t.Cleanup(srv.Close)
		hc, base = srv.Client(), srv.URL+"/plain/serviceguide_log"
	}
	if o.wrap != nil {
		hc.Transport = o.wrap(hc.Transport)
	}
	r.engine = localtest.NewEngine(r.box, nil)
	r.engine.ActivationTime = 10 * time.Second
	cfg := atlasportal.Config{URL: base, APIUser: "1234", APIKeyFile: "/unused", CustomerData: o.policy}
	if o.key == "" {
		o.key = "test-api-key"
	}
	r.p, err = atlasportal.New(cfg, atlasportal.NewSecret(o.key), atlasportal.Deps{
		HTTP: hc, Engine: r.engine, State: r.state, Outbox: r.box, Location: loc, Log: log,
	})
	if err != nil {
		t.Fatal(err)
	}
	r.runner, err = outbox.NewRunner(outbox.Config{Sink: atlasportal.SinkName, Backoff: o.backoff}, r.box, r.p.Sink, log, r.reg)
	if err != nil {
		t.Fatal(err)
	}
	r.engine.SetNotify(r.runner.Notify)
	r.p.Follower.SetNotify(r.runner.Notify)
	return r
}

// start runs the follower, the runner and the engine until stop.
func (r *rig) start() {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { r.p.Follower.Run(ctx) })
	wg.Go(func() { r.runner.Run(ctx) })
	wg.Go(func() { r.engine.Run(ctx) })
	r.stop = func() { cancel(); wg.Wait() }
}

// localDate is the date d days from now, local.
func (r *rig) localDate(d int) string {
	return time.Now().In(r.loc).AddDate(0, 0, d).Format(time.DateOnly)
}

func (r *rig) portalState(t *testing.T, id string) atlasportal.PortalOrderState {
	t.Helper()
	o, _, err := r.state.PortalOrder(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// localByPortal counts the local orders of each portal order id.
func (r *rig) localByPortal() map[string]int {
	m := map[string]int{}
	for _, o := range r.engine.Orders() {
		m[o.PortalOrderID]++
	}
	return m
}

// transitions are the portal's status changes of one order, as "from>to".
func (r *rig) transitions(id int) []string {
	var out []string
	for _, tr := range r.portal.Transitions() {
		if tr.Order == id {
			out = append(out, tr.From+">"+tr.To)
		}
	}
	return out
}

// roundTripFunc adapts a function to http.RoundTripper.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
