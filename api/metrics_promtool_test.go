package api_test

import (
	"net/http/httptest"
	"os/exec"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/stadsnat/accessd/api"
	"github.com/stadsnat/accessd/api/internal/apitest"
	"github.com/stadsnat/accessd/internal/testkit"
)

// The router's /metrics, after requests of several groups and status
// codes, passes promtool check metrics (the exposition's format and
// Prometheus's naming rules), and has the request metrics of each group.
func TestMetricsPromtoolCheck(t *testing.T) {
	testkit.RequireCommands(t, "promtool")
	reg := prometheus.NewRegistry()
	h := api.New(api.Options{Metrics: api.NewMetrics(reg), Gatherer: reg, Guard: api.NewGuard(reg, nil)})
	for _, path := range []string{"/livez", "/readyz", "/api/nothing", "/metrics"} {
		apitest.Serve(h, httptest.NewRequest("GET", path, nil))
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if rec.Code != 200 {
		t.Fatalf("/metrics: HTTP %d", rec.Code)
	}
	body := rec.Body.String() // the scrape's own request is not counted yet
	for _, want := range []string{
		`accessd_http_requests_total{code="200",group="health"} 3`,
		`accessd_http_requests_total{code="404",group="unknown"} 1`,
		`accessd_http_request_duration_seconds_bucket{group="health",le="0.0005"} `,
		`accessd_http_request_duration_seconds_bucket{group="health",le="+Inf"} 3`,
		`accessd_http_request_duration_seconds_count{group="unknown"} 1`,
		`accessd_http_request_duration_seconds_sum{group="health"} `,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics has no %q:\n%s", want, body)
		}
	}
	cmd := exec.CommandContext(t.Context(), "promtool", "check", "metrics")
	cmd.Stdin = strings.NewReader(body)
	if out, err := cmd.CombinedOutput(); err != nil || len(strings.TrimSpace(string(out))) != 0 {
		t.Errorf("promtool check metrics: %v\n%s", err, out)
	}
}
