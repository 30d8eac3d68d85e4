package upstream_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/stadsnat/accessd/api/activation"
	"github.com/stadsnat/accessd/api/activation/acttest"
	"github.com/stadsnat/accessd/cmd/accessd/internal/subsys"
	"github.com/stadsnat/accessd/cmd/accessd/internal/upstream"
	"github.com/stadsnat/accessd/cmd/internal/admin"
	"github.com/stadsnat/accessd/cmd/internal/config"
	"github.com/stadsnat/accessd/store"
	"github.com/stadsnat/accessd/store/inventory"
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

// rig is the upstream subsystem in-process over a real store and the real
// order engine (acttest's, with its fake hook).
type rig struct {
	t      testing.TB
	f      *acttest.Fixture
	sys    *upstream.System
	parts  subsys.Parts
	reg    *prometheus.Registry
	log    *logBuf
	loc    *time.Location
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// writeFile writes a secret or data file in a temporary directory.
func writeFile(t testing.TB, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// outboxConfig is upstream.outbox with the defaults.
func outboxConfig() config.Outbox {
	return config.Outbox{BudgetBytes: 64 << 20, BackoffInitial: config.Duration(time.Second),
		BackoffMax: config.Duration(5 * time.Minute), AttemptTimeout: config.Duration(30 * time.Second),
		PollInterval: config.Duration(5 * time.Second), Concurrency: 4}
}

// newRig builds the subsystem from c (Environment test) with the accesses
// AB1…AB6 besides acttest's.
func newRig(t testing.TB, c upstream.Config, opts ...upstream.Option) *rig {
	t.Helper()
	r := &rig{t: t, log: &logBuf{}, reg: prometheus.NewRegistry()}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("log:\n%s", r.log.String())
		}
	})
	r.f = acttest.New(t, nil)
	r.loc = r.f.Loc
	var in []store.Incoming
	for _, id := range []string{"AB1", "AB2", "AB3", "AB4", "AB5", "AB6"} {
		in = append(in, store.Incoming{Access: acttest.Access(id, "10.0.1.1 "+id)})
	}
	if _, err := r.f.DB.Inventory().Import(in, store.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(r.log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	if c.Environment == "" {
		c.Environment = config.Test
	}
	if c.Upstream.Outbox.BackoffInitial == 0 {
		c.Upstream.Outbox = outboxConfig()
	}
	var err error
	r.sys, err = upstream.New(c, r.f.DB, subsys.Env{Log: log, Metrics: r.reg, Location: r.loc},
		upstream.Peers{Orders: r.f.Engine}, opts...)
	if err != nil {
		t.Fatal(err)
	}
	r.parts = r.sys.Parts()
	return r
}

// start runs the subsystem's tasks and the engine's scheduler until stop.
func (r *rig) start() {
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	for _, task := range r.parts.Tasks {
		r.wg.Go(func() {
			if err := task.Run(ctx, func() {}); err != nil {
				r.t.Errorf("task %s: %v", task.Name, err)
			}
		})
	}
	r.wg.Go(func() { r.f.Engine.Run(ctx, func() {}) })
}

func (r *rig) stop() {
	if r.cancel != nil {
		r.cancel()
		r.wg.Wait()
		r.cancel = nil
	}
	if r.parts.Close != nil {
		r.parts.Close()
	}
}

// admin is the subsystem's admin protocol, served in-process.
func (r *rig) admin() http.Handler {
	m := admin.NewMux(slog.New(slog.NewTextHandler(r.log, nil)))
	r.parts.Admin(m)
	return m
}

// orders are the local orders, oldest first.
func (r *rig) orders() []store.Order {
	var out []store.Order
	err := r.f.DB.Orders().View(func(o *store.OrderTx) error {
		var err error
		out, err = o.Orders(store.OrderFilter{})
		return err
	})
	if err != nil {
		r.t.Fatal(err)
	}
	return out
}

// placeDirect places an order as Atlas's service_order does, carrying the
// portal's order id.
func (r *rig) placeDirect(portalID, access, date string) store.Order {
	r.t.Helper()
	var due time.Time
	if date != "" {
		_, due, _ = r.f.Engine.ParseDate(date)
	}
	res, err := r.f.Engine.Place(activation.Request{Owner: activation.OwnerAtlas, Channel: "atlas", AccessID: access,
		Service: "BB100100", Operation: store.Activate, Due: due, Date: date,
		Key:   "atlas\x00" + portalID + "\x00" + access + "\x00BB100100",
		Atlas: &store.AtlasRef{Order: portalID, Customer: "77", Origin: "customer"}})
	if err != nil || res.Outcome != activation.Created {
		r.t.Fatalf("service_order %s: %+v %v", portalID, res, err)
	}
	return res.Order
}

func (r *rig) localDate(days int) string {
	return time.Now().In(r.loc).AddDate(0, 0, days).Format(time.DateOnly)
}

// withPlant is an access of the JSON inventory with a plant.
func withPlant(id, mp string) inventory.Access {
	a := acttest.Access(id, "10.0.2.1 "+id)
	a.Plant = &inventory.Plant{MeteringPointID: mp, ConsumptionCode: 23, IndustrialClassification: "55.102",
		Status: "Spenningsatt", Address: &inventory.PlantAddress{AddressText: "Testveien 8", PostalCode: "0485"},
		ConnectionPoint: &inventory.PlantConnectionPoint{Name: "CP-" + id, Transformer: &inventory.PlantTransformer{
			Name: "TU2839-1", NetStation: &inventory.PlantNetStation{Name: "Gamlevn.79"}}}}
	return a
}

// get does an admin request and decodes its JSON answer into out; it
// returns the status.
func (r *rig) get(method, path string, out any) int {
	r.t.Helper()
	rec := httptest.NewRecorder()
	r.admin().ServeHTTP(rec, httptest.NewRequest(method, path, nil))
	if out != nil && rec.Code/100 == 2 {
		if err := json.Unmarshal(rec.Body.Bytes(), out); err != nil {
			r.t.Fatalf("%s %s: %v\n%s", method, path, err, rec.Body.String())
		}
	}
	return rec.Code
}

func upstreamStatus(t testing.TB, r *rig) admin.Upstream {
	t.Helper()
	var u admin.Upstream
	if code := r.get("GET", admin.PathUpstream, &u); code != 200 {
		t.Fatalf("GET %s: %d", admin.PathUpstream, code)
	}
	return u
}
