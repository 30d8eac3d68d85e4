package main_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stadsnat/accessd/internal/testkit"
)

// e2e is accessd and accessctl built from this tree and run as processes.
type e2e struct {
	t        testing.TB
	dir      string
	accessd  string
	accessct string
	cfg      string
	base     string
	sock     string
	proc     *testkit.Process // the daemon; its log is proc.Log()
	// extra is configuration appended to the file; it replaces the snmp
	// section when it has one.
	extra string
	// httpExtra are more keys of the http section ("trusted_proxies: […]").
	httpExtra string
}

func startE2E(t *testing.T) *e2e { return startE2EWith(t, "") }

// startE2EWith is startE2E with extra configuration (see e2e.extra).
func startE2EWith(t *testing.T, extra string) *e2e { return startE2EHTTP(t, "", extra) }

// startE2EHTTP is startE2EWith with more keys of the http section (see
// e2e.httpExtra).
func startE2EHTTP(t *testing.T, httpExtra, extra string) *e2e {
	t.Helper()
	testkit.SkipShort(t, "end-to-end test that builds and runs the binaries")
	dir := t.TempDir()
	e := &e2e{t: t, dir: dir, extra: extra, httpExtra: httpExtra}
	bins := testkit.Binaries(t)
	e.accessd, e.accessct = bins.Accessd, bins.Accessctl
	addr := testkit.FreeTCPAddr(t)
	e.base = "http://" + addr
	e.sock = filepath.Join(dir, "admin.sock")
	e.cfg = filepath.Join(dir, "accessd.yaml")
	e.writeConfig("")
	e.run()
	return e
}

// run starts accessd on e.cfg (again, after it stopped), stops it when
// the test ends (showing its log when the test failed), and waits until
// /readyz answers 200.
func (e *e2e) run() {
	e.t.Helper()
	if e.proc == nil {
		e.proc = testkit.NewProcess(e.t, e.accessd, "-config", e.cfg)
	}
	e.proc.Start()
	e.proc.WaitReady(10*time.Second, testkit.HTTPReady(e.base+"/readyz"))
}

func (e *e2e) writeConfig(extraUser string) {
	e.t.Helper()
	snmp := "snmp: {enabled: false}\n"
	if strings.Contains(e.extra, "snmp:") {
		snmp = ""
	}
	adminYAML := fmt.Sprintf("admin: {socket: %s, mode: \"0600\"}\n", e.sock)
	httpKeys := ""
	if e.httpExtra != "" {
		httpKeys = ", " + e.httpExtra
	}
	if strings.Contains(e.extra, "admin:") {
		adminYAML = ""
	}
	y := fmt.Sprintf(`state_dir: %s
ko_id: E2E
environment: prod
http: {listen: ["%s"]%s}
%susers:
  - {name: sp, password: pw, apis: [pi-v1, pi-api, on-api]}
%s
import:
  api_keys: {test: k-test, prod: k-prod}
%sservices:
  - {uid: BB100100, type: broadband, capacity_kbit: 100000}
%s`, filepath.Join(e.dir, "state"), strings.TrimPrefix(e.base, "http://"), httpKeys, adminYAML, extraUser, snmp, e.extra)
	if err := os.WriteFile(e.cfg, []byte(y), 0o600); err != nil {
		e.t.Fatal(err)
	}
}

// ctl runs accessctl and returns its exit code and output.
func (e *e2e) ctl(args ...string) (int, string, string) {
	e.t.Helper()
	cmd := exec.Command(e.accessct, append([]string{"-socket", e.sock}, args...)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		e.t.Fatal(err)
	}
	return code, out.String(), errb.String()
}

type reply struct {
	status int
	header http.Header
	body   string
}

func (e *e2e) get(path string, hdr ...string) reply {
	e.t.Helper()
	return e.req("GET", path, "", hdr...)
}

func (e *e2e) req(method, path, body string, hdr ...string) reply {
	e.t.Helper()
	req, err := http.NewRequest(method, e.base+path, strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		if hdr[i] == "basic" {
			u, p, _ := strings.Cut(hdr[i+1], ":")
			req.SetBasicAuth(u, p)
			continue
		}
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return reply{resp.StatusCode, resp.Header, string(b)}
}

func (e *e2e) expect(r reply, status int, contains ...string) {
	e.t.Helper()
	if r.status != status {
		e.t.Errorf("status %d, want %d; body: %.300s", r.status, status, r.body)
	}
	for _, c := range contains {
		if !strings.Contains(r.body, c) {
			e.t.Errorf("body lacks %q: %.300s", c, r.body)
		}
	}
}

func TestEndToEnd(t *testing.T) {
	e := startE2E(t)
	demo := "../../testdata/demo/accesses.csv"

	// Import the demo inventory with accessctl.
	code, out, errOut := e.ctl("import", demo)
	if code != 0 {
		t.Fatalf("accessctl import: exit %d\n%s%s", code, out, errOut)
	}
	if !strings.Contains(out, "24 accesses") || !strings.Contains(out, "24 ") {
		t.Errorf("import summary: %s", out)
	}
	code, out, _ = e.ctl("-json", "status")
	var st struct {
		Ready bool
		Store struct{ Accesses int }
	}
	if code != 0 || json.Unmarshal([]byte(out), &st) != nil || !st.Ready || st.Store.Accesses != 24 {
		t.Errorf("accessctl status: exit %d, %s", code, out)
	}
	// accessctl -json access: camelCase keys (the store's Seq once leaked
	// through), and the global flags may follow the command.
	code, out, _ = e.ctl("access", "ALS10001", "-json")
	var acc map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &acc) != nil || acc["accessId"] != "ALS10001" || acc["seq"] == nil || acc["Seq"] != nil {
		t.Errorf("accessctl access ALS10001 -json: exit %d, %s", code, out)
	}

	sp := []string{"basic", "sp:pw"}
	// An answer covers the changes made before its own second (its
	// Last-Modified is never later than its Date): let the import's
	// second pass, so that the Last-Modified below covers the import.
	time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(time.Second)))
	// PI V1: auth, full export, 304, Last-Modified.
	e.expect(e.get("/ko/api/1/"), 401)
	e.expect(e.get("/ko/api/1/", "basic", "sp:wrong"), 401)
	full := e.get("/ko/api/1/", sp...)
	e.expect(full, 200, `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>`, "<Count>24</Count>", "<AccessId>ALS10001</AccessId>")
	lm := full.header.Get("Last-Modified")
	if _, err := http.ParseTime(lm); err != nil {
		t.Fatalf("Last-Modified %q: %v", lm, err)
	}
	nm := e.get("/ko/api/1/", append(sp, "If-Modified-Since", lm)...)
	e.expect(nm, 304)
	if nm.header.Get("Last-Modified") != lm {
		t.Errorf("304 Last-Modified %q, want %q", nm.header.Get("Last-Modified"), lm)
	}

	// PI-API and ON-API.
	e.expect(e.get("/api/2.3/accesses/", sp...), 200, `"accessId":"ALS10001"`)
	e.expect(e.get("/api/2.3/accesses/ALS10001", sp...), 200, `"active":[]`)
	e.expect(e.get("/api/2.3/accesses/NOSUCH", sp...), 404, `"cause"`)
	e.expect(e.get("/onapi/2.6/", sp...), 200, `"name":"accesses"`)
	e.expect(e.get("/onapi/2.6/accesses/", sp...), 200, `"accessState"`)
	// ALS10001 is "127.0.0.1 acc0": remote-id 127.0.0.1, circuit-id acc0.
	hexTLV := "5211" + "0104" + fmt.Sprintf("%X", "acc0") + "0209" + fmt.Sprintf("%X", "127.0.0.1")
	e.expect(e.get("/api/2.3/option82/"+hexTLV, sp...), 200, `{"accessId":"ALS10001"}`)
	e.expect(e.get("/onapi/2.6/option82/"+strings.ToLower(hexTLV), sp...), 200, `{"accessId":"ALS10001"}`)
	e.expect(e.get("/onapi/2.6/dhcplookup/?ipv4CircuitId=acc0&ipv4RemoteId=127.0.0.1", sp...), 200, `{"accessId":"ALS10001"}`)
	e.expect(e.get("/onapi/2.6/dhcplookup/?ipv4circuitid=rl-down", sp...), 200, `"accessId"`)

	// The import API: keys and environments.
	one := `{"accessId":"ALS10001","streetName":"Kungsgatan","streetNumber":"14","postalCode":"44130","city":"Alingsås",
	"countryCode":"SE","premisesType":"RESIDENTIAL_HOUSE","activatable":"YES","sellable":"YES","option82":"127.0.0.1 acc0"}`
	e.expect(e.req("POST", "/api/import/prod/access", one), 401)
	e.expect(e.req("POST", "/api/import/prod/access", one, "api-key", "nope"), 401)
	e.expect(e.req("POST", "/api/import/prod/access", one, "api-key", "k-test"), 400)
	e.expect(e.req("POST", "/api/import/test/access", one, "api-key", "k-test"), 400)
	e.expect(e.get("/api/access/environment/prod/byid/ALS10001", "api-key", "k-prod"), 200, `"streetNumber":"12"`)

	// A bad CSV changes nothing, and says where.
	before := e.get("/ko/api/1/", sp...).body
	code, _, errOut = e.ctl("import", "../../testdata/demo/bad.csv")
	if code == 0 || !strings.Contains(errOut, "line ") {
		t.Errorf("bad CSV: exit %d, stderr %q", code, errOut)
	}
	if after := e.get("/ko/api/1/", sp...).body; after != before {
		t.Error("a refused import changed the export")
	}

	// Change one access through the import API a second later: the
	// incremental export, a second after that, has exactly that one.
	time.Sleep(1100 * time.Millisecond)
	e.expect(e.req("POST", "/api/import/prod/access", one, "api-key", "k-prod"), 200, `"updated":1`)
	time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(time.Second)))
	inc := e.get("/ko/api/1/", append(sp, "If-Modified-Since", lm)...)
	e.expect(inc, 200, "<Count>1</Count>", "<StreetNumber>14</StreetNumber>")
	incJSON := e.get("/api/2.3/accesses/", append(sp, "If-Modified-Since", lm)...)
	e.expect(incJSON, 200, `"streetNumber":"14"`)
	if n := strings.Count(incJSON.body, `"accessId"`); n != 1 {
		t.Errorf("incremental PI-API export has %d accesses, want 1", n)
	}
	e.expect(e.get("/onapi/2.6/accesses/", append(sp, "If-Modified-Since", inc.header.Get("Last-Modified"))...), 304)

	// Every metric is named accessd_…, once.
	for _, line := range strings.Split(e.get("/metrics").body, "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if !strings.HasPrefix(line, "accessd_") || strings.HasPrefix(line, "accessd_accessd_") {
			t.Errorf("metric not named accessd_…: %s", line)
		}
	}
	e.expect(e.get("/metrics"), 200, "accessd_http_requests_total", "accessd_store_accesses 24", "accessd_build_info")

	// Backup through the running daemon.
	bk := filepath.Join(e.dir, "backup.db")
	if code, out, errOut := e.ctl("backup", bk); code != 0 {
		t.Errorf("backup: exit %d %s %s", code, out, errOut)
	}
	if fi, err := os.Stat(bk); err != nil || fi.Size() == 0 {
		t.Errorf("backup file: %v", err)
	}

	// SIGHUP: a broken file keeps the old configuration; a good one adds a user.
	os.WriteFile(e.cfg, []byte("state_dir: /x\nnonsense: true\n"), 0o600)
	e.proc.Signal(syscall.SIGHUP)
	// the daemon has handled the reload once it says it failed (a fixed
	// wait could check the old configuration before the reload ran)
	testkit.WaitUntil(t, 5*time.Second, "the failed reload in accessd's log", func() bool {
		return strings.Contains(e.proc.Log(), "configuration reload failed")
	})
	e.expect(e.get("/onapi/2.6/", sp...), 200)
	e.writeConfig("  - {name: sp2, password: pw2, apis: [on-api]}")
	e.proc.Signal(syscall.SIGHUP)
	deadline := time.Now().Add(5 * time.Second)
	for e.get("/onapi/2.6/", "basic", "sp2:pw2").status != 200 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	e.expect(e.get("/onapi/2.6/", "basic", "sp2:pw2"), 200)
	if !strings.Contains(e.proc.Log(), "configuration reload failed") {
		t.Error("the failed reload was not logged")
	}

	// SIGTERM: a clean stop.
	e.proc.Signal(syscall.SIGTERM)
	if err := e.proc.Wait(15 * time.Second); err != nil {
		t.Errorf("accessd exited with %v after SIGTERM", err)
	}

	// Restore the backup (taken before the last change) with the daemon
	// stopped, start again: the store is the backup's.
	cmd := exec.Command(e.accessct, "-config", e.cfg, "restore", bk)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("restore: %v\n%s", err, out)
	}
	e.run()
	e.expect(e.get("/api/access/environment/prod/byid/ALS10001", "api-key", "k-prod"), 200, `"streetNumber":"14"`)
	// A restore while the daemon runs is refused: the store's lock is held.
	if out, err := exec.Command(e.accessct, "-config", e.cfg, "restore", bk).CombinedOutput(); err == nil || !strings.Contains(string(out), "stop accessd first") {
		t.Errorf("restore under a running daemon: %v %s", err, out)
	}
}

// -check-config prints every problem with its line and exits non-zero; a
// good file exits 0. The shipped reference configuration is good.
func TestCheckConfig(t *testing.T) {
	testkit.SkipShort(t, "builds the daemon")
	dir := t.TempDir()
	accessd := testkit.Binaries(t).Accessd
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("environment: staging\nhttp:\n  listen: [nowhere]\nusers:\n  - {name: x, apis: [soap]}\n"), 0o600)
	out, err := exec.Command(accessd, "-check-config", "-config", bad).CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Errorf("bad config: %v, want exit 1", err)
	}
	for _, want := range []string{
		bad + ":1: environment:", bad + ":3: http.listen[0]:", bad + ":5: users[0]: needs password", bad + ":5: users[0].apis[0]:",
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	out, err = exec.Command(accessd, "-check-config", "-config", "../../packaging/accessd.yaml").CombinedOutput()
	if err != nil {
		t.Errorf("packaging/accessd.yaml: %v\n%s", err, out)
	}
	out, err = exec.Command(accessd, "-version").CombinedOutput()
	if err != nil || string(out) != "accessd e2e\n" {
		t.Errorf("-version: %q, %v", out, err)
	}
}
