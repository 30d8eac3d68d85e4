package config

import (
	"log/slog"
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/stadsnat/accessd/dhcp/circuit"
	"github.com/stadsnat/accessd/snmp/client"
)

// Values are parsed once, when the file is read, into their types.
func TestTypedValues(t *testing.T) {
	c, err := Parse("t.yaml", []byte(`environment: test
log: {level: debug, format: json}
admin: {mode: "0640"}
http: {trusted_proxies: [10.0.0.0/8, 192.0.2.1]}
atlas: {api_user: a, api_key: k, allowed_ips: [94.247.170.170]}
dhcp:
  profiles:
    - {name: p, format: cisco, match: {giaddr: [10.1.0.0/16], remote_id: "^sw-"}}
snmp:
  default: {v3: {user: u, auth: sha-256, auth_pass: authpass1}}
  groups: [{name: g, rewrite: [{from: 'Gi(.*)', to: 'GigabitEthernet$1'}]}]
users:
  - {name: sp, password: pw, apis: [pi-api, on-api], pi_version: "2.2", customer_data: anonymous}
activation: {rules: [{code: 500, when: link_down, message: m}]}
`))
	if err != nil {
		t.Fatal(err)
	}
	type got struct {
		Env      Environment
		Level    slog.Level
		Format   LogFormat
		Mode     uint32
		Proxies  []netip.Prefix
		Allowed  []netip.Prefix
		Format82 circuit.Format
		Giaddr   []netip.Prefix
		RemoteID string
		Auth     client.AuthProtocol
		Rewrite  string
		APIs     []API
		PI       []PIVersion
		Customer CustomerData
		When     RuleCondition
	}
	p := c.DHCP.Profiles[0]
	g := got{c.Environment, c.Log.Level, c.Log.Format, uint32(c.Admin.Mode), c.HTTP.TrustedProxies, c.Atlas.AllowedIPs,
		p.Format, p.Match.Giaddr, p.Match.RemoteID.String(), c.SNMP.Default.V3.Auth, c.SNMP.Groups[0].Rewrite[0].Rewrite.String(),
		c.Users[0].APIs, c.Users[0].PIVersions, c.Users[0].CustomerData, c.Activation.Rules[0].When}
	want := got{Test, slog.LevelDebug, LogJSON, 0o640,
		[]netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.0.2.1/32")},
		[]netip.Prefix{netip.MustParsePrefix("94.247.170.170/32")},
		circuit.FormatCisco, []netip.Prefix{netip.MustParsePrefix("10.1.0.0/16")}, "^sw-", client.SHA256,
		"Gi(.*) => GigabitEthernet$1", []API{APIPIAPI, APIONAPI}, []PIVersion{PI22}, CustomerAnonymous, "link_down"}
	if diff := cmp.Diff(want, g, cmp.Comparer(func(a, b netip.Prefix) bool { return a == b })); diff != "" {
		t.Errorf("typed values (-want +got):\n%s", diff)
	}
}

// Nothing invalid is dropped: a bad entry of a list is a problem, not a
// shorter list; a bad log level is a problem, not the default.
func TestInvalidValuesAreProblems(t *testing.T) {
	const y = `log:
  level: loud
  format: xml
admin: {mode: rw}
atlas:
  api_user: a
  api_key: k
  allowed_ips: [94.247.170.170, "not-an-ip"]
dhcp:
  profiles:
    - {name: p, match: {giaddr: ["2001:db8::/32"]}, key: "{nonsense}"}
snmp:
  groups: [{name: g, rewrite: [{from: '(', to: x}]}]
  default: {v3: {user: u, auth_pass: authpass1}}
`
	want := []string{
		`t.yaml:2: log.level: "loud": must be debug, info, warn or error`,
		`t.yaml:3: log.format: "xml": must be auto, text, json or journal`,
		`t.yaml:4: admin.mode: "rw": must be an octal file mode such as 0660`,
		`t.yaml:8: atlas.allowed_ips[1]: "not-an-ip" is not an address or CIDR`,
		`t.yaml:11: dhcp.profiles[0].key: circuit: key template "{nonsense}" offset 1: unknown part "nonsense" (want remote_id, circuit_id, switch, module, port, vlan, interface, giaddr, circuit_hex or remote_hex)`,
		`t.yaml:11: dhcp.profiles[0].match.giaddr[0]: 2001:db8::/32: must be an IPv4 prefix (giaddr is an IPv4 address)`,
		`t.yaml:13: snmp.groups[0].rewrite[0].from: bad regular expression: port rewrite "(": error parsing regexp: missing closing ): ` + "`^(?:()$`",
		`t.yaml:14: snmp.default.v3.auth: "": must be SHA224, SHA256, SHA384 or SHA512 (accessd offers no MD5, SHA-1 or noAuth)`,
	}
	if diff := cmp.Diff(want, problemLines(t, y)); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
}

// The shape of the file is checked from yaml.v3's node tree: wrong kinds,
// keys given twice, aliases and merge keys.
func TestShapeProblems(t *testing.T) {
	const y = `state_dir: [a, b]
http:
  listen: "127.0.0.1:1"
  listen: "127.0.0.1:2"
users: {name: x}
dhcp:
  queue_size: true
`
	want := []string{
		`t.yaml:1: a list where text was expected`,
		`t.yaml:3: text "127.0.0.1:1" where a list was expected`,
		`t.yaml:4: key "listen" is given twice (first on line 3)`,
		`t.yaml:5: a mapping where a list was expected`,
		`t.yaml:7: boolean "true" where a number was expected`,
	}
	if diff := cmp.Diff(want, problemLines(t, y)); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
	c, err := Parse("t.yaml", []byte(`base: &base {read_timeout: 5s, idle_timeout: 7s}
`))
	if err == nil {
		t.Errorf("an unknown top-level key was accepted: %+v", c)
	}
	c, err = Parse("t.yaml", []byte(`http:
  <<: {read_timeout: 5s, idle_timeout: 7s}
  idle_timeout: 9s
users:
  - &u {name: a, password: p, apis: [on-api]}
  - {<<: *u, name: b}
`))
	if err != nil {
		t.Fatal(err)
	}
	if c.HTTP.ReadTimeout.D().Seconds() != 5 || c.HTTP.IdleTimeout.D().Seconds() != 9 || len(c.Users) != 2 || c.Users[1].Name != "b" ||
		c.Users[1].Password != "p" {
		t.Errorf("merge keys: http %+v, users %+v", c.HTTP, c.Users)
	}
}

func TestSyntaxErrorNamesLine(t *testing.T) {
	got := problemLines(t, "state_dir: /x\nhttp:\n  listen: [\"a\"\n")
	want := []string{`t.yaml:2: did not find expected ',' or ']'`}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("syntax error (-want +got):\n%s", diff)
	}
}

func problemLines(t *testing.T, y string) []string {
	t.Helper()
	_, err := Parse("t.yaml", []byte(y))
	ps, ok := err.(Problems)
	if !ok {
		t.Fatalf("Parse = %v, want Problems", err)
	}
	var out []string
	for _, p := range ps {
		out = append(out, p.String())
	}
	return out
}
