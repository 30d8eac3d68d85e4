package snmpsys

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/stadsnat/accessd/cmd/internal/config"
)

// PlanConfig carries groups, rewrites, switches and each one's
// credentials from the configuration.
func TestPlanConfig(t *testing.T) {
	cfg, err := config.Parse("t.yaml", []byte(`snmp:
  port: 1161
  default: {community: pub}
  groups:
    - {name: cisco, community: cc, match: ["10.1.0.0/16"], rewrite: [{from: 'Gi(.*)', to: 'GigabitEthernet$1'}]}
  switches:
    - {address: "10.9.0.1:161", name: core, group: cisco}
    - {address: 10.9.0.2, v3: {user: u, auth: SHA256, auth_pass: authpass1, priv: AES, priv_pass: privpass1}}
`))
	if err != nil {
		t.Fatal(err)
	}
	lc := PlanConfig(&cfg.SNMP)
	p := lc.Plan(map[string][]string{"10.1.2.3": {"Gi0/1"}, "core": {"Gi0/2"}})
	var got []string
	for _, s := range p.Switches {
		rw := ""
		if len(s.Rewrites) > 0 {
			rw = s.Rewrites[0].String()
		}
		got = append(got, s.Address+" group="+s.Group+" "+s.Credentials.String()+" "+s.Credentials.Community+" "+rw)
	}
	want := []string{
		"10.1.2.3:1161 group=cisco v2c cc Gi(.*) => GigabitEthernet$1",
		"10.9.0.1:161 group=cisco v2c cc Gi(.*) => GigabitEthernet$1",
		"10.9.0.2:161 group= v3 user u SHA256/AES  ",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("plan (-want +got):\n%s", diff)
	}
}
