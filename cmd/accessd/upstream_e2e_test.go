package main_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
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

// Secrets of the upstream e2e: none may reach accessd's log or accessctl.
const (
	e2ePortalKey = "portal-key-7f3a"
	e2eCubitKey  = "cubit-test-key-91c2"
	e2eSPPass    = "sp-pass-0d5e"
	e2ePullPass  = "central-pass-55aa"
)

// upE2E is the real daemon with the upstream systems it talks to, each a
// loopback httptest server that enforces its document.
type upE2E struct {
	*e2e
	portal *portaltest.Portal
	delay  atomic.Int64 // ns each portal request waits
	cubit  *cubittest.Server
	sp     *sptest.Server
	pull   *pullSource
	// hang, when switched on, holds every request to the portal, Cubit,
	// the provider and the pull unanswered (upOptions.hangable).
	hang *hangSwitch
}

// upOptions change what startUpstreamE2EWith sets up.
type upOptions struct {
	// hangable puts Cubit and the provider behind u.hang too (the portal
	// and the pull always are): one more loopback hop.
	hangable bool
	// fetchAtActivation makes the provider sp's activations ask it for
	// the customer.
	fetchAtActivation bool
}

// pullSource serves a PI V1 export like the KO's central system: HTTP
// Basic, GET, Last-Modified and 304 for an unchanged If-Modified-Since.
type pullSource struct {
	mu   sync.Mutex
	body []byte
	lm   time.Time
}

// set serves file from lm on; its Option82 texts are moved off the demo
// inventory's switch, which the test imports too.
func (s *pullSource) set(t *testing.T, file string, lm time.Time) {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	b = bytes.ReplaceAll(b, []byte("192.168.248.85"), []byte("10.99.0.1"))
	s.mu.Lock()
	s.body, s.lm = b, lm
	s.mu.Unlock()
}

func (s *pullSource) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u, p, ok := r.BasicAuth(); !ok || u != "ko" || p != e2ePullPass {
		w.Header().Set("WWW-Authenticate", `Basic realm="ko"`)
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	if r.Method != http.MethodGet {
		http.Error(w, "GET only", http.StatusMethodNotAllowed)
		return
	}
	if ims, err := http.ParseTime(r.Header.Get("If-Modified-Since")); err == nil && !s.lm.After(ims) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("Last-Modified", s.lm.UTC().Format(http.TimeFormat))
	w.Header().Set("Content-Type", "application/xml")
	w.Write(s.body)
}

func secret(t *testing.T, dir, name, v string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(v+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// startUpstreamE2E writes the configuration and starts the daemon (not
// yet: call run) with the portal, Cubit, a provider and the pull.
func startUpstreamE2E(t *testing.T) *upE2E { return startUpstreamE2EWith(t, upOptions{}) }

// startUpstreamE2EWith is startUpstreamE2E with options.
func startUpstreamE2EWith(t *testing.T, o upOptions) *upE2E {
	t.Helper()
	testkit.SkipShort(t, "end-to-end test that builds and runs the binaries")
	dir := t.TempDir()
	u := &upE2E{e2e: &e2e{t: t, dir: dir}}
	bins := testkit.Binaries(t)
	u.accessd, u.accessct = bins.Accessd, bins.Accessctl
	u.portal = portaltest.New(portaltest.Options{APIKey: e2ePortalKey, Location: mustStockholm(t)})
	u.hang = newHangSwitch()
	psrv := httptest.NewServer(u.hang.wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(time.Duration(u.delay.Load()))
		u.portal.ServeHTTP(w, r)
	})))
	t.Cleanup(psrv.Close)
	var err error
	// The format agreed with this Cubit: Swedish personal numbers with a
	// real date. The KO's configuration says only twelve digits, so a
	// samordningsnummer (day + 60) passes accessd and Cubit refuses it.
	if u.cubit, err = cubittest.New(cubittest.Config{Keys: map[string]string{"test": e2eCubitKey, "prod": "cubit-prod-key"},
		NumberFormat: `(19|20)[0-9]{2}(0[1-9]|1[0-2])(0[1-9]|[12][0-9]|3[01])[0-9]{4}`}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(u.cubit.Close)
	u.sp = sptest.New(sptest.Config{User: "ko", Password: e2eSPPass})
	t.Cleanup(u.sp.Close)
	u.pull = &pullSource{}
	u.pull.set(t, "internal/upstream/testdata/piv1-three.xml", time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	pullSrv := httptest.NewServer(u.hang.wrap(u.pull))
	t.Cleanup(pullSrv.Close)
	cubitURL, spRoot := u.cubit.URL, u.sp.Root()
	if o.hangable {
		cubitURL = u.hang.front(t, u.cubit.URL)
		spRoot = u.hang.front(t, u.sp.URL) + strings.TrimPrefix(u.sp.Root(), u.sp.URL)
	}
	fetch := ""
	if o.fetchAtActivation {
		fetch = ", fetch_at_activation: true"
	}

	addr := testkit.FreeTCPAddr(t)
	u.base, u.sock, u.cfg = "http://"+addr, filepath.Join(dir, "admin.sock"), filepath.Join(dir, "accessd.yaml")
	hook := filepath.Join(dir, "activate")
	if err := os.WriteFile(hook, []byte("#!/bin/sh\ncat > /dev/null\necho 'Aktiverad'\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	y := fmt.Sprintf(`state_dir: %s
environment: test
http: {listen: ["%s"]}
admin: {socket: %s, mode: "0600"}
users:
  - name: sp
    password: pw
    apis: [pi-api, on-api]
    customer_api: {url: "%s", username: ko, password_file: %s, timeout: 5s%s}
  - {name: old, password: pw, apis: [pi-api], pi_version: "2.2", customer_data: store}
snmp: {enabled: false}
atlas:
  api_user: atlas
  api_key: secretkey
  allowed_ips: [127.0.0.1/32]
services:
  - {uid: BB100100, name: "Bredband 100/100", type: broadband}
  - {uid: IPTV, name: "IP-TV", type: tv}
activation: {hook: %s, timeout: 5s}
upstream:
  atlas_portal: {url: "%s/plain/serviceguide_log", api_user: "1234", api_key_file: %s, poll_interval: 10s, timeout: 5s}
  cubit: {url: "%s", api_key_file: %s, environment: test, number_format: "[0-9]{12}", timeout: 5s}
  inventory_pull: {name: central, url: "%s/ko/api/1/", format: pi-v1, username: ko, password_file: %s, interval: 300ms, timeout: 5s}
  outbox: {backoff_initial: 50ms, backoff_max: 300ms, poll_interval: 200ms, attempt_timeout: 5s}
`, filepath.Join(dir, "state"), addr, u.sock, spRoot, secret(t, dir, "sp.pw", e2eSPPass), fetch, hook,
		psrv.URL, secret(t, dir, "portal.key", e2ePortalKey), cubitURL, secret(t, dir, "cubit.key", e2eCubitKey),
		pullSrv.URL, secret(t, dir, "pull.pw", e2ePullPass))
	if err := os.WriteFile(u.cfg, []byte(y), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(u.hang.stop) // before the servers close: they wait for held requests
	return u
}

// atlasOrder is Tjänsteguiden's service_order for today, carrying the
// portal's order id.
func (u *upE2E) atlasOrder(order int, socket, service string) {
	u.t.Helper()
	today := time.Now().In(mustStockholm(u.t)).Format(time.DateOnly)
	v := url.Values{"api_user": {"atlas"}, "api_key": {"secretkey"}, "method": {"service_order"}, "socket": {socket},
		"service_uid": {service}, "date": {today}, "origin": {"customer"}, "order": {strconv.Itoa(order)}, "customer": {"900"}}
	u.expect(u.get("/atlas/api?"+v.Encode()), 200, "<status>success</status>")
}

// upstream is accessctl -json upstream.
func (u *upE2E) upstream() admin.Upstream {
	u.t.Helper()
	code, out, errOut := u.ctl("-json", "upstream")
	var st admin.Upstream
	if code != 0 || json.Unmarshal([]byte(out), &st) != nil {
		u.t.Fatalf("accessctl -json upstream: exit %d %s%s", code, out, errOut)
	}
	return st
}

func (u *upE2E) sink(name string) admin.UpstreamSink {
	u.t.Helper()
	for _, s := range u.upstream().Sinks {
		if s.Sink == name {
			return s
		}
	}
	u.t.Fatalf("no sink %s in accessctl upstream", name)
	return admin.UpstreamSink{}
}

// orders is accessctl -json orders (all of them).
func (u *upE2E) orders() []admin.Order {
	u.t.Helper()
	code, out, errOut := u.ctl("-json", "orders", "--limit", "0")
	var os []admin.Order
	if code != 0 || json.Unmarshal([]byte(out), &os) != nil {
		u.t.Fatalf("accessctl -json orders: exit %d %s%s", code, out, errOut)
	}
	return os
}

// portalAsLocal compares the portal with the local orders carrying an
// Atlas order id: statuses equal, one local order per portal order, each
// transition once (no repeat, nothing refused).
func (u *upE2E) portalAsLocal() string {
	want, per := map[int]string{}, map[string]int{}
	for _, o := range u.orders() {
		if o.Atlas == nil || o.Atlas.Order == "" {
			continue
		}
		id, _ := strconv.Atoi(o.Atlas.Order)
		per[o.Atlas.Order]++
		switch o.State {
		case "DONE_SUCCESS":
			want[id] = "delivered"
		case "DONE_FAILED":
			want[id] = "cancelled"
		case "IN_PROGRESS":
			want[id] = "active"
		default:
			want[id] = "received"
			if o.Due.After(time.Now()) {
				want[id] = "waiting"
			}
		}
	}
	got := u.portal.Statuses()
	var diffs []string
	for id, s := range got {
		if want[id] != s {
			diffs = append(diffs, fmt.Sprintf("order %d: portal %s, local %s", id, s, want[id]))
		}
	}
	for o, n := range per {
		if n != 1 {
			diffs = append(diffs, fmt.Sprintf("portal order %s has %d local orders", o, n))
		}
	}
	if r := u.portal.Repeats(); len(r) > 0 {
		diffs = append(diffs, fmt.Sprintf("repeats %v", r))
	}
	if r := u.portal.Refusals(); len(r) > 0 {
		diffs = append(diffs, fmt.Sprintf("refusals %v", r))
	}
	return strings.Join(diffs, "; ")
}

// -check-config refuses a Cubit environment other than the daemon's,
// naming the line.
func TestCheckConfigRefusesOtherCubitEnvironment(t *testing.T) {
	testkit.SkipShort(t, "builds the daemon")
	dir := t.TempDir()
	cfg := filepath.Join(dir, "accessd.yaml")
	y := "environment: test\nupstream:\n  cubit:\n    url: https://plants.cubit.no\n    api_key_file: " +
		secret(t, dir, "cubit.key", "k") + "\n    environment: prod\n"
	if err := os.WriteFile(cfg, []byte(y), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(testkit.Binaries(t).Accessd, "-check-config", "-config", cfg).CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Errorf("-check-config: %v, want exit 1\n%s", err, out)
	}
	want := cfg + `:6: upstream.cubit.environment: "prod" is not this daemon's environment "test"`
	if !strings.Contains(string(out), want) {
		t.Errorf("output lacks %q:\n%s", want, out)
	}
}
