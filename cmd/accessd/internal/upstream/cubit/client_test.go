package cubit

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/stadsnat/accessd/cmd/accessd/internal/upstream/cubit/cubittest"
	"github.com/stadsnat/accessd/cmd/accessd/internal/upstream/internal/remote"
	"github.com/stadsnat/accessd/internal/testkit"
)

const (
	testKey = "cubit-test-key-7f3a"
	prodKey = "cubit-prod-key-9c1e"
)

// recorder keeps the bodies of the requests a client sends.
type recorder struct {
	mu     sync.Mutex
	bodies []string
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		b, _ := io.ReadAll(req.Body)
		req.Body = io.NopCloser(bytes.NewReader(b))
		r.mu.Lock()
		r.bodies = append(r.bodies, string(b))
		r.mu.Unlock()
	}
	return http.DefaultTransport.RoundTrip(req)
}

// env is one client against one test Cubit.
type env struct {
	srv *cubittest.Server
	c   *Client
	reg *prometheus.Registry
	rec *recorder
	log *bytes.Buffer
}

func keyFile(t *testing.T, key string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "cubit.key")
	if err := os.WriteFile(p, []byte(key+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func newEnv(t *testing.T, key string, edit func(*Config)) *env {
	t.Helper()
	srv, err := cubittest.New(cubittest.Config{Keys: map[string]string{"test": testKey, "prod": prodKey}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	e := &env{srv: srv, reg: prometheus.NewRegistry(), rec: &recorder{}, log: &bytes.Buffer{}}
	cfg := Config{URL: srv.URL, APIKeyFile: keyFile(t, key), Environment: "test"}
	if edit != nil {
		edit(&cfg)
	}
	log := slog.New(slog.NewTextHandler(e.log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e.c, err = New(cfg, Options{Log: log, Registerer: e.reg, HTTPClient: &http.Client{Transport: e.rec}})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// golden compares got (compact JSON) with an indented golden file.
func golden(t *testing.T, name, got string) {
	t.Helper()
	var b bytes.Buffer
	if err := json.Indent(&b, []byte(got), "", "  "); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	b.WriteByte('\n')
	testkit.Golden(t, filepath.Join("testdata", name), b.String())
}

func TestPushSeedExamples(t *testing.T) {
	e := newEnv(t, testKey, nil)
	ctx := context.Background()
	ws, err := e.c.PushCustomer(ctx, seedCustomer())
	if err != nil || len(ws) != 2 {
		t.Fatalf("PushCustomer(seed) = %v, %v; want 2 warnings and no error", ws, err)
	}
	ws, err = e.c.PushPlant(ctx, seedPlant())
	if err != nil || len(ws) != 2 {
		t.Fatalf("PushPlant(seed) = %v, %v; want 2 warnings and no error", ws, err)
	}
	golden(t, "customer.golden.json", e.rec.bodies[0])
	golden(t, "plant.golden.json", e.rec.bodies[1])
	if !strings.Contains(e.rec.bodies[1], `"postalCode":"0485"`) {
		t.Error("the postal code is not sent as a four-character string")
	}
	for check, want := range map[string]float64{CheckFodselsnummer: 2, CheckOrganisasjonsnummer: 1, CheckGSRN: 1} {
		got := counter(t, e.reg, "accessd_cubit_check_digit_warnings_total", "check", check)
		if got != want {
			t.Errorf("accessd_cubit_check_digit_warnings_total{check=%q} = %v, want %v", check, got, want)
		}
	}
	if got := e.srv.Count(cubittest.PlantUpsert, 200); got != 1 {
		t.Errorf("the test Cubit saw %d good plant upserts, want 1", got)
	}
	g := e.srv.Grid("test")
	if g.MeteringPoints[seedMeteringPointID] != "6293115" || g.ConnectionPoints["6293115"] != "TU2839-1" || g.Transformers["TU2839-1"] != "Gamlevn.79" {
		t.Errorf("the hierarchy was not created: %+v", g)
	}
}

func TestStrictRefusesBeforeSending(t *testing.T) {
	e := newEnv(t, testKey, func(c *Config) { c.Strict = true })
	_, err := e.c.PushCustomer(context.Background(), seedCustomer())
	if !remote.IsPermanent(err) {
		t.Fatalf("strict PushCustomer(seed) = %v; want a permanent error", err)
	}
	if len(e.rec.bodies) != 0 {
		t.Errorf("%d requests were sent; a refused object must not be", len(e.rec.bodies))
	}
	if _, err := e.c.PushPlant(context.Background(), seedPlant()); !remote.IsPermanent(err) {
		t.Errorf("strict PushPlant(seed) = %v; want a permanent error", err)
	}
	if got := counter(t, e.reg, "accessd_cubit_calls_total", "call", callCustomerUpsert, "result", "invalid"); got != 1 {
		t.Errorf("calls{customer_upsert,invalid} = %v, want 1", got)
	}
}

func TestClassification(t *testing.T) {
	ctx := context.Background()
	good := seedCustomer()
	for _, tc := range []struct {
		name            string
		key             string
		setup           func(*env)
		permanent, auth bool
		body            string // in the error
	}{
		{name: "other environment's key", key: prodKey, permanent: true, body: "does not match environment test"},
		{name: "unknown key", key: "not-a-key", auth: true},
		{name: "down", key: testKey, setup: func(e *env) { e.srv.Down(503) }},
		{name: "closed", key: testKey, setup: func(e *env) { e.srv.Close() }},
		{name: "not found is transient", key: testKey, setup: func(e *env) { e.srv.Down(404) }},
		{name: "forbidden", key: testKey, setup: func(e *env) { e.srv.Down(403) }, auth: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, tc.key, nil)
			if tc.setup != nil {
				tc.setup(e)
			}
			_, err := e.c.PushCustomer(ctx, good)
			if err == nil {
				t.Fatal("no error")
			}
			if remote.IsPermanent(err) != tc.permanent || remote.IsAuth(err) != tc.auth {
				t.Errorf("%v: permanent %v auth %v, want %v %v", err, remote.IsPermanent(err), remote.IsAuth(err), tc.permanent, tc.auth)
			}
			if !strings.Contains(err.Error(), tc.body) {
				t.Errorf("error %q does not say %q", err, tc.body)
			}
		})
	}
}

func TestConnectedDateLaterIsParked(t *testing.T) {
	e := newEnv(t, testKey, nil)
	ctx := context.Background()
	p := seedPlant()
	if _, err := e.c.PushPlant(ctx, p); err != nil {
		t.Fatal(err)
	}
	p.ConnectedDate = "1990-01-01"
	_, err := e.c.PushPlant(ctx, p)
	var re *remote.Error
	if !errors.As(err, &re) || !re.Permanent() || re.Status != 400 || !strings.Contains(re.Body, "cannot be moved later") {
		t.Fatalf("moving connectedDate later: %v; want a permanent 400 that says why", err)
	}
}

func TestDeliver(t *testing.T) {
	e := newEnv(t, testKey, nil)
	ctx := context.Background()
	payload, _ := json.Marshal(seedCustomer())
	if err := e.c.Deliver(ctx, KindCustomer, payload); err != nil {
		t.Fatalf("Deliver(customer): %v", err)
	}
	payload, _ = json.Marshal(seedPlant())
	if err := e.c.Deliver(ctx, KindPlant, payload); err != nil {
		t.Fatalf("Deliver(plant): %v", err)
	}
	for _, tc := range []struct {
		kind    Kind
		payload string
	}{
		{"invoice", `{}`},
		{KindCustomer, `{"Number":"01017012343","Nick":"x"}`},  // unknown key
		{KindCustomer, `{"Number":1}`},                         // wrong type
		{KindPlant, `{"meteringPointId":"707057500026392739"`}, // cut short
		{KindPlant, `{} {}`},
	} {
		if err := e.c.Deliver(ctx, tc.kind, []byte(tc.payload)); !remote.IsPermanent(err) {
			t.Errorf("Deliver(%s, %s) = %v; want a permanent error", tc.kind, tc.payload, err)
		}
	}
}

func TestVerify(t *testing.T) {
	e := newEnv(t, testKey, nil)
	ctx := context.Background()
	sent, _ := json.Marshal(seedPlant())
	if err := e.c.Deliver(ctx, KindPlant, sent); err != nil {
		t.Fatal(err)
	}
	v, err := e.c.Verify(ctx, seedMeteringPointID, sent)
	if err != nil || !v.Found || v.Kind != KindPlant || len(v.Differences) != 0 {
		t.Fatalf("Verify(plant) = %+v, %v; want found without differences", v, err)
	}
	p := seedPlant()
	p.Status, p.Address.Floor = StatusInactive, "2"
	other, _ := json.Marshal(p)
	v, err = e.c.Verify(ctx, seedMeteringPointID, other)
	want := []Difference{
		{Field: "address.floor", Sent: `"2"`, Stored: `"1"`},
		{Field: "status", Sent: `"Inaktivt"`, Stored: `"Spenningsatt"`},
	}
	if err != nil || cmp.Diff(want, v.Differences) != "" {
		t.Errorf("Verify(changed) differences (-want +got):\n%s (err %v)", cmp.Diff(want, v.Differences), err)
	}
	v, err = e.c.Verify(ctx, goodNumber, nil)
	if err != nil || v.Found || v.Kind != KindCustomer {
		t.Errorf("Verify(unknown customer) = %+v, %v; want not found", v, err)
	}
	cu, _ := json.Marshal(seedCustomer())
	e.c.Deliver(ctx, KindCustomer, cu)
	if v, err := e.c.Verify(ctx, seedNumber, cu); err != nil || !v.Found || len(v.Differences) != 0 {
		t.Errorf("Verify(customer) = %+v, %v", v, err)
	}
}

// TestSecretsAndPersonalDataNeverLogged runs every path at debug level and
// looks for the key and the customer's personal fields in the log.
func TestSecretsAndPersonalDataNeverLogged(t *testing.T) {
	ctx := context.Background()
	for _, key := range []string{testKey, prodKey, "wrong-key-5d2b"} {
		e := newEnv(t, key, nil)
		e.c.PushCustomer(ctx, seedCustomer())
		e.c.PushPlant(ctx, seedPlant())
		e.c.Verify(ctx, seedNumber, nil)
		_, err := e.c.PushCustomer(ctx, Customer{Number: seedNumber, Email: "bad"})
		log := e.log.String()
		if log == "" {
			t.Fatal("nothing was logged: the test would prove nothing")
		}
		cu := seedCustomer()
		for _, secret := range []string{key, cu.Number, cu.FirstName, cu.LastName, cu.Email, cu.Phone, cu.BirthDate, cu.Address.AddressText} {
			if strings.Contains(log, secret) {
				t.Errorf("the log holds %q:\n%s", secret, log)
			}
			if err != nil && strings.Contains(err.Error(), secret) {
				t.Errorf("the error holds %q: %v", secret, err)
			}
		}
	}
}

func TestNewRefusesBadConfig(t *testing.T) {
	key := keyFile(t, testKey)
	for _, cfg := range []Config{
		{URL: "plants.cubit.no", APIKeyFile: key, Environment: "test"},
		{URL: "https://plants.cubit.no", APIKeyFile: key, Environment: "staging"},
		{URL: "https://plants.cubit.no", APIKeyFile: "", Environment: "test"},
		{URL: "https://plants.cubit.no", APIKeyFile: key, Environment: "test", NumberFormat: "("},
		{URL: "https://plants.cubit.no", APIKeyFile: key, Environment: "test", CAFile: "/nonexistent.pem"},
	} {
		if _, err := New(cfg, Options{}); err == nil {
			t.Errorf("New(%+v): no error", cfg)
		}
	}
	if _, err := New(Config{URL: "https://plants.cubit.no", APIKeyFile: key, Environment: "prod"}, Options{}); err != nil {
		t.Errorf("New(good config): %v", err)
	}
}

func TestKindOf(t *testing.T) {
	for id, want := range map[string]Kind{seedMeteringPointID: KindPlant, seedNumber: KindCustomer, seedOrgNumber: KindCustomer, "K123": KindCustomer} {
		if got := KindOf(id); got != want {
			t.Errorf("KindOf(%q) = %s, want %s", id, got, want)
		}
	}
}

// counter returns the value of the counter name whose labels include the
// given name/value pairs; 0 when there is none.
func counter(t *testing.T, reg *prometheus.Registry, name string, labels ...string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	metrics:
		for _, m := range mf.GetMetric() {
			for i := 0; i+1 < len(labels); i += 2 {
				found := false
				for _, lp := range m.GetLabel() {
					if lp.GetName() == labels[i] && lp.GetValue() == labels[i+1] {
						found = true
					}
				}
				if !found {
					continue metrics
				}
			}
			return m.GetCounter().GetValue()
		}
	}
	return 0
}

func TestGetRefusesUnsafeIDs(t *testing.T) {
	e := newEnv(t, testKey, nil)
	ctx := context.Background()
	if _, err := e.c.Customer(ctx, "../plant"); err == nil {
		t.Error("a number with '/' was sent")
	}
	if _, err := e.c.Plant(ctx, "70705750002639273x"); err == nil {
		t.Error("a metering point id that is not 18 digits was sent")
	}
	if len(e.srv.Calls()) != 0 {
		t.Errorf("calls reached Cubit: %v", e.srv.Calls())
	}
}
