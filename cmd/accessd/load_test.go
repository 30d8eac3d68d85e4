package main_test

import (
	"bufio"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stadsnat/accessd/store/inventory/invtest"
)

// TestLoadFigures measures the figures against the running daemon
// with 100,000 accesses: the import through accessctl, the full PI V1
// export (time and peak RSS growth), an incremental export, and the
// option82 look-up under wrk beside nginx serving a static file of the
// same size in the same run. It is a measurement, not a pass/fail timing
// test: it runs only with ACCESSD_LOAD=1 and prints the figures.
//
//	ACCESSD_LOAD=1 go test ./cmd/accessd -run TestLoadFigures -v -timeout 20m
func TestLoadFigures(t *testing.T) {
	if os.Getenv("ACCESSD_LOAD") != "1" {
		t.Skip("set ACCESSD_LOAD=1 to take the load figures (needs wrk and nginx)")
	}
	for _, tool := range []string{"wrk", "nginx"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s not found: apt-get install wrk nginx-light", tool)
		}
	}
	e := startE2E(t)
	csv := filepath.Join(e.dir, "100k.csv")
	f, _ := os.Create(csv)
	if err := invtest.WriteCSV(f, 100_000, 1); err != nil {
		t.Fatal(err)
	}
	f.Close()

	var lastFull reply
	start := time.Now()
	if code, out, errOut := e.ctl("import", csv); code != 0 {
		t.Fatalf("import: %s %s", out, errOut)
	}
	t.Logf("FIGURE import of 100,000 accesses with accessctl (CSV parse, validation, store): %v", time.Since(start).Round(time.Millisecond))

	pid := e.cmd.Process.Pid
	sp := []string{"basic", "sp:pw"}
	// Cold: the first export after the import maps the store file's pages
	// (file-backed, shared with the page cache); warm: the next ones. The
	// sampler tracks anonymous (heap) and file-backed RSS separately.
	for i, label := range []string{"cold", "warm", "warm"} {
		anon0, file0 := procStatusKB(t, pid, "RssAnon"), procStatusKB(t, pid, "RssFile")
		os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0) // reset VmHWM
		hwm0 := procStatusKB(t, pid, "VmHWM")
		stop := make(chan struct{})
		peaks := make(chan [2]int)
		go func() {
			pa, pf := anon0, file0
			for {
				select {
				case <-stop:
					peaks <- [2]int{pa, pf}
					return
				case <-time.After(2 * time.Millisecond):
					pa = max(pa, procStatusKB(t, pid, "RssAnon"))
					pf = max(pf, procStatusKB(t, pid, "RssFile"))
				}
			}
		}()
		start = time.Now()
		full := e.get("/ko/api/1/", sp...)
		took := time.Since(start)
		close(stop)
		pk := <-peaks
		hwm := procStatusKB(t, pid, "VmHWM")
		t.Logf("FIGURE full GET /ko/api/1/ of 100,000 accesses #%d (%s): %v, %.1f MB; peak RSS growth %d MB (VmHWM %d → %d MB): anonymous +%d MB, file-backed +%d MB",
			i+1, label, took.Round(time.Millisecond), float64(len(full.body))/1e6, (hwm-hwm0)/1024, hwm0/1024, hwm/1024, (pk[0]-anon0)/1024, (pk[1]-file0)/1024)
		if i == 0 {
			lastFull = full
		}
	}
	full := lastFull

	lm := full.header.Get("Last-Modified")
	time.Sleep(1100 * time.Millisecond)
	changed := invtest.Generate(100_000, 1)[:100]
	var sb strings.Builder
	sb.WriteString("[")
	for i, a := range changed {
		if i > 0 {
			sb.WriteString(",")
		}
		fmt.Fprintf(&sb, `{"accessId":%q,"streetName":"Ändrad väg","postalCode":%q,"city":%q,"countryCode":"SE","premisesType":%q,"mduApartmentNumber":%q,"mduDistinguisher":%q,"activatable":%q,"sellable":%q,"option82":%q}`,
			a.AccessID, a.PostalCode, a.City, a.PremisesType, a.MDUApartmentNumber, a.MDUDistinguisher, a.Activatable, a.Sellable, a.Option82)
	}
	sb.WriteString("]")
	if r := e.req("POST", "/api/import/prod/access", sb.String(), "api-key", "k-prod"); r.status != 200 {
		t.Fatalf("change 100: %d %s", r.status, r.body)
	}
	best := time.Hour
	var inc reply
	for range 5 {
		start = time.Now()
		inc = e.get("/ko/api/1/", append(sp, "If-Modified-Since", lm)...)
		best = min(best, time.Since(start))
	}
	if !strings.Contains(inc.body, "<Count>100</Count>") {
		t.Fatalf("incremental export: %.200s", inc.body)
	}
	t.Logf("FIGURE incremental GET /ko/api/1/ with 100 changed of 100,000: best of 5 %v", best.Round(time.Microsecond))

	// option82 look-up under load, beside nginx with a static file of the
	// same size.
	a := invtest.Generate(100_000, 1)[4242]
	remote, circuit, _ := strings.Cut(a.Option82, " ")
	v := append([]byte{1, byte(len(circuit))}, circuit...)
	v = append(append(v, 2, byte(len(remote))), remote...)
	path := "/api/2.3/option82/" + strings.ToUpper(hex.EncodeToString(append([]byte{82, byte(len(v))}, v...)))
	lookup := e.get(path, sp...)
	if lookup.status != 200 {
		t.Fatalf("lookup: %d %s", lookup.status, lookup.body)
	}
	auth := "Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte("sp:pw"))
	accessdRPS, accessdP99 := wrk(t, e.base+path, auth)
	nginxURL := startNginx(t, e.dir, lookup.body)
	nginxRPS, nginxP99 := wrk(t, nginxURL, auth)
	t.Logf("FIGURE option82 look-up (wrk -t2 -c32 -d10s --latency): accessd %.0f req/s (p99 %s), nginx static file of the same %d bytes %.0f req/s (p99 %s): ratio %.2f",
		accessdRPS, accessdP99, len(lookup.body), nginxRPS, nginxP99, accessdRPS/nginxRPS)
}

func procStatusKB(t *testing.T, pid int, field string) int {
	t.Helper()
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if rest, ok := strings.CutPrefix(s.Text(), field+":"); ok {
			n, _ := strconv.Atoi(strings.Fields(rest)[0])
			return n
		}
	}
	t.Fatalf("no %s in /proc/%d/status", field, pid)
	return 0
}

var (
	reRPS = regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`)
	reP99 = regexp.MustCompile(`\s99%\s+(\S+)`)
)

func wrk(t *testing.T, url, header string) (float64, string) {
	t.Helper()
	out, err := exec.Command("wrk", "-t2", "-c32", "-d10s", "--latency", "-H", header, url).CombinedOutput()
	if err != nil {
		t.Fatalf("wrk: %v\n%s", err, out)
	}
	m := reRPS.FindSubmatch(out)
	p := reP99.FindSubmatch(out)
	if m == nil || p == nil {
		t.Fatalf("wrk output:\n%s", out)
	}
	if strings.Contains(string(out), "Non-2xx") {
		t.Fatalf("wrk saw errors:\n%s", out)
	}
	rps, _ := strconv.ParseFloat(string(m[1]), 64)
	return rps, string(p[1])
}

// startNginx serves body as a static file on a loopback port.
func startNginx(t *testing.T, dir, body string) string {
	t.Helper()
	root := filepath.Join(dir, "nginx")
	os.MkdirAll(filepath.Join(root, "www"), 0o755)
	os.WriteFile(filepath.Join(root, "www", "lookup.json"), []byte(body), 0o644)
	addr := freePort(t)
	user := ""
	if os.Geteuid() == 0 {
		user = "user root;\n" // the test's temporary directory is not readable by www-data
	}
	conf := user + fmt.Sprintf(`worker_processes 2;
error_log %[1]s/error.log;
pid %[1]s/nginx.pid;
events { worker_connections 1024; }
http {
  access_log off;
  default_type application/json;
  client_body_temp_path %[1]s/tmp;
  proxy_temp_path %[1]s/tmp;
  fastcgi_temp_path %[1]s/tmp;
  uwsgi_temp_path %[1]s/tmp;
  scgi_temp_path %[1]s/tmp;
  server { listen %[2]s; root %[1]s/www; }
}
`, root, addr)
	os.WriteFile(filepath.Join(root, "nginx.conf"), []byte(conf), 0o644)
	cmd := exec.Command("nginx", "-c", filepath.Join(root, "nginx.conf"), "-g", "daemon off;")
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Signal(os.Interrupt); cmd.Wait() })
	url := "http://" + addr + "/lookup.json"
	for range 50 {
		if r, err := http.Get(url); err == nil {
			io.Copy(io.Discard, r.Body)
			r.Body.Close()
			return url
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatal("nginx did not start")
	return ""
}
