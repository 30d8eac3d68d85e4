package config

import (
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestReferenceConfigParses(t *testing.T) {
	c, err := Load("../../../packaging/accessd.yaml")
	if err != nil {
		t.Fatalf("packaging/accessd.yaml: %v", err)
	}
	if c.StateDir != DefaultStateDir || c.Admin.Socket != DefaultAdminSocket || c.Environment != "prod" {
		t.Errorf("reference config does not show the defaults: %+v", c)
	}
}

// TestReferenceConfigNamesEveryKey keeps packaging/accessd.yaml complete:
// every key of Config appears in it, active or in a commented example.
func TestReferenceConfigNamesEveryKey(t *testing.T) {
	b, err := os.ReadFile("../../../packaging/accessd.yaml")
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	for _, k := range yamlKeys(reflect.TypeFor[Config]()) {
		if !regexp.MustCompile(`(^|[\s{,])` + regexp.QuoteMeta(k) + `:`).MatchString(text) {
			t.Errorf("packaging/accessd.yaml does not mention key %q", k)
		}
	}
}

func yamlKeys(t reflect.Type) []string {
	var keys []string
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return nil
	}
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("yaml")
		name, opts, _ := strings.Cut(tag, ",")
		if name == "-" || !f.IsExported() {
			continue
		}
		if opts == "inline" {
			keys = append(keys, yamlKeys(f.Type)...)
			continue
		}
		keys = append(keys, name)
		keys = append(keys, yamlKeys(f.Type)...)
	}
	return keys
}

func TestEmptyConfigIsValid(t *testing.T) {
	c, err := Parse("empty.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.HTTP.Listen; len(got) != 1 || got[0] != DefaultHTTPListen {
		t.Errorf("default http.listen = %v", got)
	}
	if c.DHCP.Profiles[0].Key != DefaultKeyTemplate {
		t.Errorf("default key template = %q", c.DHCP.Profiles[0].Key)
	}
}

func TestProblemsNameLines(t *testing.T) {
	const y = `state_dir: relative/dir
environment: staging
http:
  listen: ["127.0.0.1:8067", "nonsense"]
  trusted_proxies: [10.0.0.0/8, "not-a-cidr"]
users:
  - {name: a, apis: [pi-v1, soap]}
dhcp:
  profiles:
    - {name: p, format: huawie, match: {remote_id: "(["}}
snmp:
  interval: 100ms
`
	_, err := Parse("t.yaml", []byte(y))
	ps, ok := err.(Problems)
	if !ok {
		t.Fatalf("Parse = %v, want Problems", err)
	}
	var got []string
	for _, p := range ps {
		got = append(got, p.String())
	}
	want := []string{
		`t.yaml:1: state_dir: "relative/dir": must be an absolute path`,
		`t.yaml:2: environment: "staging": must be test or prod`,
		`t.yaml:4: http.listen[1]: "nonsense" is not host:port`,
		`t.yaml:5: http.trusted_proxies[1]: "not-a-cidr" is not an address or CIDR`,
		`t.yaml:7: users[0]: needs password or password_file`,
		`t.yaml:7: users[0].apis[1]: "soap": must be pi-v1, pi-api, on-api, metrics or noc`,
		`t.yaml:10: dhcp.profiles[0].format: "huawie": must be one of text, cisco, dlink, huawei, zyxel, tr101, juniper, hex`,
		`t.yaml:10: dhcp.profiles[0].match.remote_id: bad regular expression: error parsing regexp: missing closing ]: ` + "`[`",
		`t.yaml:12: snmp.interval: at least 1s`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
}

func TestUnknownKeysAndTypes(t *testing.T) {
	const y = `state_dir: /x
htp:
  listen: []
http:
  read_timeout: soon
  max_body_bytes: lots
`
	_, err := Parse("t.yaml", []byte(y))
	ps, ok := err.(Problems)
	if !ok {
		t.Fatalf("Parse = %v, want Problems", err)
	}
	var got []string
	for _, p := range ps {
		got = append(got, p.String())
	}
	want := []string{
		`t.yaml:2: unknown key "htp"`,
		`t.yaml:5: "soon" is not a duration such as 30s, 5m or 90d`,
		`t.yaml:6: text "lots" where a number was expected`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
}

func TestSecretsFromFiles(t *testing.T) {
	dir := t.TempDir()
	pw := filepath.Join(dir, "pw")
	keys := filepath.Join(dir, "keys.yaml")
	os.WriteFile(pw, []byte("hemligt\n"), 0o600)
	os.WriteFile(keys, []byte("test: k-test\nprod: k-prod\n"), 0o600)
	y := "users:\n  - {name: sp, password_file: " + pw + ", apis: [on-api]}\nimport:\n  api_keys_file: " + keys + "\n"
	c, err := Parse("t.yaml", []byte(y))
	if err != nil {
		t.Fatal(err)
	}
	if c.Users[0].Password != "hemligt" {
		t.Errorf("password = %q", c.Users[0].Password)
	}
	if diff := cmp.Diff(map[string]string{"test": "k-test", "prod": "k-prod"}, c.Import.APIKeys); diff != "" {
		t.Errorf("api keys (-want +got):\n%s", diff)
	}
	_, err = Parse("t.yaml", []byte("users:\n  - {name: sp, password_file: /nonexistent/pw, apis: [on-api]}\n"))
	if err == nil || !strings.Contains(err.Error(), "t.yaml:2: users[0].password_file: open /nonexistent/pw: no such file or directory") {
		t.Errorf("missing secret file: %v", err)
	}
	_, err = Parse("t.yaml", []byte("users:\n  - {name: sp, password: x, password_file: "+pw+", apis: [on-api]}\n"))
	if err == nil || !strings.Contains(err.Error(), "not both") {
		t.Errorf("inline and file secret: %v", err)
	}
}

func TestAdminSocketOf(t *testing.T) {
	p := filepath.Join(t.TempDir(), "c.yaml")
	os.WriteFile(p, []byte("admin: {socket: /tmp/x.sock}\nusers:\n  - {name: sp, password_file: /unreadable, apis: [on-api]}\n"), 0o600)
	got, err := AdminSocketOf(p)
	if err != nil || got != "/tmp/x.sock" {
		t.Errorf("AdminSocketOf = %q, %v", got, err)
	}
}

func TestDurationDays(t *testing.T) {
	c, err := Parse("t.yaml", []byte("store: {tombstone_retention: 7d}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Store.TombstoneRetention.D().Hours(); got != 168 {
		t.Errorf("7d = %vh", got)
	}
}

// pi_versions limits the PI-API versions a user may call; pi_version is
// its older one-version form; giving both differently is a problem.
func TestPIVersions(t *testing.T) {
	c, err := Parse("t.yaml", []byte(`users:
  - {name: a, password: p, apis: [pi-api]}
  - {name: b, password: p, apis: [pi-api], pi_version: "2.2"}
  - {name: c, password: p, apis: [pi-api], pi_versions: ["2.3"]}
`))
	if err != nil {
		t.Fatal(err)
	}
	got := [][]PIVersion{c.Users[0].PIVersions, c.Users[1].PIVersions, c.Users[2].PIVersions}
	if diff := cmp.Diff([][]PIVersion{nil, {PI22}, {PI23}}, got); diff != "" {
		t.Errorf("pi_versions (-want +got):\n%s", diff)
	}
	_, err = Parse("t.yaml", []byte("users:\n  - {name: a, password: p, apis: [pi-api], pi_version: \"2.2\", pi_versions: [\"2.3\"]}\n"))
	if err == nil || !strings.Contains(err.Error(), "users[0].pi_version") {
		t.Errorf("pi_version and pi_versions both: %v", err)
	}
}
