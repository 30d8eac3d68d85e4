package spapi

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/stadsnat/accessd/cmd/accessd/internal/upstream/internal/remote"
	"github.com/stadsnat/accessd/cmd/accessd/internal/upstream/spapi/sptest"
)

const (
	spUser = "ko-stadsnat"
	spPass = "sp-password-4e8b"
)

// The customer of the tests, every field set so a leak of any is seen.
var donald = sptest.Entry{
	AccessID: "STTA0001", Service: "BB-1000-100", SPReference: specRef,
	Name: "Kalle Anka", Email: "karl@ankeborg.se", Phone: "+4631650000", MobilePhone: "+46701234567",
}

func personal(e sptest.Entry) []string { return []string{e.Name, e.Email, e.Phone, e.MobilePhone} }

func passwordFile(t *testing.T, pw string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "sp.pw")
	if err := os.WriteFile(p, []byte(pw+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

type fixture struct {
	sp  *sptest.Server
	set *Set
	c   *Client
	log *bytes.Buffer
	reg *prometheus.Registry
}

func newFixture(t *testing.T, edit func(*Config), spCfg sptest.Config) *fixture {
	t.Helper()
	spCfg.User, spCfg.Password = spUser, spPass
	sp := sptest.New(spCfg)
	t.Cleanup(sp.Close)
	sp.Add(donald)
	sp.Add(sptest.Entry{AccessID: "STTA0001", Service: "IPTV", SPReference: specRef, Name: donald.Name, Email: donald.Email})
	sp.Add(sptest.Entry{AccessID: "STTA0002", Service: "BB-100-100", SPReference: "noname"})
	cfg := Config{Name: "ankeborg-bredband", URL: sp.Root(), Username: spUser, PasswordFile: passwordFile(t, spPass), FetchAtActivation: true}
	if edit != nil {
		edit(&cfg)
	}
	f := &fixture{sp: sp, log: &bytes.Buffer{}, reg: prometheus.NewRegistry()}
	log := slog.New(slog.NewTextHandler(f.log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	set, err := NewSet([]Config{cfg}, Options{Log: log, Registerer: f.reg})
	if err != nil {
		t.Fatal(err)
	}
	f.set = set
	f.c, _ = set.Client(cfg.Name)
	return f
}

func TestAccessCustomers(t *testing.T) {
	f := newFixture(t, nil, sptest.Config{})
	ctx := context.Background()
	svcs, err := f.c.AccessCustomers(ctx, "STTA0001")
	if err != nil || len(svcs) != 2 {
		t.Fatalf("AccessCustomers = %d services, %v; want 2", len(svcs), err)
	}
	for _, s := range svcs {
		if s.AccessID != "STTA0001" || s.SPReference != specRef || s.Customer.Name != donald.Name {
			t.Errorf("service %s: %q %q %q", s.Service, s.AccessID, s.SPReference, s.Customer.Name)
		}
	}
	if _, err := f.c.AccessCustomers(ctx, "STTA9999"); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown access: %v, want ErrNotFound", err)
	}
	for _, id := range []string{"bad/id", "..", ".", ""} {
		if _, err := f.c.AccessCustomers(ctx, id); err == nil {
			t.Errorf("access id %q was sent", id)
		}
	}
	if f.sp.Count("access", 200) != 1 || f.sp.Count("access", 404) != 1 || f.sp.Count("access", 400) != 0 {
		t.Errorf("the SP's counts: %v", f.sp.Calls())
	}
}

func TestServicesByReference(t *testing.T) {
	f := newFixture(t, nil, sptest.Config{})
	ctx := context.Background()
	svcs, err := f.c.ServicesByReference(ctx, specRef)
	if err != nil || len(svcs) != 2 || svcs[0].AccessID != "STTA0001" {
		t.Fatalf("ServicesByReference = %v, %v", svcs, err)
	}
	svcs, err = f.c.ServicesByReference(ctx, "nobody")
	if err != nil || len(svcs) != 0 {
		t.Errorf("unknown reference = %v, %v; want none", svcs, err)
	}
	if _, err := f.c.ServicesByReference(ctx, ""); err == nil {
		t.Error("an empty reference was sent")
	}
	if f.sp.Count("services", 400) != 0 {
		t.Errorf("the SP refused a query: %v", f.sp.Calls())
	}
}

func TestFailuresClassify(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name      string
		setup     func(*fixture)
		edit      func(*Config)
		auth      bool
		malformed bool
	}{
		{name: "wrong password", edit: func(c *Config) { c.PasswordFile = passwordFile(t, "wrong") }, auth: true},
		{name: "down", setup: func(f *fixture) { f.sp.Down(503) }},
		{name: "closed", setup: func(f *fixture) { f.sp.Close() }},
		{name: "malformed", setup: func(f *fixture) { f.sp.Malformed(`{"BB":{"customer":null}}`) }, malformed: true},
		{name: "slow", setup: func(f *fixture) { f.sp.Delay(5 * time.Second) }, edit: func(c *Config) { c.Timeout = 50 * time.Millisecond }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, tc.edit, sptest.Config{})
			if tc.setup != nil {
				tc.setup(f)
			}
			_, err := f.c.AccessCustomers(ctx, "STTA0001")
			if err == nil {
				t.Fatal("no error")
			}
			var fe *FormatError
			if remote.IsAuth(err) != tc.auth || remote.IsPermanent(err) || errors.As(err, &fe) != tc.malformed {
				t.Errorf("%v: auth %v permanent %v malformed %v", err, remote.IsAuth(err), remote.IsPermanent(err), errors.As(err, &fe))
			}
		})
	}
}

func TestCAFile(t *testing.T) {
	ctx := context.Background()
	sp := sptest.New(sptest.Config{User: spUser, Password: spPass, TLS: true})
	defer sp.Close()
	sp.Add(donald)
	ca, err := sp.WriteCA(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	pw := passwordFile(t, spPass)
	c, err := New(Config{Name: "tls", URL: sp.Root(), Username: spUser, PasswordFile: pw, CAFile: ca}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.AccessCustomers(ctx, "STTA0001"); err != nil {
		t.Errorf("with the CA file: %v", err)
	}
	c, _ = New(Config{Name: "tls", URL: sp.Root(), Username: spUser, PasswordFile: pw}, Options{})
	if _, err := c.AccessCustomers(ctx, "STTA0001"); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("without the CA file: %v, want a certificate error", err)
	}
}

func TestActivation(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, nil, sptest.Config{})
	sp := f.c.Name()
	s, err := f.set.CheckActivation(ctx, sp, "STTA0001", "BB-1000-100", specRef)
	if err != nil || s == nil || s.Customer.Email != donald.Email {
		t.Fatalf("by reference: %v, %v", s, err)
	}
	s, err = f.set.CheckActivation(ctx, sp, "STTA0001", "IPTV", "")
	if err != nil || s == nil || s.Customer.Name != donald.Name {
		t.Fatalf("by access: %v, %v", s, err)
	}
	for _, tc := range []struct {
		name                       string
		access, service, reference string
		setup                      func()
		cause                      string
	}{
		{"unknown access", "STTA0404", "BB-1000-100", "", nil, "it knows no such access"},
		{"no such service", "STTA0001", "VOIP", "", nil, "its answer for the access has no such service"},
		{"reference of another access", "STTA0003", "BB-1000-100", specRef, nil, "its answer for the spReference has no such service"},
		{"no name", "STTA0002", "BB-100-100", "noname", nil, "its answer has no customer name"},
		{"down", "STTA0001", "IPTV", "", func() { f.sp.Down(502) }, "the look-up failed (spapi ankeborg-bredband: GET access: HTTP 502 Bad Gateway)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.setup != nil {
				tc.setup()
			}
			s, err := f.set.CheckActivation(ctx, sp, tc.access, tc.service, tc.reference)
			var re *RefusalError
			if !errors.As(err, &re) || s != nil {
				t.Fatalf("CheckActivation = %v, %v; want a refusal", s, err)
			}
			want := fmt.Sprintf("service provider ankeborg-bredband could not give the customer of service %s on access %s: %s", tc.service, tc.access, tc.cause)
			if re.Cause != want {
				t.Errorf("cause %q\nwant  %q", re.Cause, want)
			}
		})
	}
	calls := len(f.sp.Calls())
	f.sp.Down(0)
	// An SP without the option, or unknown, is never asked.
	g := newFixture(t, func(c *Config) { c.FetchAtActivation = false }, sptest.Config{})
	if s, err := g.set.CheckActivation(ctx, g.c.Name(), "STTA0001", "IPTV", ""); s != nil || err != nil || len(g.sp.Calls()) != 0 {
		t.Errorf("without fetch_at_activation: %v, %v, %d calls", s, err, len(g.sp.Calls()))
	}
	if s, err := f.set.CheckActivation(ctx, "other-sp", "STTA0001", "IPTV", ""); s != nil || err != nil || len(f.sp.Calls()) != calls {
		t.Errorf("unknown SP: %v, %v", s, err)
	}
}

// TestCustomerDataNeverLogged runs every path with a debug-level log and
// checks that no personal field and no password reaches it at any level,
// even when a caller logs what it got, and that no error holds one. (The
// spReference is not personal data: PI-API 2.3 has the KO keep it.)
func TestCustomerDataNeverLogged(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, nil, sptest.Config{})
	var errs []error
	svcs, err := f.c.AccessCustomers(ctx, "STTA0001")
	errs = append(errs, err)
	f.c.log.Info("what a careless caller might log", "services", svcs, "first", svcs[0], "customer", svcs[0].Customer)
	f.c.log.Debug("formatted", "text", fmt.Sprintf("%v %+v %#v %s", svcs[0], svcs[0], svcs[0].Customer, svcs[0].Customer))
	_, err = f.c.ServicesByReference(ctx, specRef)
	errs = append(errs, err)
	_, err = f.set.CheckActivation(ctx, f.c.Name(), "STTA0001", "VOIP", specRef)
	errs = append(errs, err)
	f.sp.Malformed(`{"BB":{"customer":{"name":"` + donald.Name + `"}}}`)
	_, err = f.c.AccessCustomers(ctx, "STTA0001")
	errs = append(errs, err)
	f.sp.Malformed("")
	f.sp.Down(500)
	_, err = f.set.CheckActivation(ctx, f.c.Name(), "STTA0001", "IPTV", specRef)
	errs = append(errs, err)

	log := f.log.String()
	if !strings.Contains(log, "level=WARN") || !strings.Contains(log, "level=DEBUG") {
		t.Fatalf("the log lacks the expected records; the test would prove nothing:\n%s", log)
	}
	for _, secret := range append(personal(donald), spPass) {
		if strings.Contains(log, secret) {
			t.Errorf("the log holds %q:\n%s", secret, log)
		}
		for _, err := range errs {
			if err != nil && strings.Contains(err.Error(), secret) {
				t.Errorf("an error holds %q: %v", secret, err)
			}
		}
	}
}

func TestNewRefusesBadConfig(t *testing.T) {
	pw := passwordFile(t, spPass)
	for _, cfg := range []Config{
		{URL: "https://sp/api/2.3/", Username: "u", PasswordFile: pw},
		{Name: "x", URL: "sp/api/2.3/", Username: "u", PasswordFile: pw},
		{Name: "x", URL: "https://sp/api/2.3/", PasswordFile: pw},
		{Name: "x", URL: "https://sp/api/2.3/", Username: "u"},
		{Name: "x", URL: "https://sp/api/2.3/", Username: "u", PasswordFile: pw, CAFile: "/nonexistent"},
	} {
		if _, err := New(cfg, Options{}); err == nil {
			t.Errorf("New(%+v): no error", cfg)
		}
	}
	good := Config{Name: "x", URL: "https://sp/api/2.3", Username: "u", PasswordFile: pw}
	if _, err := NewSet([]Config{good, good}, Options{}); err == nil {
		t.Error("an SP configured twice was accepted")
	}
}
