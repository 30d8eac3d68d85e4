package portaltest

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stadsnat/accessd/internal/testkit"
)

// clock is a settable clock for the hash's life.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

const testHash = "0123456789abcdef0123456789abcdef"

// fixture is a portal with two orders and a customer, at a fixed time.
func fixture(t *testing.T) (*Portal, *clock) {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Stockholm")
	if err != nil {
		t.Fatal(err)
	}
	c := &clock{t: time.Date(2018, 1, 4, 9, 30, 0, 0, loc)}
	p := New(Options{Now: c.Now, NewHash: func() string { return testHash }, Location: loc})
	p.AddOrder(Order{ID: 1234, Socket: "AB123", ServiceUID: "AB100100", Date: "2018-01-10", CustomerID: 5678, XSPCID: "998877",
		Created: time.Date(2018, 1, 4, 8, 15, 0, 0, loc)})
	p.AddOrder(Order{ID: 1235, Status: "delivered", Socket: "AB124", ServiceUID: "AB100100",
		Created: time.Date(2018, 1, 5, 10, 0, 0, 0, loc)})
	p.AddOrder(Order{ID: 1200, Socket: "AB100", ServiceUID: "AB250250", Created: time.Date(2018, 1, 2, 10, 0, 0, 0, loc)})
	p.AddCustomer(Customer{ID: 5678, Socket: "AB123", Serial: "S-1", FirstName: "Test", Surname: "Testsson",
		Email: "test@example.se", Address: "Demogatan 123", Zip: "12345", City: "Demostad", Phone: "0701234567", Premise: "1101"})
	return p, c
}

func get(t *testing.T, h http.Handler, path, query string) (int, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path+"?"+query, nil))
	b, _ := io.ReadAll(rec.Result().Body)
	return rec.Code, string(b)
}

const logPath = "/plain/serviceguide_log"

// TestGolden: the answers are the ones in atlasportal's testdata, which
// its decoders are tested against; both follow assumptions.go.
func TestGolden(t *testing.T) {
	p, _ := fixture(t)
	h := "hash=" + testHash
	steps := []struct{ file, query string }{
		{"login_failed.xml", "method=api_login&api_user=1234&api_key=wrong"},
		{"login_success.xml", "method=api_login&api_user=1234&api_key=test-api-key"},
		{"orders.xml", "method=orders&date=2018-01-03&" + h},
		{"orders_empty.xml", "method=orders&date=2018-02-01&" + h},
		{"order_info.xml", "method=order_info&id=1234&" + h},
		{"order_info_unknown.xml", "method=order_info&id=999&" + h},
		{"customer_info.xml", "method=customer_info&id=5678&" + h},
		{"set_status.xml", "method=set_status&id=1234&status=received&" + h},
		{"set_status_backwards.xml", "method=set_status&id=1234&status=new&" + h},
		{"add_message.xml", "method=add_message&api_user=1234&id=1234&message=Port+finns+ej&type=error&" + h},
		{"hash_invalid.xml", "method=orders&date=2018-01-03&hash=nothash"},
		{"missing_method.xml", "hash=" + testHash},
	}
	for _, s := range steps {
		code, body := get(t, p, logPath, s.query)
		if code != http.StatusOK {
			t.Errorf("%s: HTTP %d", s.file, code)
		}
		testkit.Golden(t, filepath.Join("..", "testdata", s.file), body)
	}
}

// TestEnforces: each rule of the documentation (and of A2, A12, A13)
// gets the failure it names.
func TestEnforces(t *testing.T) {
	p, _ := fixture(t)
	code, body := get(t, p, logPath, "method=api_login&api_user=1234&api_key=test-api-key")
	if code != 200 || !strings.Contains(body, testHash) {
		t.Fatalf("login: %d %s", code, body)
	}
	h := "&hash=" + testHash
	for _, tt := range []struct{ query, reason string }{
		{"", "missing parameter method"},
		{"method=", "missing parameter method"},
		{"method=orders&method=orders&date=2018-01-01" + h, "parameter method given more than once"},
		{"method=drop_tables" + h, `unknown method "drop_tables"`},
		{"method=api_login&api_user=1234&api_key=nope", "wrong api_user or api_key"},
		{"method=api_login&api_user=9999&api_key=test-api-key", "wrong api_user or api_key"},
		{"method=api_login&api_user=1234", "missing parameter api_key"},
		{"method=api_login&api_user=1234&api_key=test-api-key&hash=x", `unknown parameter "hash"`},
		{"method=orders&date=2018-01-01", "missing parameter hash"},
		{"method=orders&date=2018-01-01&hash=", "missing parameter hash"},
		{"method=orders&date=2018-01-01&hash=abc", "invalid hash: log in with api_login"},
		{"method=orders" + h, "missing parameter date"},
		{"method=orders&date=4/1/2018" + h, `parameter date "4/1/2018" is not YYYY-MM-DD`},
		{"method=orders&date=2018-01-01&since=x" + h, `unknown parameter "since"`},
		{"method=orders&date=2018-01-01&date=2018-01-02" + h, "parameter date given more than once"},
		{"method=order_info&id=abc" + h, `parameter id "abc" is not an integer`},
		{"method=order_info&id=-1" + h, `parameter id "-1" is not an integer`},
		{"method=order_info&id=0012" + h, `parameter id "0012" is not an integer`},
		{"method=order_info&id=4" + h, "no order 4"},
		{"method=customer_info&id=1" + h, "no customer 1"},
		{"method=set_status&id=1234&status=done" + h, `status "done" is not one of new, received, active, waiting, cancelled, delivered`},
		{"method=set_status&id=1234" + h, "missing parameter status"},
		{"method=set_status&id=1235&status=active" + h, "status change from delivered to active is backwards"},
		{"method=add_message&id=1234&message=x&type=error" + h, "missing parameter api_user"},
		{"method=add_message&api_user=1234&id=1234&message=x&type=info" + h, `type "info" is not one of error, alert, system, log`},
		{"method=add_message&api_user=1234&id=1234&message=&type=log" + h, "missing parameter message"},
		{"method=add_message&api_user=4321&id=1234&message=x&type=log" + h, "api_user 4321 has no privileges"},
		{"method=add_message&api_user=1234&id=1234&message=x&type=log&hash=old", "invalid hash: log in with api_login"},
		{"method=customers&date=2018-01-01" + h + "&id=1", `unknown parameter "id"`},
	} {
		code, body := get(t, p, logPath, tt.query)
		if code != 200 || !strings.Contains(body, "<status>failed</status>") || !strings.Contains(body, "<message>"+xmlEscape(tt.reason)+"</message>") {
			t.Errorf("%q: %d\n%s\nwant failed with %q", tt.query, code, body, tt.reason)
		}
	}
	// add_message as documented, without a hash, is accepted.
	if _, body := get(t, p, logPath, "method=add_message&api_user=1234&id=1234&message=Port+finns+ej&type=error"); !strings.Contains(body, "success") {
		t.Errorf("add_message without hash: %s", body)
	}
	if code, _ := get(t, p, "/other", "method=orders"); code != 404 {
		t.Errorf("other path: %d", code)
	}
	rec := httptest.NewRecorder()
	p.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, logPath+"?method=orders", nil))
	if rec.Code != 405 {
		t.Errorf("POST: %d", rec.Code)
	}
	if n := p.Calls("orders"); n != 8 {
		t.Errorf("orders calls %d, want 8 (refused ones count)", n)
	}
}

func xmlEscape(s string) string {
	return strings.NewReplacer(`"`, "&#34;", "<", "&lt;", ">", "&gt;", "&", "&amp;").Replace(s)
}

// TestHashLifetime: a hash works for 20 minutes on the portal's clock,
// then is refused as expired.
func TestHashLifetime(t *testing.T) {
	p, c := fixture(t)
	get(t, p, logPath, "method=api_login&api_user=1234&api_key=test-api-key")
	q := "method=orders&date=2018-01-01&hash=" + testHash
	c.Add(HashLifetime - time.Second)
	if _, body := get(t, p, logPath, q); !strings.Contains(body, "success") {
		t.Fatalf("at 19m59s: %s", body)
	}
	c.Add(time.Second)
	if _, body := get(t, p, logPath, q); !strings.Contains(body, "hash expired: log in with api_login") {
		t.Fatalf("at 20m: %s", body)
	}
	if p.Logins() != 1 {
		t.Errorf("logins %d", p.Logins())
	}
}

// TestTransitionsCounted: each status change once, in order; a repeat is
// counted apart; a change backwards changes nothing.
func TestTransitionsCounted(t *testing.T) {
	p, _ := fixture(t)
	get(t, p, logPath, "method=api_login&api_user=1234&api_key=test-api-key")
	for _, s := range []string{"received", "received", "waiting", "active", "received", "delivered", "cancelled"} {
		get(t, p, logPath, "method=set_status&id=1234&status="+s+"&hash="+testHash)
	}
	want := []Transition{{1234, "new", "received"}, {1234, "received", "waiting"}, {1234, "waiting", "active"}, {1234, "active", "delivered"}}
	if diff := cmp.Diff(want, p.Transitions()); diff != "" {
		t.Errorf("transitions (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]Transition{{1234, "received", "received"}}, p.Repeats()); diff != "" {
		t.Errorf("repeats (-want +got):\n%s", diff)
	}
	if p.Status(1234) != "delivered" || len(p.Refusals()) != 2 {
		t.Errorf("status %s, refusals %v", p.Status(1234), p.Refusals())
	}
	_, body := get(t, p, logPath, "method=order_log&id=1234&hash="+testHash)
	if strings.Count(body, "<entry>") != 4 {
		t.Errorf("order_log:\n%s", body)
	}
}

// TestUplink: 503 and refused connections, in-process and over a real
// socket.
func TestUplink(t *testing.T) {
	p, _ := fixture(t)
	srv := httptest.NewServer(p)
	defer srv.Close()
	for _, c := range []struct {
		name string
		hc   *http.Client
		base string
	}{{"in-process", p.Client(), p.BaseURL()}, {"socket", srv.Client(), srv.URL + logPath}} {
		u := c.base + "?" + url.Values{"method": {"api_login"}, "api_user": {"1234"}, "api_key": {"test-api-key"}}.Encode()
		p.SetUplink(Unavailable)
		resp, err := c.hc.Get(u)
		if err != nil || resp.StatusCode != 503 {
			t.Errorf("%s unavailable: %v %v", c.name, resp, err)
		} else {
			resp.Body.Close()
		}
		p.SetUplink(Refusing)
		if resp, err := c.hc.Get(u); err == nil {
			resp.Body.Close()
			t.Errorf("%s refusing: answered %d", c.name, resp.StatusCode)
		}
		p.SetUplink(Up)
		resp, err = c.hc.Get(u)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("%s up: %v %v", c.name, resp, err)
		}
		resp.Body.Close()
	}
	if p.Logins() != 2 {
		t.Errorf("logins %d: a request during the outage reached the portal", p.Logins())
	}
}
