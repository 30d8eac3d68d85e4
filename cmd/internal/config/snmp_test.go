package config

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/stadsnat/accessd/snmp/client"
)

func TestSNMPProblems(t *testing.T) {
	const y = `snmp:
  interval: 10s
  timeout: 20s
  stale_after: 5s
  default:
    v3: {user: nms, auth: MD5, auth_pass: short, priv: DES, priv_pass: x}
  groups:
    - name: g
      community: c
      match: ["10.0.0.0/8", "sw-[", "cisco-*"]
  switches:
    - {address: 10.0.0.1, group: nope}
  traps:
    v3_users:
      - {user: t, auth: SHA-512, auth_pass: long-enough, priv: aes256, priv_pass: long-enough}
`
	_, err := Parse("s.yaml", []byte(y))
	ps, ok := err.(Problems)
	if !ok {
		t.Fatalf("Parse = %v, want Problems", err)
	}
	var got []string
	for _, p := range ps {
		got = append(got, p.String())
	}
	want := []string{
		`s.yaml:3: snmp.timeout: more than 0 and at most snmp.interval`,
		`s.yaml:4: snmp.stale_after: at least snmp.interval`,
		`s.yaml:6: snmp.default.v3.auth: "MD5": must be SHA224, SHA256, SHA384 or SHA512 (accessd offers no MD5, SHA-1 or noAuth)`,
		`s.yaml:6: snmp.default.v3.priv: "DES": must be AES, AES192, AES256, AES192C, AES256C or empty (authNoPriv)`,
		`s.yaml:6: snmp.default.v3.auth_pass: at least 8 characters (RFC 3414)`,
		`s.yaml:6: snmp.default.v3.priv_pass: at least 8 characters (RFC 3414)`,
		`s.yaml:10: snmp.groups[0].match[1]: "sw-[" is neither a CIDR nor a name pattern`,
		`s.yaml:12: snmp.switches[0].group: "nope" is not a group of snmp.groups`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
}

func TestSNMPCredentials(t *testing.T) {
	c, err := Parse("c.yaml", []byte("snmp:\n  default:\n    v3: {user: nms, auth: sha-256, auth_pass: auth-pass, priv: AES128, priv_pass: priv-pass, context_name: ctx}\n"))
	if err != nil {
		t.Fatal(err)
	}
	a, b := c.SNMP.Default.Credentials(), c.SNMP.Default.Credentials()
	want := client.USM{User: "nms", Auth: client.SHA256, AuthPass: "auth-pass", Priv: client.AES, PrivPass: "priv-pass", ContextName: "ctx"}
	if diff := cmp.Diff(want, *a.V3); diff != "" {
		t.Errorf("USM (-want +got):\n%s", diff)
	}
	if a.V3 == b.V3 {
		t.Error("two calls share one USM")
	}
	if err := a.Validate(); err != nil {
		t.Error(err)
	}
	if cr := (&SNMPCredentials{Community: "pub"}).Credentials(); cr.Community != "pub" || cr.V3 != nil || !strings.Contains(cr.String(), "v2c") {
		t.Errorf("v2c = %+v", cr)
	}
}
