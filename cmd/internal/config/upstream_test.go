package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func writeSecret(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestUpstreamSection(t *testing.T) {
	key := writeSecret(t, "k\n")
	y := `environment: test
users:
  - name: sp
    password: pw
    apis: [pi-api]
    customer_api: {url: "https://sp.example/api/2.3/", username: ko, password_file: ` + key + `, fetch_at_activation: true}
upstream:
  atlas_portal: {url: "https://portal.example/plain/serviceguide_log", api_user: "1234", api_key_file: ` + key + `, customer_data: store}
  cubit: {url: "https://plants.example", api_key_file: ` + key + `, environment: test}
  inventory_pull: {url: "https://central.example/ko/api/1/", format: pi-v1, username: u, password_file: ` + key + `}
  outbox: {budget_bytes: 1000}
`
	c, err := Parse("u.yaml", []byte(y))
	if err != nil {
		t.Fatal(err)
	}
	u := c.Upstream
	if !u.AtlasPortal.On() || u.AtlasPortal.PollInterval.D() != time.Minute || u.AtlasPortal.CustomerData != CustomerStore ||
		!u.Cubit.On() || u.Cubit.Environment != Test || !u.InventoryPull.On() || u.Outbox.BudgetBytes != 1000 ||
		u.Outbox.BackoffMax.D() != 5*time.Minute {
		t.Errorf("upstream %+v", u)
	}
	if ca := c.Users[0].CustomerAPI; !ca.On() || !ca.FetchAtActivation || ca.Username != "ko" {
		t.Errorf("customer_api %+v", ca)
	}
}

// The Cubit environment must be the daemon's own: -check-config refuses
// another, naming the line; secrets come from readable files.
func TestUpstreamProblems(t *testing.T) {
	empty := writeSecret(t, "\n")
	y := `environment: prod
users:
  - name: sp
    password: pw
    apis: [pi-api]
    customer_api: {url: "ftp://sp.example/", password_file: /nonexistent/pw}
upstream:
  atlas_portal: {url: "https://u:p@portal.example/x", api_user: "abc", api_key_file: ` + empty + `, poll_interval: 1s}
  cubit: {url: "https://plants.example", api_key_file: /nonexistent/key, environment: test, number_format: "(["}
  outbox: {budget_bytes: -1}
`
	_, err := Parse("p.yaml", []byte(y))
	ps, ok := err.(Problems)
	if !ok {
		t.Fatalf("Parse = %v, want problems", err)
	}
	var got []string
	for _, p := range ps {
		got = append(got, p.String())
	}
	want := []string{
		`p.yaml:6: users[0].customer_api.url: "ftp://sp.example/" is not an absolute http(s) URL`,
		`p.yaml:6: users[0].customer_api.username: missing: the KO's HTTP Basic user at the service provider`,
		`p.yaml:6: users[0].customer_api.password_file: open /nonexistent/pw: no such file or directory`,
		`p.yaml:8: upstream.atlas_portal.url: no credentials in the URL: give them in a file`,
		`p.yaml:8: upstream.atlas_portal.api_user: "abc": the Atlas API user id is a number`,
		`p.yaml:8: upstream.atlas_portal.api_key_file: ` + empty + ` is empty`,
		`p.yaml:8: upstream.atlas_portal.poll_interval: 1s is under 10s`,
		`p.yaml:9: upstream.cubit.api_key_file: open /nonexistent/key: no such file or directory`,
		`p.yaml:9: upstream.cubit.environment: "test" is not this daemon's environment "prod": accessd writes only to its own Cubit environment`,
		`p.yaml:9: upstream.cubit.number_format: bad regular expression: error parsing regexp: missing closing ]: ` + "`[`",
		`p.yaml:10: upstream.outbox.budget_bytes: must not be negative (0: unbounded)`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
	for _, p := range got {
		if strings.Contains(p, "\nk") {
			t.Errorf("a problem quotes a secret: %s", p)
		}
	}
}
