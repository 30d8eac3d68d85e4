package api

import (
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// observations are request times that test the buckets' edges (every
// bound, a nanosecond either side), nothing, and past the last bound.
func observations() []time.Duration {
	ds := []time.Duration{0, 1, 137 * time.Microsecond, 10 * time.Second, time.Hour}
	for _, b := range durationOpts().Buckets {
		ns := time.Duration(math.Round(b * 1e9))
		ds = append(ds, ns-1, ns, ns+1)
	}
	return ds
}

// twinHistograms are the durations of accessd and a prometheus
// HistogramVec of the same options, each on its own registry, fed the
// same observations for three groups (the third none: a mounted group not
// asked yet).
func twinHistograms(t *testing.T) (ours, theirs *prometheus.Registry) {
	t.Helper()
	ours, theirs = prometheus.NewRegistry(), prometheus.NewRegistry()
	d := newDurations(durationOpts(), "group")
	vec := prometheus.NewHistogramVec(durationOpts(), []string{"group"})
	ours.MustRegister(d)
	theirs.MustRegister(vec)
	for i, group := range []string{"pi-api", "on-api", "idle"} {
		g, obs := d.group(group), vec.WithLabelValues(group)
		for j, o := range observations() {
			if group == "idle" || (i == 1 && j%2 == 0) {
				continue
			}
			g.observe(o)
			obs.Observe(o.Seconds())
		}
	}
	return ours, theirs
}

// The histogram's metric family is HistogramVec's: name, help, type,
// labels, every bucket's bound and count, _count, a created timestamp;
// _sum the same to the nanosecond (HistogramVec adds floats, we add
// nanoseconds).
func TestDurationsAsHistogramVec(t *testing.T) {
	ours, theirs := twinHistograms(t)
	got, err := ours.Gather()
	if err != nil {
		t.Fatal(err)
	}
	want, err := theirs.Gather()
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || len(want) != 1 {
		t.Fatalf("%d metric families, HistogramVec's %d: want 1", len(got), len(want))
	}
	g, w := got[0], want[0]
	if g.GetName() != w.GetName() || g.GetHelp() != w.GetHelp() || g.GetType() != w.GetType() || len(g.Metric) != len(w.Metric) {
		t.Fatalf("family %s %q %v with %d series, HistogramVec's %s %q %v with %d",
			g.GetName(), g.GetHelp(), g.GetType(), len(g.Metric), w.GetName(), w.GetHelp(), w.GetType(), len(w.Metric))
	}
	for i, gm := range g.Metric {
		wm := w.Metric[i]
		if gl, wl := gm.String(), wm.String(); len(gm.Label) != 1 || gm.Label[0].String() != wm.Label[0].String() {
			t.Fatalf("series %d: %s, HistogramVec's %s", i, gl, wl)
		}
		gh, wh := gm.GetHistogram(), wm.GetHistogram()
		what := gm.Label[0].GetValue()
		if gh.GetSampleCount() != wh.GetSampleCount() {
			t.Errorf("%s: count %d, HistogramVec's %d", what, gh.GetSampleCount(), wh.GetSampleCount())
		}
		if math.Abs(gh.GetSampleSum()-wh.GetSampleSum()) > 1e-9*math.Max(1, wh.GetSampleSum()) {
			t.Errorf("%s: sum %v, HistogramVec's %v", what, gh.GetSampleSum(), wh.GetSampleSum())
		}
		if (gh.CreatedTimestamp == nil) != (wh.CreatedTimestamp == nil) {
			t.Errorf("%s: created timestamp %v, HistogramVec's %v", what, gh.CreatedTimestamp, wh.CreatedTimestamp)
		}
		if len(gh.Bucket) != len(wh.Bucket) {
			t.Fatalf("%s: %d buckets, HistogramVec's %d", what, len(gh.Bucket), len(wh.Bucket))
		}
		for j, gb := range gh.Bucket {
			wb := wh.Bucket[j]
			if gb.GetUpperBound() != wb.GetUpperBound() || gb.GetCumulativeCount() != wb.GetCumulativeCount() {
				t.Errorf("%s: bucket le=%v %d, HistogramVec's le=%v %d", what,
					gb.GetUpperBound(), gb.GetCumulativeCount(), wb.GetUpperBound(), wb.GetCumulativeCount())
			}
		}
	}
}

// The text exposition /metrics serves is HistogramVec's line for line
// (the _sum lines' values to the nanosecond).
func TestDurationsExposition(t *testing.T) {
	ours, theirs := twinHistograms(t)
	got, want := exposition(t, ours), exposition(t, theirs)
	if len(got) != len(want) {
		t.Fatalf("%d lines, HistogramVec's %d:\n%s\n--- HistogramVec's:\n%s", len(got), len(want), strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for i := range got {
		if got[i] == want[i] {
			continue
		}
		gs, gv, _ := strings.Cut(got[i], " ")
		ws, wv, _ := strings.Cut(want[i], " ")
		g, gerr := strconv.ParseFloat(gv, 64)
		w, werr := strconv.ParseFloat(wv, 64)
		if gs != ws || !strings.HasPrefix(gs, "accessd_http_request_duration_seconds_sum{") || gerr != nil || werr != nil ||
			math.Abs(g-w) > 1e-9*math.Max(1, w) {
			t.Errorf("line %d: %q, HistogramVec's %q", i+1, got[i], want[i])
		}
	}
}

func exposition(t *testing.T, g prometheus.Gatherer) []string {
	t.Helper()
	rec := httptest.NewRecorder()
	promhttp.HandlerFor(g, promhttp.HandlerOpts{}).ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body, err := io.ReadAll(rec.Result().Body)
	if err != nil || rec.Code != http.StatusOK {
		t.Fatalf("/metrics: %d %v", rec.Code, err)
	}
	return strings.Split(strings.TrimSpace(string(body)), "\n")
}

// Requests counted while the metrics are scraped: each scrape is
// consistent in itself (the +Inf bucket is _count), and at the end every
// request is counted once. Run with -race.
func TestDurationsConcurrent(t *testing.T) {
	d := newDurations(durationOpts(), "group")
	reg := prometheus.NewRegistry()
	reg.MustRegister(d)
	const workers, each = 4, 2000
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			g := d.group("g" + strconv.Itoa(w%2))
			for i := range each {
				g.observe(time.Duration(i) * time.Microsecond)
			}
		})
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	for scraping := true; scraping; {
		select {
		case <-done:
			scraping = false
		default:
		}
		mfs, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, mf := range mfs {
			for _, m := range mf.Metric {
				h := m.GetHistogram()
				if last := h.Bucket[len(h.Bucket)-1].GetCumulativeCount(); last > h.GetSampleCount() {
					t.Fatalf("bucket le=5 counts %d, more than _count %d", last, h.GetSampleCount())
				}
			}
		}
	}
	var total uint64
	mfs, _ := reg.Gather()
	for _, m := range mfs[0].Metric {
		total += m.GetHistogram().GetSampleCount()
	}
	if total != workers*each {
		t.Errorf("%d requests counted, want %d", total, workers*each)
	}
}
