package atlasportal

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"html"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/stadsnat/accessd/cmd/accessd/internal/upstream/atlasportal/portaltest"
	"github.com/stadsnat/accessd/cmd/accessd/internal/upstream/outbox"
)

const testKey = "test-api-key"

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

func testLog(t *testing.T) (*slog.Logger, *logBuf) {
	b := &logBuf{}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("log:\n%s", b.String())
		}
	})
	return slog.New(slog.NewTextHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug})), b
}

func testConfig(p *portaltest.Portal) Config {
	return Config{URL: p.BaseURL(), LoginURL: p.LoginURL(), APIUser: "1234", APIKeyFile: "/unused"}
}

func newTestClient(t *testing.T, p *portaltest.Portal) (*Client, *logBuf) {
	t.Helper()
	log, buf := testLog(t)
	c, err := NewClient(testConfig(p), NewSecret(testKey), p.Client(), log)
	if err != nil {
		t.Fatal(err)
	}
	return c, buf
}

func portalWithOrder() *portaltest.Portal {
	p := portaltest.New(portaltest.Options{})
	p.AddOrder(portaltest.Order{ID: 1234, Socket: "AB123", ServiceUID: "AB100100", CustomerID: 5678})
	p.AddCustomer(portaltest.Customer{ID: 5678, FirstName: "Åsa", Surname: "Öberg", Email: "asa@example.se"})
	return p
}

var ctx = context.Background()

// TestHashRenewedBeforeExpiry: one login serves 18 minutes of calls; the
// next call logs in again, before the portal would refuse the hash.
func TestHashRenewedBeforeExpiry(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := portalWithOrder()
		c, _ := newTestClient(t, p)
		for range 6 {
			if _, err := c.Orders(ctx, "2018-01-01"); err != nil {
				t.Fatal(err)
			}
			time.Sleep(3*time.Minute + 30*time.Second) // up to 17.5 minutes
		}
		if p.Logins() != 1 {
			t.Errorf("%d logins in 17.5 minutes, want 1", p.Logins())
		}
		time.Sleep(time.Minute) // 21 minutes after the login: the old hash is dead
		if _, err := c.Orders(ctx, "2018-01-01"); err != nil {
			t.Fatal(err)
		}
		if p.Logins() != 2 || len(p.Refusals()) != 0 {
			t.Errorf("logins %d, refusals %v; want a renewal without any refused call", p.Logins(), p.Refusals())
		}
	})
}

// TestReloginOnceOnRefusedHash: the portal's clock runs 50 % fast, so it
// refuses the hash at our 13⅓ minutes; the client logs in again once and
// the call succeeds.
func TestReloginOnceOnRefusedHash(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		p := portaltest.New(portaltest.Options{Now: func() time.Time { return start.Add(time.Since(start) * 3 / 2) }})
		p.AddOrder(portaltest.Order{ID: 1234, Socket: "AB123", ServiceUID: "AB100100"})
		c, _ := newTestClient(t, p)
		if _, err := c.OrderInfo(ctx, "1234"); err != nil {
			t.Fatal(err)
		}
		time.Sleep(16 * time.Minute)
		o, err := c.OrderInfo(ctx, "1234")
		if err != nil || o.ID != "1234" {
			t.Fatalf("after the portal expired the hash: %+v, %v", o, err)
		}
		if diff := cmp.Diff([]string{"order_info: hash expired: log in with api_login"}, p.Refusals()); diff != "" {
			t.Errorf("refusals (-want +got):\n%s", diff)
		}
		if p.Logins() != 2 || p.Calls("order_info") != 3 {
			t.Errorf("logins %d, order_info calls %d; want 2 and 3", p.Logins(), p.Calls("order_info"))
		}
	})
}

// TestRefusalIsPermanentAfterOneRelogin: a call the portal refuses on its
// merits is tried with a new hash once, then is a permanent error.
func TestRefusalIsPermanentAfterOneRelogin(t *testing.T) {
	p := portalWithOrder()
	p.SetStatus(1234, "delivered")
	c, _ := newTestClient(t, p)
	err := c.SetStatus(ctx, "1234", StatusActive)
	var ref *Refusal
	if outbox.ClassOf(err) != outbox.ClassPermanent || !errors.As(err, &ref) || ref.Message != "status change from delivered to active is backwards" {
		t.Fatalf("got %v (class %v)", err, outbox.ClassOf(err))
	}
	if p.Logins() != 2 || p.Calls("set_status") != 2 {
		t.Errorf("logins %d, set_status calls %d; want 2 and 2", p.Logins(), p.Calls("set_status"))
	}
}

func TestWrongKeyIsAuth(t *testing.T) {
	p := portalWithOrder()
	log, buf := testLog(t)
	c, err := NewClient(testConfig(p), NewSecret("not-the-key"), p.Client(), log)
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Orders(ctx, "2018-01-01")
	if outbox.ClassOf(err) != outbox.ClassAuth || !strings.Contains(err.Error(), "api_user 1234") || !strings.Contains(err.Error(), "wrong api_user or api_key") {
		t.Errorf("got %v (class %v)", err, outbox.ClassOf(err))
	}
	if p.Calls("api_login") != 1 || p.Calls("orders") != 0 {
		t.Errorf("calls %v: one refused login must end it", p.AllCalls())
	}
	if strings.Contains(err.Error()+buf.String(), "not-the-key") {
		t.Error("the key is in the error or the log")
	}
}

func TestOutageIsTransient(t *testing.T) {
	p := portalWithOrder()
	c, buf := newTestClient(t, p)
	if err := c.SetStatus(ctx, "1234", StatusReceived); err != nil {
		t.Fatal(err)
	}
	p.SetUplink(portaltest.Unavailable)
	err := c.SetStatus(ctx, "1234", StatusActive)
	var he *outbox.HTTPError
	if outbox.ClassOf(err) != outbox.ClassTransient || !errors.As(err, &he) || he.Status != 503 {
		t.Errorf("503: %v", err)
	}
	p.SetUplink(portaltest.Refusing)
	err = c.SetStatus(ctx, "1234", StatusActive)
	if outbox.ClassOf(err) != outbox.ClassTransient || !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("refused: %v", err)
	}
	p.SetUplink(portaltest.Up)
	if err := c.SetStatus(ctx, "1234", StatusActive); err != nil {
		t.Fatal(err)
	}
	assertNoSecrets(t, err, buf.String(), p)
}

// assertNoSecrets: neither the key nor any hash the portal gave is in
// the text.
func assertNoSecrets(t *testing.T, err error, text string, p *portaltest.Portal) {
	t.Helper()
	if err != nil {
		text += err.Error()
	}
	if strings.Contains(text, testKey) {
		t.Error("the API key leaked")
	}
	if strings.Contains(text, "hash=") || strings.Contains(text, "api_key=") {
		t.Error("a request URL leaked")
	}
}

// TestPortalEchoingSecrets: a portal that quotes the request in its
// refusals does not get the key or the hash into errors or logs.
func TestPortalEchoingSecrets(t *testing.T) {
	var hash string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if q.Get("method") == "api_login" {
			hash = "feedfacefeedface"
			w.Write([]byte("<api_login><response><hash_key>" + hash + "</hash_key></response><status>success</status></api_login>"))
			return
		}
		if q.Get("method") == "orders" {
			w.WriteHeader(http.StatusBadRequest)
			w.Write([]byte("bad request: " + r.URL.RawQuery + " key " + testKey))
			return
		}
		w.Write([]byte("<x><response><message>refused " + html.EscapeString(r.URL.RawQuery) + " " + q.Get("hash") + "</message></response><status>failed</status></x>"))
	}))
	defer srv.Close()
	log, buf := testLog(t)
	c, err := NewClient(Config{URL: srv.URL + "/log", APIUser: "1234", APIKeyFile: "/unused"}, NewSecret(testKey), srv.Client(), log)
	if err != nil {
		t.Fatal(err)
	}
	err1 := c.SetStatus(ctx, "1", StatusActive)
	_, err2 := c.Orders(ctx, "2018-01-01")
	text := err1.Error() + err2.Error() + buf.String()
	if strings.Contains(text, hash) || strings.Contains(text, testKey) {
		t.Errorf("a secret leaked:\n%s", text)
	}
	if !strings.Contains(err1.Error(), "[redacted]") || outbox.ClassOf(err2) != outbox.ClassPermanent {
		t.Errorf("errors: %v / %v", err1, err2)
	}
}

// TestSeparateLoginURL: api_login goes to login_url, the rest to url.
func TestSeparateLoginURL(t *testing.T) {
	p := portaltest.New(portaltest.Options{LoginPath: "/plain/api"})
	c, _ := newTestClient(t, p)
	if _, err := c.Orders(ctx, "2018-01-01"); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(p)
	cfg.LoginURL = ""
	log, _ := testLog(t)
	wrong, _ := NewClient(cfg, NewSecret(testKey), p.Client(), log)
	if _, err := wrong.Orders(ctx, "2018-01-01"); outbox.ClassOf(err) != outbox.ClassAuth {
		t.Errorf("login at the log URL: %v", err)
	}
}

func TestAddMessageAndCustomer(t *testing.T) {
	p := portalWithOrder()
	c, buf := newTestClient(t, p)
	if err := c.AddMessage(ctx, "1234", "Port finns ej", MessageError); err != nil {
		t.Fatal(err)
	}
	want := []portaltest.Message{{Order: 1234, APIUser: "1234", Type: "error", Text: "Port finns ej"}}
	if diff := cmp.Diff(want, p.Messages()); diff != "" {
		t.Errorf("messages (-want +got):\n%s", diff)
	}
	cu, err := c.CustomerInfo(ctx, "5678")
	if err != nil || cu.FirstName != "Åsa" || cu.Email != "asa@example.se" {
		t.Fatalf("customer: %v", err)
	}
	if strings.Contains(buf.String(), "Åsa") || strings.Contains(buf.String(), "asa@example") {
		t.Error("customer data in the log")
	}
}

func TestBadInputIsPermanentAndNotSent(t *testing.T) {
	p := portalWithOrder()
	c, _ := newTestClient(t, p)
	for name, err := range map[string]error{
		"id":      c.SetStatus(ctx, "12a", StatusActive),
		"status":  c.SetStatus(ctx, "1234", "done"),
		"type":    c.AddMessage(ctx, "1234", "x", "info"),
		"message": c.AddMessage(ctx, "1234", " ", MessageLog),
		"date":    func() error { _, err := c.Orders(ctx, "4/1/2018"); return err }(),
		"order":   func() error { _, err := c.OrderInfo(ctx, ""); return err }(),
	} {
		if outbox.ClassOf(err) != outbox.ClassPermanent {
			t.Errorf("%s: %v", name, err)
		}
	}
	if n := len(p.AllCalls()); n != 0 {
		t.Errorf("bad input reached the portal: %v", p.AllCalls())
	}
}

// TestRealSocket: the client over a real HTTP connection.
func TestRealSocket(t *testing.T) {
	p := portalWithOrder()
	srv := httptest.NewServer(p)
	defer srv.Close()
	log, _ := testLog(t)
	c, err := NewClient(Config{URL: srv.URL + "/plain/serviceguide_log", APIUser: "1234", APIKeyFile: "/unused"}, NewSecret(testKey), srv.Client(), log)
	if err != nil {
		t.Fatal(err)
	}
	ids, err := c.Orders(ctx, time.Now().Format(time.DateOnly))
	if err != nil || len(ids) != 1 {
		t.Fatalf("orders: %v %v", ids, err)
	}
	if err := c.SetStatus(ctx, "1234", StatusReceived); err != nil {
		t.Fatal(err)
	}
	if p.Status(1234) != "received" {
		t.Errorf("status %s", p.Status(1234))
	}
}

func TestConfigValidate(t *testing.T) {
	good := Config{URL: "https://www.stadsnatsportalen.se/plain/serviceguide_log", APIUser: "1234", APIKeyFile: "/etc/accessd/atlas-portal.key"}.WithDefaults()
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	if good.PollInterval != time.Minute || good.CustomerData != CustomerNone || good.LoginURL != good.URL {
		t.Errorf("defaults %+v", good)
	}
	bad := Config{URL: "ftp://x", LoginURL: "https://x/?api_key=secret", APIUser: "abc", PollInterval: time.Second, CustomerData: "all", Timeout: -1}
	err := bad.Validate()
	for _, want := range []string{"upstream.atlas_portal.url", "login_url", "no query", "api_user", "api_key_file: is required",
		"poll_interval: 1s is under 10s", `customer_data: "all"`, "timeout"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("want %q in %v", want, err)
		}
	}
}

func TestSecretAndCustomerRedacted(t *testing.T) {
	s := NewSecret("hunter2")
	c := Customer{ID: "1", FirstName: "Åsa", Email: "asa@example.se"}
	type wrapper struct {
		Key  Secret
		Cust Customer
		Ptr  *Customer
	}
	var b bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&b, nil))
	log.Info("x", "key", s, "customer", c, "wrapped", wrapper{s, c, &c})
	for _, text := range []string{
		b.String(),
		s.String(), c.String(),
		strings.Join([]string{
			sprintf("%v %+v %#v %s %q", s, s, s, s, s),
			sprintf("%v %+v %#v %s", c, c, c, c),
			sprintf("%v %+v", wrapper{s, c, &c}, wrapper{s, c, &c}),
		}, " "),
	} {
		if strings.Contains(text, "hunter2") || strings.Contains(text, "Åsa") || strings.Contains(text, "asa@") {
			t.Errorf("leaked: %s", text)
		}
	}
	if s.Reveal() != "hunter2" {
		t.Error("Reveal")
	}
}

func sprintf(format string, a ...any) string { return fmt.Sprintf(format, a...) }

// TestHTTP401IsAuth: a 401 to a call is tried once more with a new
// login, then pauses the sink (AuthRefused).
func TestHTTP401IsAuth(t *testing.T) {
	calls := map[string]int{}
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m := r.URL.Query().Get("method")
		mu.Lock()
		calls[m]++
		mu.Unlock()
		if m == "api_login" {
			w.Write([]byte("<api_login><response><hash_key>h</hash_key></response><status>success</status></api_login>"))
			return
		}
		http.Error(w, "401 Unauthorized", http.StatusUnauthorized)
	}))
	defer srv.Close()
	log, _ := testLog(t)
	c, err := NewClient(Config{URL: srv.URL + "/log", APIUser: "1234", APIKeyFile: "/unused"}, NewSecret(testKey), srv.Client(), log)
	if err != nil {
		t.Fatal(err)
	}
	err = c.SetStatus(ctx, "1", StatusActive)
	if outbox.ClassOf(err) != outbox.ClassAuth {
		t.Errorf("got %v (class %v)", err, outbox.ClassOf(err))
	}
	if diff := cmp.Diff(map[string]int{"api_login": 2, "set_status": 2}, calls); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
}
