package main_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stadsnat/accessd/internal/testkit"
)

// peakRSSGrowthKB runs f and returns how far the daemon's resident set
// rose above where it was before (VmHWM, reset first, against VmRSS).
func peakRSSGrowthKB(t *testing.T, pid int, f func()) int {
	t.Helper()
	if err := os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0); err != nil {
		testkit.Missing(t, "resetting the daemon's VmHWM (/proc/PID/clear_refs): %v", err)
	}
	before := procStatusKB(t, pid, "VmRSS")
	f()
	return procStatusKB(t, pid, "VmHWM") - before
}

// Issue 12, item 2, against the real daemon: 1.5 MB of empty objects
// ([{},{},…]) once took 1.8 GB of RSS and answered 321 MB of problems.
// Now the answer lists the first 1,000 problems with the total count, and
// the daemon's RSS grows by a bounded amount, over the import API and over
// accessctl import alike.
func TestImportOfEmptyObjectsRealDaemon(t *testing.T) {
	e := startE2E(t)
	n := 500_000
	body := "[" + strings.Repeat("{},", n-1) + "{}]"
	const maxGrowthKB = 64 << 10 // 64 MiB, against 1.8 GB before
	const maxAnswer = 512 << 10

	var status int
	var answer []byte
	growth := peakRSSGrowthKB(t, e.proc.Pid(), func() {
		req, err := http.NewRequest("POST", e.base+"/api/import/prod/access", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("api-key", "k-prod")
		resp, err := httpClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		status = resp.StatusCode
		answer, err = io.ReadAll(io.LimitReader(resp.Body, 64<<20))
		if err != nil {
			t.Fatal(err)
		}
	})
	var got struct {
		Cause        string            `json:"cause"`
		Problems     []json.RawMessage `json:"problems"`
		ProblemCount int               `json:"problemCount"`
	}
	if err := json.Unmarshal(answer, &got); err != nil {
		t.Fatalf("answer %d: %v: %.300s", status, err, answer)
	}
	if status != http.StatusBadRequest || len(got.Problems) != 1000 || got.ProblemCount < 5*n {
		t.Errorf("answer %d, %d problems listed, problemCount %d, cause %q", status, len(got.Problems), got.ProblemCount, got.Cause)
	}
	if len(answer) > maxAnswer {
		t.Errorf("the answer is %d bytes, more than %d", len(answer), maxAnswer)
	}
	if growth > maxGrowthKB {
		t.Errorf("the daemon's RSS grew by %d KiB importing %d bytes, more than %d KiB", growth, len(body), maxGrowthKB)
	}
	t.Logf("FIGURE import API, %d bytes of empty objects: %d, %d-byte answer, %d problems counted; RSS growth %d KiB",
		len(body), status, len(answer), got.ProblemCount, growth)

	file := filepath.Join(e.dir, "empty.json")
	if err := os.WriteFile(file, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	var code int
	var stdout, stderr string
	growth = peakRSSGrowthKB(t, e.proc.Pid(), func() { code, stdout, stderr = e.ctl("import", file) })
	if code != 1 || !strings.Contains(stderr, "problems, the first 1000 listed") || strings.Count(stderr, "\n") > 1100 {
		t.Errorf("accessctl import: exit %d, %d lines of stderr, last: %q", code, strings.Count(stderr, "\n"), lastLine(stderr))
	}
	if growth > maxGrowthKB {
		t.Errorf("the daemon's RSS grew by %d KiB on accessctl import of %d bytes, more than %d KiB", growth, len(body), maxGrowthKB)
	}
	t.Logf("FIGURE accessctl import, %d bytes of empty objects: exit %d, %d lines; RSS growth %d KiB", len(body), code, strings.Count(stderr, "\n"), growth)
	_ = stdout
}

func lastLine(s string) string {
	s = strings.TrimRight(s, "\n")
	return s[strings.LastIndexByte(s, '\n')+1:]
}
