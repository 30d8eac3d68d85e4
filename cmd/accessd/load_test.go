package main_test

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stadsnat/accessd/internal/benchfig"
	"github.com/stadsnat/accessd/internal/testkit"
	"github.com/stadsnat/accessd/store/inventory"
	"github.com/stadsnat/accessd/store/inventory/invtest"
)

// TestLoadFigures measures the HTTP figures against the running daemon
// with 100,000 accesses: the import through accessctl, the full PI V1
// export (time and peak RSS growth) beside nginx serving the same bytes as
// a file, an incremental export, and the look-ups (PI-API and ON-API
// option82, ON-API dhcplookup, Atlas port_status and the bounce URL) under
// wrk beside a bare net/http handler and nginx writing the same bytes, in
// the same run. It is a measurement, not a pass/fail timing test: it runs
// only with ACCESSD_LOAD=1 and prints the figures (FIGURE lines for people,
// BENCHFIG lines for the bench command). ACCESSD_BENCH_SHORT=1 takes the
// short form: 10,000 accesses, 3 s of wrk per figure.
//
//	ACCESSD_LOAD=1 go test ./cmd/accessd -run TestLoadFigures -v -timeout 20m
func TestLoadFigures(t *testing.T) {
	testkit.SkipShort(t, "load figures")
	if os.Getenv("ACCESSD_LOAD") != "1" {
		t.Skip("set ACCESSD_LOAD=1 to take the load figures (needs wrk and nginx)")
	}
	for _, tool := range []string{"wrk", "nginx"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s not found: apt-get install wrk nginx-light", tool)
		}
	}
	n, short := 100_000, benchfig.Short()
	if short {
		n = 10_000
	}
	relay := testkit.FreeUDPPort(t)
	e := startE2EHTTP(t, "trusted_proxies: [127.0.0.1/32]", fmt.Sprintf(`dhcp:
  relay: {listen: "127.0.0.1:%d", allowed_sources: [127.0.0.1/32]}
atlas:
  api_user: atlas
  api_key: secretkey
  return_urls: ["https://tg.example.se/serviceguide"]
  allowed_ips: [127.0.0.1/32]
`, relay))
	csv := filepath.Join(e.dir, "accesses.csv")
	f, _ := os.Create(csv)
	if err := invtest.WriteCSV(f, n, 1); err != nil {
		t.Fatal(err)
	}
	f.Close()

	start := time.Now()
	if code, out, errOut := e.ctl("import", csv); code != 0 {
		t.Fatalf("import: %s %s", out, errOut)
	}
	took := time.Since(start)
	t.Logf("FIGURE import of %d accesses with accessctl (CSV parse, validation, store): %v", n, took.Round(time.Millisecond))
	benchfig.Report(t, benchfig.Figure{Name: fmt.Sprintf("import of %s accesses, accessctl (CSV)", benchfig.Number(float64(n))),
		Unit: "s", Value: took.Seconds(), Goal: 10, Source: "#2", Scaled: short})

	// An answer covers the changes before its own second: the export's
	// Last-Modified then stands for the whole import.
	time.Sleep(1100 * time.Millisecond)
	full := exportFigures(t, e, n, short)
	incrementalFigure(t, e, full, n, short)
	lookupFigures(t, e, n, relay, short)
}

// exportFigures takes the full PI V1 export: cold (the first after the
// import maps the store file's pages, file-backed and shared with the page
// cache) and warm, with the peak RSS growth during each, then nginx
// serving the same bytes as a file. It returns the (cold) export.
func exportFigures(t *testing.T, e *e2e, n int, short bool) reply {
	pid := e.proc.Pid()
	sp := []string{"basic", "sp:pw"}
	var first reply
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
		start := time.Now()
		full := e.get("/ko/api/1/", sp...)
		took := time.Since(start)
		close(stop)
		pk := <-peaks
		hwm := procStatusKB(t, pid, "VmHWM")
		if full.status != 200 {
			t.Fatalf("export: %d", full.status)
		}
		t.Logf("FIGURE full GET /ko/api/1/ of %d accesses #%d (%s): %v, %.1f MB; peak RSS growth %d MB (VmHWM %d → %d MB): anonymous +%d MB, file-backed +%d MB",
			n, i+1, label, took.Round(time.Millisecond), float64(len(full.body))/1e6, (hwm-hwm0)/1024, hwm0/1024, hwm/1024, (pk[0]-anon0)/1024, (pk[1]-file0)/1024)
		if i == 0 {
			first = full
			benchfig.Report(t, benchfig.Figure{Name: "full PI V1 export, cold: peak RSS growth", Unit: "MB",
				Value: float64(hwm-hwm0) / 1024, Goal: 50, Source: "#2", Scaled: short})
			benchfig.Report(t, benchfig.Figure{Name: "full PI V1 export, cold", Unit: "s", Value: took.Seconds(), Goal: 1.5, Source: "#2", Scaled: short})
		}
	}
	// Then the warm export beside nginx serving the same bytes as a file:
	// five rounds of one each, read the same way (into io.Discard), the
	// best of each kept.
	nginx := startNginx(t, e.dir, []nginxSite{{path: "/export.xml", body: first.body, header: first.header}})
	best, bestNginx := time.Hour, time.Hour
	for range 5 {
		best = min(best, timeGET(t, e.base+"/ko/api/1/", "sp", "pw", len(first.body)))
		bestNginx = min(bestNginx, timeGET(t, nginx+"/export.xml", "", "", len(first.body)))
	}
	t.Logf("FIGURE full export, warm, best of 5: %v; nginx serving the same %.1f MB as a file, best of 5: %v: %.2f× its time",
		best.Round(time.Millisecond), float64(len(first.body))/1e6, bestNginx.Round(time.Millisecond), best.Seconds()/bestNginx.Seconds())
	benchfig.Report(t, benchfig.Figure{Name: fmt.Sprintf("full PI V1 export of %s accesses (%.0f MB), warm, best of 5", benchfig.Number(float64(n)), float64(len(first.body))/1e6),
		Unit: "s", Value: best.Seconds(), Peer: "nginx, same bytes as a file", PeerValue: bestNginx.Seconds(), Goal: 0.5, Source: "#15: ≤ 2× nginx"})
	return first
}

// timeGET times a GET of url (HTTP Basic when user is set) read into
// io.Discard, and checks it brought size bytes.
func timeGET(t *testing.T, url, user, pass string, size int) time.Duration {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	start := time.Now()
	r, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.Copy(io.Discard, r.Body)
	r.Body.Close()
	took := time.Since(start)
	if r.StatusCode != 200 || got != int64(size) {
		t.Fatalf("GET %s: %d, %d bytes of %d", url, r.StatusCode, got, size)
	}
	return took
}

// incrementalFigure changes 100 accesses and times the incremental export
// since the full one's Last-Modified.
func incrementalFigure(t *testing.T, e *e2e, full reply, n int, short bool) {
	lm := full.header.Get("Last-Modified")
	time.Sleep(1100 * time.Millisecond)
	changed := invtest.Generate(n, 1)[:100]
	for i := range changed {
		changed[i].StreetName = "Ändrad väg"
	}
	var sb strings.Builder
	if err := inventory.WriteJSON(&sb, slices.Values(changed)); err != nil {
		t.Fatal(err)
	}
	if r := e.req("POST", "/api/import/prod/access", sb.String(), "api-key", "k-prod"); r.status != 200 {
		t.Fatalf("change 100: %d %s", r.status, r.body)
	}
	time.Sleep(1100 * time.Millisecond) // the answers cover the changes of the seconds before theirs
	best := time.Hour
	var inc reply
	for range 5 {
		start := time.Now()
		inc = e.get("/ko/api/1/", "basic", "sp:pw", "If-Modified-Since", lm)
		best = min(best, time.Since(start))
	}
	if !strings.Contains(inc.body, "<Count>100</Count>") {
		t.Fatalf("incremental export: %.200s", inc.body)
	}
	t.Logf("FIGURE incremental GET /ko/api/1/ with 100 changed of %d: best of 5 %v", n, best.Round(time.Microsecond))
	benchfig.Report(t, benchfig.Figure{Name: fmt.Sprintf("incremental PI V1 export, 100 changed of %s, best of 5", benchfig.Number(float64(n))),
		Unit: "ms", Value: millis(best), Goal: 20, Source: "#2", Scaled: short})
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
