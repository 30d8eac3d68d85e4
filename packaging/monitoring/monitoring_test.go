package monitoring

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"
)

const (
	rulesFile     = "accessd-alerts.yml"
	rulesTestFile = "accessd-alerts.test.yml"
	dashboardFile = "accessd-dashboard.json"
	metricsFile   = "metrics.txt"
)

// needPromtool returns promtool's path, or skips the test (fails it under
// ACCESSD_REQUIRE_INTEGRATION=1, as CI sets).
func needPromtool(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("promtool")
	if err == nil {
		return p
	}
	msg := "promtool is not installed (Debian package prometheus; .ci/install-deps installs it)"
	if os.Getenv("ACCESSD_REQUIRE_INTEGRATION") == "1" {
		t.Fatalf("%s; ACCESSD_REQUIRE_INTEGRATION=1 makes a missing tool a failure", msg)
	}
	t.Skipf("skipping: %s; set ACCESSD_REQUIRE_INTEGRATION=1 to make this a failure", msg)
	return ""
}

func promtool(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), needPromtool(t), args...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func TestPromtoolCheckRules(t *testing.T) {
	out := promtool(t, "check", "rules", rulesFile)
	if !strings.Contains(out, "SUCCESS") {
		t.Errorf("promtool check rules said:\n%s", out)
	}
}

func TestPromtoolTestRules(t *testing.T) {
	out := promtool(t, "test", "rules", rulesTestFile)
	if !strings.Contains(out, "SUCCESS") {
		t.Errorf("promtool test rules said:\n%s", out)
	}
}

// metric is one line of metrics.txt.
type metric struct {
	Name, Type, Status string
	Labels             []string
	Source             string
	Line               int
}

func readMetrics(t *testing.T) map[string]metric {
	t.Helper()
	f, err := os.Open(metricsFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]metric{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Fields(line)
		if len(fields) != 5 {
			t.Errorf("%s:%d: %d fields, want NAME TYPE STATUS LABELS SOURCE", metricsFile, n, len(fields))
			continue
		}
		m := metric{Name: fields[0], Type: fields[1], Status: fields[2], Source: fields[4], Line: n}
		if fields[3] != "-" {
			m.Labels = strings.Split(fields[3], ",")
		}
		switch {
		case !slices.Contains([]string{"counter", "gauge", "histogram"}, m.Type):
			t.Errorf("%s:%d: type %q: want counter, gauge or histogram", metricsFile, n, m.Type)
		case !slices.Contains([]string{"exists", "new", "proposed", "scrape"}, m.Status):
			t.Errorf("%s:%d: status %q: want exists, new, proposed or scrape", metricsFile, n, m.Status)
		case m.Type == "counter" && !strings.HasSuffix(m.Name, "_total"):
			t.Errorf("%s:%d: counter %s does not end in _total", metricsFile, n, m.Name)
		}
		if _, dup := out[m.Name]; dup {
			t.Errorf("%s:%d: %s listed twice", metricsFile, n, m.Name)
		}
		out[m.Name] = m
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

var (
	quotedRE = regexp.MustCompile(`"(?:[^"\\]|\\.)*"`)
	metricRE = regexp.MustCompile(`\b(accessd_[a-z0-9_]+|up)\b`)
)

// metricNames returns the metric names a PromQL expression uses (string
// literals ignored; NAME_bucket/_sum/_count of a listed histogram as NAME).
func metricNames(expr string, list map[string]metric) []string {
	var out []string
	for _, n := range metricRE.FindAllString(quotedRE.ReplaceAllString(expr, `""`), -1) {
		for _, suf := range []string{"_bucket", "_sum", "_count"} {
			if base, ok := strings.CutSuffix(n, suf); ok && list[base].Type == "histogram" {
				n = base
			}
		}
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

type rule struct {
	Alert       string            `yaml:"alert"`
	Expr        string            `yaml:"expr"`
	For         string            `yaml:"for"`
	Labels      map[string]string `yaml:"labels"`
	Annotations map[string]string `yaml:"annotations"`
}

func readRules(t *testing.T) []rule {
	t.Helper()
	b, err := os.ReadFile(rulesFile)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Groups []struct {
			Name  string `yaml:"name"`
			Rules []rule `yaml:"rules"`
		} `yaml:"groups"`
	}
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("%s: %v", rulesFile, err)
	}
	var out []rule
	for _, g := range doc.Groups {
		out = append(out, g.Rules...)
	}
	if len(out) == 0 {
		t.Fatalf("%s has no rules", rulesFile)
	}
	return out
}

// TestAlertRules: every rule is an alert with a severity, a summary, a
// description and a runbook, names only listed metrics, and has a firing
// and a quiet case in the promtool unit tests.
func TestAlertRules(t *testing.T) {
	list := readMetrics(t)
	fires, quiet := alertCases(t)
	for _, r := range readRules(t) {
		if r.Alert == "" {
			t.Errorf("a rule without an alert name (expr %q)", r.Expr)
			continue
		}
		if s := r.Labels["severity"]; s != "warning" && s != "critical" {
			t.Errorf("%s: severity %q, want warning or critical", r.Alert, s)
		}
		for _, a := range []string{"summary", "description", "runbook"} {
			if strings.TrimSpace(r.Annotations[a]) == "" {
				t.Errorf("%s: no %s annotation", r.Alert, a)
			}
		}
		for _, n := range metricNames(r.Expr, list) {
			if _, ok := list[n]; !ok {
				t.Errorf("%s uses %s, which %s does not list", r.Alert, n, metricsFile)
			}
		}
		if !fires[r.Alert] || !quiet[r.Alert] {
			t.Errorf("%s: %s has a firing case: %v, a quiet case: %v; want both", r.Alert, rulesTestFile, fires[r.Alert], quiet[r.Alert])
		}
	}
}

// alertCases reads which alerts the promtool unit tests expect to fire and
// expect to stay quiet.
func alertCases(t *testing.T) (fires, quiet map[string]bool) {
	t.Helper()
	b, err := os.ReadFile(rulesTestFile)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Tests []struct {
			Cases []struct {
				Alert  string           `yaml:"alertname"`
				Alerts []map[string]any `yaml:"exp_alerts"`
			} `yaml:"alert_rule_test"`
		} `yaml:"tests"`
	}
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("%s: %v", rulesTestFile, err)
	}
	fires, quiet = map[string]bool{}, map[string]bool{}
	for _, tc := range doc.Tests {
		for _, c := range tc.Cases {
			if len(c.Alerts) > 0 {
				fires[c.Alert] = true
			} else {
				quiet[c.Alert] = true
			}
		}
	}
	return fires, quiet
}

// panel is what the test reads of a Grafana panel.
type panel struct {
	ID         int            `json:"id"`
	Type       string         `json:"type"`
	Title      string         `json:"title"`
	Datasource *datasource    `json:"datasource"`
	GridPos    map[string]int `json:"gridPos"`
	Targets    []target       `json:"targets"`
	Panels     []panel        `json:"panels"` // a row's panels
}

type datasource struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

type target struct {
	RefID      string      `json:"refId"`
	Expr       string      `json:"expr"`
	Datasource *datasource `json:"datasource"`
}

type dashboard struct {
	UID        string  `json:"uid"`
	Title      string  `json:"title"`
	Schema     int     `json:"schemaVersion"`
	Panels     []panel `json:"panels"`
	Templating struct {
		List []struct {
			Name  string `json:"name"`
			Type  string `json:"type"`
			Query any    `json:"query"`
		} `json:"list"`
	} `json:"templating"`
}

func readDashboard(t *testing.T) dashboard {
	t.Helper()
	b, err := os.ReadFile(dashboardFile)
	if err != nil {
		t.Fatal(err)
	}
	var d dashboard
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("%s does not parse: %v", dashboardFile, err)
	}
	return d
}

// queryPanels returns every panel that is not a row, rows' nested panels
// included (a collapsed row holds its panels).
func queryPanels(ps []panel) []panel {
	var out []panel
	for _, p := range ps {
		if p.Type == "row" {
			out = append(out, queryPanels(p.Panels)...)
			continue
		}
		out = append(out, p)
	}
	return out
}

var wantDS = datasource{Type: "prometheus", UID: "${datasource}"}

// TestDashboard: the dashboard parses; its data source is a variable; every
// panel has that data source, a title, a place and at least one query;
// every query names only metrics that metrics.txt lists.
func TestDashboard(t *testing.T) {
	d := readDashboard(t)
	list := readMetrics(t)
	if d.UID == "" || d.Title == "" || d.Schema == 0 {
		t.Errorf("dashboard uid %q, title %q, schemaVersion %d: all must be set", d.UID, d.Title, d.Schema)
	}
	vars := map[string]string{}
	for _, v := range d.Templating.List {
		vars[v.Name] = v.Type
	}
	if diff := cmp.Diff(map[string]string{"datasource": "datasource", "job": "query", "instance": "query"}, vars); diff != "" {
		t.Errorf("template variables (-want +got):\n%s", diff)
	}
	ids := map[int]string{}
	ps := queryPanels(d.Panels)
	if len(ps) < 20 {
		t.Errorf("%d panels with queries: the dashboard lost its panels", len(ps))
	}
	for _, p := range ps {
		name := fmt.Sprintf("panel %d %q", p.ID, p.Title)
		if prev, dup := ids[p.ID]; dup || p.ID == 0 {
			t.Errorf("%s: id 0 or shared with %q", name, prev)
		}
		ids[p.ID] = p.Title
		if p.Title == "" || p.GridPos["w"] <= 0 || p.GridPos["h"] <= 0 {
			t.Errorf("%s: no title or no size (gridPos %v)", name, p.GridPos)
		}
		if p.Datasource == nil || *p.Datasource != wantDS {
			t.Errorf("%s: data source %+v, want %+v", name, p.Datasource, wantDS)
		}
		if len(p.Targets) == 0 {
			t.Errorf("%s: no query", name)
		}
		refs := map[string]bool{}
		for _, q := range p.Targets {
			if q.Datasource == nil || *q.Datasource != wantDS {
				t.Errorf("%s query %s: data source %+v, want %+v", name, q.RefID, q.Datasource, wantDS)
			}
			if q.RefID == "" || refs[q.RefID] || strings.TrimSpace(q.Expr) == "" {
				t.Errorf("%s: query %q has no expression, or its refId is empty or repeated", name, q.RefID)
			}
			refs[q.RefID] = true
			if !strings.Contains(q.Expr, `job=~"$job", instance=~"$instance"`) {
				t.Errorf("%s query %s does not select $job and $instance: %s", name, q.RefID, q.Expr)
			}
			names := metricNames(q.Expr, list)
			if len(names) == 0 {
				t.Errorf("%s query %s names no metric: %s", name, q.RefID, q.Expr)
			}
			for _, n := range names {
				if _, ok := list[n]; !ok {
					t.Errorf("%s query %s uses %s, which %s does not list", name, q.RefID, n, metricsFile)
				}
			}
		}
	}
}

// dashboardRules turns the dashboard's queries into a rule file (one
// recording rule each, Grafana's variables replaced) so that promtool's
// PromQL parser checks them.
func dashboardRules(t *testing.T) []byte {
	t.Helper()
	r := strings.NewReplacer("$__rate_interval", "5m", "$job", ".+", "$instance", ".+")
	type rec struct {
		Record string `yaml:"record"`
		Expr   string `yaml:"expr"`
	}
	var recs []rec
	for _, p := range queryPanels(readDashboard(t).Panels) {
		for _, q := range p.Targets {
			recs = append(recs, rec{Record: fmt.Sprintf("dashboard:panel%d:%s", p.ID, strings.ToLower(q.RefID)), Expr: r.Replace(q.Expr)})
		}
	}
	b, err := yaml.Marshal(map[string]any{"groups": []map[string]any{{"name": "dashboard", "rules": recs}}})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDashboardQueriesParse(t *testing.T) {
	needPromtool(t)
	f := filepath.Join(t.TempDir(), "dashboard-queries.yml")
	if err := os.WriteFile(f, dashboardRules(t), 0o644); err != nil {
		t.Fatal(err)
	}
	if out := promtool(t, "check", "rules", f); !strings.Contains(out, "SUCCESS") {
		t.Errorf("promtool check rules on the dashboard's queries said:\n%s", out)
	}
}

// TestMetricsListed: every metric in metrics.txt is used by the dashboard
// or the rules; every one marked "exists" is registered by accessd's code
// today (its name as a string literal, or a client_golang collector
// registered under the prefix accessd_).
func TestMetricsListed(t *testing.T) {
	list := readMetrics(t)
	used := map[string]bool{}
	for _, r := range readRules(t) {
		for _, n := range metricNames(r.Expr, list) {
			used[n] = true
		}
	}
	for _, p := range queryPanels(readDashboard(t).Panels) {
		for _, q := range p.Targets {
			for _, n := range metricNames(q.Expr, list) {
				used[n] = true
			}
		}
	}
	code := goSources(t)
	for _, m := range list {
		if !used[m.Name] {
			t.Errorf("%s:%d: %s is used by neither the dashboard nor the rules", metricsFile, m.Line, m.Name)
		}
		registered := registeredIn(code, m.Name)
		switch {
		case m.Status == "exists" && !registered:
			t.Errorf("%s:%d: %s is marked exists, but no Go source registers it", metricsFile, m.Line, m.Name)
		case (m.Status == "new" || m.Status == "proposed") && registered:
			t.Logf("%s:%d: %s is marked %s but the code registers it now: mark it exists", metricsFile, m.Line, m.Name, m.Status)
		}
	}
}

// registeredIn reports whether code registers name: as a string literal,
// or, for accessd_process_* and accessd_go_*, through client_golang's
// process and Go collectors under the prefix accessd_.
func registeredIn(code, name string) bool {
	if strings.Contains(code, `"`+name+`"`) {
		return true
	}
	if !strings.Contains(code, `WrapRegistererWithPrefix("accessd_"`) {
		return false
	}
	switch {
	case strings.HasPrefix(name, "accessd_process_"):
		return strings.Contains(code, "collectors.NewProcessCollector(")
	case strings.HasPrefix(name, "accessd_go_"):
		return strings.Contains(code, "collectors.NewGoCollector(")
	}
	return false
}

// goSources returns the repository's non-test Go sources, concatenated.
func goSources(t *testing.T) string {
	t.Helper()
	var b strings.Builder
	err := filepath.WalkDir("../..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		b.Write(src)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// CI runs the promtool tests and does not let them skip: .ci/install-deps
// installs Debian's prometheus (promtool), and .ci/run runs the whole
// module's tests with ACCESSD_REQUIRE_INTEGRATION=1.
func TestCIRunsPromtool(t *testing.T) {
	deps, err := os.ReadFile(filepath.Join("..", "..", ".ci", "install-deps"))
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`(?m)^\s*[^#\n]*\bprometheus\b`).Match(deps) {
		t.Error(".ci/install-deps does not install prometheus (promtool)")
	}
	run, err := os.ReadFile(filepath.Join("..", "..", ".ci", "run"))
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`(?m)^export ACCESSD_REQUIRE_INTEGRATION=1$`).Match(run) ||
		!regexp.MustCompile(`(?m)^go test [^#\n]*\./\.\.\.`).Match(run) {
		t.Error(".ci/run does not run go test ./... with ACCESSD_REQUIRE_INTEGRATION=1: the promtool tests could skip in CI")
	}
}
