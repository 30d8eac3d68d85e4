package main_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stadsnat/accessd/cmd/accessd/internal/upstream/atlasportal/portaltest"
	"github.com/stadsnat/accessd/cmd/accessd/internal/upstream/cubit/cubittest"
	"github.com/stadsnat/accessd/cmd/accessd/internal/upstream/spapi/sptest"
	"github.com/stadsnat/accessd/cmd/internal/admin"
	"github.com/stadsnat/accessd/internal/testkit"
)

// hangSwitch stands in front of upstream test servers. While it hangs,
// every request is accepted and never answered: the handler holds it
// until the client gives up (or the test ends), and the server behind
// never sees it, so nothing a held request carried is applied. Released,
// requests pass again.
type hangSwitch struct {
	hanging atomic.Bool
	held    atomic.Int64 // requests held so far
	done    chan struct{}
}

func newHangSwitch() *hangSwitch { return &hangSwitch{done: make(chan struct{})} }

func (h *hangSwitch) Hang()    { h.hanging.Store(true) }
func (h *hangSwitch) Release() { h.hanging.Store(false) }

// stop lets the held requests go (unanswered) when the test ends.
func (h *hangSwitch) stop() { close(h.done) }

func (h *hangSwitch) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !h.hanging.Load() {
			next.ServeHTTP(w, r)
			return
		}
		h.held.Add(1)
		select {
		case <-r.Context().Done():
		case <-h.done:
		}
		panic(http.ErrAbortHandler) // close the connection: no answer, ever
	})
}

// front starts a loopback server that passes requests to target unless
// the switch hangs; it returns the front's URL.
func (h *hangSwitch) front(t *testing.T, target string) string {
	t.Helper()
	tu, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	p := httputil.NewSingleHostReverseProxy(tu)
	p.ErrorLog = log.New(io.Discard, "", 0)
	srv := httptest.NewUnstartedServer(h.wrap(p))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.Start()
	t.Cleanup(srv.Close)
	return srv.URL
}

// liveness times calls to the local APIs: each must answer within bound.
// A generous bound: this proves that nothing waits for the hanging
// upstream, it is not a performance figure.
type liveness struct {
	t     *testing.T
	bound time.Duration
	mu    sync.Mutex
	worst map[string]time.Duration
	calls int
}

func (l *liveness) check(name string, f func() error) {
	l.t.Helper()
	start := time.Now()
	err := f()
	took := time.Since(start)
	l.mu.Lock()
	l.worst[name] = max(l.worst[name], took)
	l.calls++
	l.mu.Unlock()
	if err != nil {
		l.t.Errorf("%s while the upstream hangs: %v (after %v)", name, err, took.Round(time.Millisecond))
	} else if took > l.bound {
		l.t.Errorf("%s took %v while the upstream hangs, want at most %v", name, took.Round(time.Millisecond), l.bound)
	}
}

// report logs the slowest answer of each API.
func (l *liveness) report(held int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.t.Logf("%d local calls while the upstream hung (%d upstream requests held); the slowest of each:", l.calls, held)
	for _, name := range slices.Sorted(maps.Keys(l.worst)) {
		l.t.Logf("  %-28s %v", name, l.worst[name].Round(time.Millisecond))
	}
}

// httpProbe asks the daemon with a client that gives up late, so that a
// blocked API shows as a long answer rather than a hung test.
var httpProbe = &http.Client{Timeout: 20 * time.Second}

func (u *upE2E) call(method, path, body, user string, want int, contains string) error {
	req, err := http.NewRequest(method, u.base+path, strings.NewReader(body))
	if err != nil {
		return err
	}
	if user != "" {
		name, pw, _ := strings.Cut(user, ":")
		req.SetBasicAuth(name, pw)
	}
	resp, err := httpProbe.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != want || !strings.Contains(string(b), contains) {
		return fmt.Errorf("%s %s: status %d, want %d with %q; body %.200s", method, path, resp.StatusCode, want, contains, b)
	}
	return nil
}

// ctlWithin runs accessctl, giving up after limit.
func (u *upE2E) ctlWithin(limit time.Duration, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	out, err := exec.CommandContext(ctx, u.accessct, append([]string{"-socket", u.sock}, args...)...).CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("accessctl %s: %w: %s", strings.Join(args, " "), err, out)
	}
	return string(out), nil
}

// isTimeout reports whether an upstream error is a time-out (the HTTP
// client's or the attempt's deadline).
func isTimeout(s string) bool {
	return strings.Contains(s, "Timeout exceeded") || strings.Contains(s, "deadline exceeded")
}

// The orders of the hang test; each access and service the demo
// inventory can take once.
var (
	hangAtlas = []string{"ALS10001", "ALS10002", "ALS10004", "ALS10007", "ALS10010", "ALS20011"} // BB100100, through Tjänsteguiden
	hangOld   = []string{"ALS10003", "ALS10008", "ALS30001", "ALS10001", "ALS10002"}             // IPTV, PI-API 2.2, customer kept
)

// TestUpstreamHangNeverBlocksLocalAPIs: the Atlas portal, Cubit, the
// provider's PI-API and the central inventory accept connections and
// never answer (their time-outs are 5 s) while the daemon has entries to
// deliver and orders are placed. Every local API answers within 2 s (4 s
// under the race detector) meanwhile: PI-API accesses and option82, ON-API dhcplookup, order POSTs,
// Tjänsteguiden's service_order, /readyz, accessctl status and accessctl
// upstream, also while accessctl customer waits for the provider.
// accessctl upstream shows the sinks failing with the time-out as the last
// error; an activation that must ask the provider fails with it as the
// cause. Once the upstream answers again, every entry arrives once.
func TestUpstreamHangNeverBlocksLocalAPIs(t *testing.T) {
	u := startUpstreamE2EWith(t, upOptions{hangable: true, fetchAtActivation: true})
	u.run()
	if code, out, errOut := u.ctl("import", "../../testdata/demo/accesses.csv"); code != 0 {
		t.Fatalf("accessctl import: exit %d\n%s%s", code, out, errOut)
	}
	// While the provider answers, one of its orders is activated (its
	// customer fetched): accessctl customer has someone to ask below.
	u.sp.Add(sptest.Entry{AccessID: "ALS20011", Service: "IPTV", SPReference: "sp-ref-1", Name: "Kalle Anka", Email: "kalle@example.se"})
	u.expect(u.req("POST", "/api/2.3/orders/", `{"accessId": "ALS20011", "service": "IPTV", "operation": "ACTIVATE",
		"forcedTakeover": false, "spReference": "sp-ref-1"}`, "basic", "sp:pw"), 201)
	testkit.WaitUntil(t, 15*time.Second, "the provider's order activated", func() bool {
		os := u.orders()
		return len(os) == 1 && os[0].State == "DONE_SUCCESS"
	})

	u.hang.Hang()
	hungAt := time.Now()
	importPlant(t, u)
	for i, socket := range hangAtlas {
		u.portal.AddOrder(portaltest.Order{ID: 301 + i, Socket: socket, ServiceUID: "BB100100"})
	}
	// The bound stays under the upstream's 5 s time-outs, so an API that
	// waited for the hanging upstream could not pass; the race detector
	// slows the daemon and accessctl several times over.
	bound := 2 * time.Second
	if testkit.RaceEnabled {
		bound = 4 * time.Second
	}
	lv := &liveness{t: t, bound: bound, worst: map[string]time.Duration{}}
	customer := make(chan string, 1)
	go func() { // waits for the provider, up to its time-out, while the probes go on
		start := time.Now()
		out, err := u.ctlWithin(20*time.Second, "customer", "ALS20011")
		if err != nil {
			out = err.Error()
		}
		customer <- fmt.Sprintf("(after %v)\n%s", time.Since(start).Round(time.Millisecond), out)
	}()
	// The provider's activation check hangs too: the order is taken at
	// once and fails with the time-out as its cause.
	lv.check("PI-API 2.3 order POST", func() error {
		return u.call("POST", "/api/2.3/orders/", `{"accessId": "ALS10010", "service": "IPTV", "operation": "ACTIVATE",
			"forcedTakeover": false, "spReference": "sp-ref-2"}`, "sp:pw", 201, `"state":"RECEIVED"`)
	})
	orders := hangOrders()
	for round := 0; ; round++ {
		if round < len(orders) {
			u.placeDuringHang(lv, orders[round])
		}
		u.probeLocalAPIs(lv)
		st := u.upstream()
		if round >= len(orders) && time.Since(hungAt) > 12*time.Second && timedOut(st, "atlas-portal") && timedOut(st, "cubit") &&
			st.Portal != nil && isTimeout(st.Portal.LastError) && st.Pull != nil && isTimeout(st.Pull.LastError) {
			break
		}
		if time.Since(hungAt) > 2*time.Minute {
			t.Fatalf("the upstream did not report time-outs within 2 minutes: sinks %+v, portal %+v, pull %+v", st.Sinks, st.Portal, st.Pull)
		}
		time.Sleep(300 * time.Millisecond)
	}
	if len(u.orders()) != 2+len(orders) {
		t.Fatalf("%d orders, want %d", len(u.orders()), 2+len(orders))
	}
	checkWhileHanging(t, u, customer)
	lv.report(u.hang.held.Load())

	u.hang.Release()
	checkDeliveredOnce(t, u)
}

// timedOut: the sink has entries waiting, delivered none, and its last
// error is a time-out.
func timedOut(st admin.Upstream, sink string) bool {
	for _, s := range st.Sinks {
		if s.Sink == sink {
			return s.Lag > 0 && s.Delivered == 0 && s.Failing > 0 && isTimeout(s.LastError)
		}
	}
	return false
}

// hangOrder is one order placed while the upstream hangs: the i-th of
// hangAtlas (through Tjänsteguiden, for the portal) or of hangOld (PI-API
// 2.2 with the customer kept, for Cubit).
type hangOrder struct {
	atlas bool
	i     int
}

// hangOrders interleaves the two kinds.
func hangOrders() []hangOrder {
	var out []hangOrder
	for i := range max(len(hangAtlas), len(hangOld)) {
		if i < len(hangAtlas) {
			out = append(out, hangOrder{true, i})
		}
		if i < len(hangOld) {
			out = append(out, hangOrder{false, i})
		}
	}
	return out
}

// placeDuringHang places o, timed.
func (u *upE2E) placeDuringHang(lv *liveness, o hangOrder) {
	if o.atlas {
		today := time.Now().In(mustStockholm(u.t)).Format(time.DateOnly)
		v := url.Values{"api_user": {"atlas"}, "api_key": {"secretkey"}, "method": {"service_order"}, "socket": {hangAtlas[o.i]},
			"service_uid": {"BB100100"}, "date": {today}, "origin": {"customer"}, "order": {strconv.Itoa(301 + o.i)}, "customer": {"900"}}
		lv.check("Tjänsteguiden service_order", func() error {
			return u.call("GET", "/atlas/api?"+v.Encode(), "", "", 200, "<status>success</status>")
		})
		return
	}
	lv.check("PI-API 2.2 order POST", func() error {
		return u.call("POST", "/api/2.2/orders/", `{"accessId": "`+hangOld[o.i]+`", "service": "IPTV", "operation": "ACTIVATE", "forcedTakeover": false,
			"customer": {"firstName": "Ola", "lastName": "Nordmann", "socialSecurityNumber": "`+hangCustomer(o.i)+`", "email": "ola@example.no", "phone": "40506070", "mobilePhone": ""},
			"deliveryAddress": {"smsNotificationPhone": "", "streetName": "Testveien", "streetNumber": "24", "streetLittera": "", "zipCode": "0484", "city": "Oslo"}}`,
			"old:pw", 201, `"state":"RECEIVED"`)
	})
}

// hangCustomer is the personal number of the i-th PI-API 2.2 order, in
// the format agreed with the test Cubit.
func hangCustomer(i int) string { return fmt.Sprintf("19850505%04d", i+1) }

// probeLocalAPIs asks each local API once.
func (u *upE2E) probeLocalAPIs(lv *liveness) {
	// ALS10001 is "127.0.0.1 acc0": remote-id 127.0.0.1, circuit-id acc0.
	hexTLV := "5211" + "0104" + fmt.Sprintf("%X", "acc0") + "0209" + fmt.Sprintf("%X", "127.0.0.1")
	lv.check("PI-API accesses", func() error {
		return u.call("GET", "/api/2.3/accesses/ALS10001", "", "sp:pw", 200, `"accessId":"ALS10001"`)
	})
	lv.check("PI-API option82", func() error {
		return u.call("GET", "/api/2.3/option82/"+hexTLV, "", "sp:pw", 200, `{"accessId":"ALS10001"}`)
	})
	lv.check("ON-API dhcplookup", func() error {
		return u.call("GET", "/onapi/2.6/dhcplookup/?ipv4CircuitId=acc0&ipv4RemoteId=127.0.0.1", "", "sp:pw", 200, `{"accessId":"ALS10001"}`)
	})
	lv.check("/readyz", func() error { return u.call("GET", "/readyz", "", "", 200, "ready") })
	lv.check("accessctl status", func() error {
		_, err := u.ctlWithin(20*time.Second, "status")
		return err
	})
	lv.check("accessctl upstream", func() error {
		out, err := u.ctlWithin(20*time.Second, "upstream")
		if err == nil && !strings.Contains(out, "atlas-portal") {
			err = fmt.Errorf("no atlas-portal sink in:\n%s", out)
		}
		return err
	})
}

// checkWhileHanging: what accessctl and the orders say while the upstream
// hangs.
func checkWhileHanging(t *testing.T, u *upE2E, customer <-chan string) {
	st := u.upstream()
	for _, s := range st.Sinks {
		t.Logf("sink %s while hanging: lag %d, failing %d, delivered %d, last error (%s) %q",
			s.Sink, s.Lag, s.Failing, s.Delivered, s.LastErrorClass, s.LastError)
		if (s.Sink == "atlas-portal" || s.Sink == "cubit") && (!timedOut(st, s.Sink) || s.LastErrorClass != "transient" || s.Paused) {
			t.Errorf("sink %s while the upstream hangs: want waiting entries, retries, a transient time-out as the last error, not paused: %+v", s.Sink, s)
		}
	}
	if p := st.Portal; p == nil || !isTimeout(p.LastError) {
		t.Errorf("the portal's follower while the portal hangs: %+v", p)
	}
	if p := st.Pull; p == nil || !isTimeout(p.LastError) {
		t.Errorf("the inventory pull while the central system hangs: %+v", p)
	}
	out, err := u.ctlWithin(20*time.Second, "upstream")
	if err != nil || strings.Count(out, "Timeout exceeded")+strings.Count(out, "deadline exceeded") < 2 {
		t.Errorf("accessctl upstream does not show the time-outs (%v):\n%s", err, out)
	}
	t.Logf("accessctl upstream while the upstream hangs:\n%s", out)

	select {
	case got := <-customer:
		if !strings.Contains(got, "could not answer") || !isTimeout(got) || strings.Contains(got, "Kalle") {
			t.Errorf("accessctl customer ALS20011 while the provider hangs:\n%s", got)
		}
		t.Logf("accessctl customer ALS20011 while the provider hangs %s", got)
	case <-time.After(20 * time.Second):
		t.Error("accessctl customer ALS20011 did not come back within 20 s: the provider's 5 s time-out does not hold")
	}
	testkit.WaitUntil(t, 20*time.Second, "the provider's order refused", func() bool {
		for _, o := range u.orders() {
			if o.AccessID == "ALS10010" && o.Service == "IPTV" {
				return strings.HasPrefix(o.State, "DONE_")
			}
		}
		return false
	})
	for _, o := range u.orders() {
		if o.AccessID == "ALS10010" && o.Service == "IPTV" {
			if o.State != "DONE_FAILED" || !strings.Contains(o.Message, "could not give the customer") || !isTimeout(o.Message) {
				b, _ := json.Marshal(o)
				t.Errorf("the provider's order while it hangs: want DONE_FAILED with the time-out as the cause: %s", b)
			}
		}
	}
}

// checkDeliveredOnce: once the upstream answers again, the portal's
// statuses end as the local orders, each transition once and in order,
// and Cubit gets each customer and the plant once.
func checkDeliveredOnce(t *testing.T, u *upE2E) {
	testkit.WaitUntil(t, 90*time.Second, "everything delivered after the hang", func() bool {
		st := u.upstream()
		for _, s := range st.Sinks {
			if s.Lag != 0 {
				return false
			}
		}
		return len(u.portal.Statuses()) == len(hangAtlas) && u.portalAsLocal() == ""
	})
	if d := u.portalAsLocal(); d != "" {
		t.Error(d)
	}
	for i := range hangAtlas {
		var got []string
		for _, tr := range u.portal.Transitions() {
			if tr.Order == 301+i {
				got = append(got, tr.From+">"+tr.To)
			}
		}
		if want := "new>received received>active active>delivered"; strings.Join(got, " ") != want {
			t.Errorf("portal order %d: transitions %v, want %s, once each", 301+i, got, want)
		}
	}
	if r := u.portal.Repeats(); len(r) > 0 {
		t.Errorf("transitions sent twice: %v", r)
	}
	for i := range hangOld {
		if _, ok := u.cubit.Customer("test", hangCustomer(i)); !ok {
			t.Errorf("customer %d is not in Cubit", i+1)
		}
	}
	ok := func(endpoint string) int { return u.cubit.Count(endpoint, 200) + u.cubit.Count(endpoint, 201) }
	if got := ok(cubittest.CustomerUpsert); got != len(hangOld) {
		t.Errorf("Cubit took %d customer upserts, want %d: each once", got, len(hangOld))
	}
	if got := ok(cubittest.PlantUpsert); got != 1 {
		t.Errorf("Cubit took %d plant upserts, want 1", got)
	}
	if s := u.sink("cubit"); s.Delivered != uint64(len(hangOld)+1) || s.Parked != 0 {
		t.Errorf("cubit's sink after the hang: %+v", s)
	}
}
