package main_test

import (
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stadsnat/accessd/internal/testkit"
)

// startOrdersE2E runs accessd with Atlas, a service catalogue and a real
// activation hook (a script that records its input), on the demo
// inventory.
func startOrdersE2E(t *testing.T) (*e2e, string) {
	t.Helper()
	testkit.SkipShort(t, "end-to-end test that builds and runs the binaries")
	dir := t.TempDir()
	e := &e2e{t: t, dir: dir}
	bins := testkit.Binaries(t)
	e.accessd, e.accessct = bins.Accessd, bins.Accessctl
	addr := testkit.FreeTCPAddr(t)
	e.base = "http://" + addr
	e.sock = filepath.Join(dir, "admin.sock")
	e.cfg = filepath.Join(dir, "accessd.yaml")
	hookLog := filepath.Join(dir, "hook.log")
	hook := filepath.Join(dir, "activate")
	if err := os.WriteFile(hook, []byte("#!/bin/sh\ncat >> "+hookLog+"\necho >> "+hookLog+"\necho 'Aktiverad av e2e'\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	y := fmt.Sprintf(`state_dir: %s
ko_id: E2E
environment: prod
http: {listen: ["%s"]}
admin: {socket: %s, mode: "0600"}
users:
  - {name: sp, password: pw, apis: [pi-v1, pi-api, on-api]}
  - {name: old, password: pw, apis: [pi-api], pi_version: "2.2", customer_data: anonymous}
snmp: {enabled: false}
atlas:
  api_user: atlas
  api_key: secretkey
  return_urls: ["https://tg.example.se/serviceguide"]
  allowed_ips: [127.0.0.1/32]
services:
  - {uid: BB100100, name: "Bredband 100/100", type: broadband, media: [FTTH, FTTB], capacity_kbit: 100000, commitment_months: 12}
  - {uid: BB1000, name: "Bredband 1000/1000", type: broadband, capacity_kbit: 1000000}
  - {uid: IPTV, name: "IP-TV", type: tv}
activation:
  hook: %s
  timeout: 5s
  rules:
    - {code: 500, when: not_sellable, message: "Adressen är inte säljstartad"}
`, filepath.Join(dir, "state"), addr, e.sock, hook)
	if err := os.WriteFile(e.cfg, []byte(y), 0o600); err != nil {
		t.Fatal(err)
	}
	e.run()
	if code, out, errOut := e.ctl("import", "../../testdata/demo/accesses.csv"); code != 0 {
		t.Fatalf("accessctl import: exit %d\n%s%s", code, out, errOut)
	}
	return e, hookLog
}

// waitOrder polls an order until it is done.
func (e *e2e) waitOrder(path string, hdr ...string) map[string]any {
	e.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		r := e.get(path, hdr...)
		var o map[string]any
		json.Unmarshal([]byte(r.body), &o)
		if s, _ := o["state"].(string); strings.HasPrefix(s, "DONE_") {
			return o
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("order %s not done after 10s: %s", path, r.body)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestOrdersEndToEnd(t *testing.T) {
	e, hookLog := startOrdersE2E(t)
	sp := []string{"basic", "sp:pw"}

	// PI-API 2.3: order, poll, event, services, availability.
	r := e.req("POST", "/api/2.3/orders/", `{"accessId": "ALS10001", "service": "BB100100", "operation": "ACTIVATE",
		"forcedTakeover": false, "equipment": [{"vendorId": "CH_BROADBAND"}], "spReference": "ref-1"}`, sp...)
	e.expect(r, 201, `"state":"RECEIVED"`)
	loc := r.header.Get("Location")
	if !strings.HasPrefix(loc, "/api/2.3/orders/") {
		t.Fatalf("Location %q", loc)
	}
	if o := e.waitOrder(loc, sp...); o["state"] != "DONE_SUCCESS" {
		t.Fatalf("order: %v", o)
	}
	e.expect(e.get("/api/2.3/orderevents/", sp...), 200, `"state":"DONE_SUCCESS"`, loc)
	e.expect(e.get("/api/2.3/services/", sp...), 200, `{"service":"BB100100","accessId":"ALS10001","spReference":"ref-1"}`)
	e.expect(e.get("/api/2.3/accesses/ALS10001", sp...), 200, `"active":[{"service":"BB100100"`)
	e.expect(e.req("POST", "/api/2.3/orders/", `{"accessId": "ALS10001", "service": "BB1000", "operation": "ACTIVATE", "forcedTakeover": false}`, sp...),
		400, "Another Service of ServiceType 'broadband' is already active.")
	b, err := os.ReadFile(hookLog)
	if err != nil || !strings.Contains(string(b), `"accessId":"ALS10001"`) || !strings.Contains(string(b), `"option82":"127.0.0.1 acc0"`) {
		t.Errorf("the hook did not get the order on stdin: %s %v", b, err)
	}

	// PI-API 2.2 with customer data (kept anonymously): never in the log.
	r = e.req("POST", "/api/2.2/orders/", `{"accessId": "ALS10002", "service": "IPTV", "operation": "ACTIVATE", "forcedTakeover": false,
		"customer": {"firstName": "Kalle", "lastName": "Anka", "socialSecurityNumber": "192012317777", "email": "karl@ankeborg.se", "phone": "", "mobilePhone": ""},
		"deliveryAddress": {"smsNotificationPhone": "", "streetName": "Testvägen", "streetNumber": "100", "streetLittera": "", "zipCode": "10000", "city": "Ankeborg"}}`,
		"basic", "old:pw")
	e.expect(r, 201)
	e.waitOrder(r.header.Get("Location"), "basic", "old:pw")

	// ON-API: order, list, events in the endpoint list.
	e.expect(e.get("/onapi/2.6/", sp...), 200, `"name":"orders"`, `"name":"orderevents"`)
	r = e.req("POST", "/onapi/2.6/orders/", `{"accessId": "ALS10003", "service": "IPTV", "operation": "ACTIVATE"}`, sp...)
	e.expect(r, 201, `"subscriptionId"`)
	e.waitOrder(r.header.Get("Location"), sp...)
	e.expect(e.get("/onapi/2.6/orderevents/", sp...), 200, `"path":"/onapi/2.6/orders/`)

	// Atlas: the API from an allowed address with the API user.
	q := func(p ...string) string {
		v := url.Values{"api_user": {"atlas"}, "api_key": {"secretkey"}}
		for i := 0; i+1 < len(p); i += 2 {
			v.Set(p[i], p[i+1])
		}
		return "/atlas/api?" + v.Encode()
	}
	e.expect(e.get(q("method", "service_deliverable", "socket", "ALS10001", "service_uid", "BB1000", "origin", "customer")), 200,
		"<code>400</code>", "<service>BB100100</service>")
	today := time.Now().In(mustStockholm(t)).Format(time.DateOnly)
	e.expect(e.get(q("method", "service_order", "socket", "ALS10004", "service_uid", "BB100100", "date", today, "origin", "customer", "order", "4711")),
		200, "<status>success</status>")
	deadline := time.Now().Add(10 * time.Second)
	for {
		r = e.get(q("method", "port_status", "socket", "ALS10004"))
		if strings.Contains(r.body, "<id>BB100100</id>") || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	e.expect(r, 200, "<id>BB100100</id>", "<message>Aktiverad av e2e</message>", "<status>success</status>")
	e.expect(e.get("/atlas/api?method=port_status&socket=ALS10004&api_user=atlas&api_key=wrong"), 401, "<code>591</code>")

	// The bounce: from 127.0.0.1, which has no DHCP binding: "not found".
	key := md5.Sum([]byte("atlas" + "secretkey" + "42"))
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noRedirect.Get(e.base + "/atlas/bounce?return_url=" + url.QueryEscape("https://tg.example.se/serviceguide?x=1") +
		"&api_key=" + hex.EncodeToString(key[:]) + "&api_secret=42")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if l := resp.Header.Get("Location"); resp.StatusCode != 302 || !strings.HasPrefix(l, "https://tg.example.se/serviceguide?x=1&status=not+found&") {
		t.Errorf("bounce: %d %q", resp.StatusCode, l)
	}
	resp, err = noRedirect.Get(e.base + "/atlas/bounce?return_url=" + url.QueryEscape("https://evil.example/") + "&api_key=x&api_secret=42")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 400 || resp.Header.Get("Location") != "" {
		t.Errorf("bounce to a foreign return_url: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}

	// accessctl.
	code, out, _ := e.ctl("services", "ALS10004")
	if code != 0 || !strings.Contains(out, "BB100100") || !strings.Contains(out, "atlas") {
		t.Errorf("accessctl services: %d\n%s", code, out)
	}
	code, out, _ = e.ctl("orders", "--state", "DONE_SUCCESS")
	if code != 0 || strings.Count(out, "DONE_SUCCESS") != 4 {
		t.Errorf("accessctl orders --state DONE_SUCCESS: %d\n%s", code, out)
	}
	code, out, _ = e.ctl("-json", "orders", "--access", "ALS10004")
	var list []struct{ ID string }
	if code != 0 || json.Unmarshal([]byte(out), &list) != nil || len(list) != 1 {
		t.Fatalf("accessctl -json orders --access: %d\n%s", code, out)
	}
	code, out, _ = e.ctl("order", list[0].ID)
	if code != 0 || !strings.Contains(out, "order 4711") || !strings.Contains(out, "IN_PROGRESS") {
		t.Errorf("accessctl order: %d\n%s", code, out)
	}
	if code, _, errOut := e.ctl("orders", "--state", "LOST"); code != 2 || !strings.Contains(errOut, "LOST") {
		t.Errorf("accessctl orders --state LOST: exit %d %s", code, errOut)
	}

	// Personal data never reaches the log.
	for _, pd := range []string{"Kalle", "Anka", "192012317777", "karl@ankeborg.se"} {
		if strings.Contains(e.proc.Log(), pd) {
			t.Errorf("accessd's log has customer data %q", pd)
		}
	}
}

func mustStockholm(t testing.TB) *time.Location {
	loc, err := time.LoadLocation("Europe/Stockholm")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}
