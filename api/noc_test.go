package api_test

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/stadsnat/accessd/api"
	"github.com/stadsnat/accessd/api/noc"
	"github.com/stadsnat/accessd/api/noc/noctest"
)

// The NOC pages are mounted by api.New like every other group: behind the
// router's HTTP Basic for users with "noc" (401 and 403 as the group's
// HTML pages), counted in the group's metrics, and not at all when no user
// has "noc".
func TestNOCGroup(t *testing.T) {
	now := time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)
	h, err := noc.New(noc.Options{Source: noctest.Sample(now), Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	sp := api.User{Name: "sp", Password: "pw", APIs: []string{api.GroupPIAPI}}
	ops := api.User{Name: "ops", Password: "pw", APIs: []string{api.GroupNOC}}
	reg := prometheus.NewRegistry()
	metrics := api.NewMetrics(reg)
	on := api.New(api.Options{Users: []api.User{sp, ops}, Metrics: metrics}, h)
	off := api.New(api.Options{Users: []api.User{sp}}, h)
	for _, tc := range []struct {
		name       string
		router     string
		user, pass string
		path       string
		status     int
		body       string
	}{
		{"no credentials", "on", "", "", "/noc/", 401, "<!DOCTYPE html>"},
		{"wrong password", "on", "ops", "x", "/noc/", 401, "<!DOCTYPE html>"},
		{"user without noc", "on", "sp", "pw", "/noc/", 403, "<!DOCTYPE html>"},
		{"noc user", "on", "ops", "pw", "/noc/access/ALS10001", 200, "ALS10001"},
		{"unknown page", "on", "ops", "pw", "/noc/nothing", 404, "<!DOCTYPE html>"},
		{"off: nobody has noc", "off", "sp", "pw", "/noc/", 404, "404 page not found"},
		{"off: not even a 401", "off", "", "", "/noc/access/ALS10001", 404, "404 page not found"},
	} {
		router := on
		if tc.router == "off" {
			router = off
		}
		req := httptest.NewRequest("GET", tc.path, nil)
		if tc.user != "" {
			req.SetBasicAuth(tc.user, tc.pass)
		}
		rec := httptest.NewRecorder()
		router.ServeHTTP(rec, req)
		if rec.Code != tc.status || !strings.Contains(rec.Body.String(), tc.body) {
			t.Errorf("%s: %s answered %d %.80q, want %d with %q", tc.name, tc.path, rec.Code, rec.Body.String(), tc.status, tc.body)
		}
		if tc.router == "on" && rec.Header().Get("Content-Security-Policy") == "" {
			t.Errorf("%s: no Content-Security-Policy: not the group's answer", tc.name)
		}
	}
	if got := requestsOf(t, reg, api.GroupNOC); got != 5 {
		t.Errorf("the noc group counted %v requests, want 5", got)
	}
}

// requestsOf sums accessd_http_requests_total of a group.
func requestsOf(t *testing.T, reg *prometheus.Registry, group string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var n float64
	for _, mf := range mfs {
		if mf.GetName() != "accessd_http_requests_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "group" && l.GetValue() == group {
					n += m.GetCounter().GetValue()
				}
			}
		}
	}
	return n
}
