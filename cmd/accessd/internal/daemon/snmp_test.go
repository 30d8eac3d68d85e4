package daemon

import (
	"net"
	"net/netip"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/stadsnat/accessd/api/piapi"
	"github.com/stadsnat/accessd/cmd/internal/config"
	"github.com/stadsnat/accessd/dhcp/binding"
	"github.com/stadsnat/accessd/dhcp/hwaddr"
	"github.com/stadsnat/accessd/store"
)

// The PI-API link's clients come from the stored DHCP bindings: every
// active binding's MAC, the IP only once bound.
func TestStoreClients(t *testing.T) {
	db, err := store.Open(filepath.Join(t.TempDir(), store.FileName), store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rec := func(mac byte, ip string, st binding.State, access string) store.BindingRecord {
		return store.BindingRecord{Binding: binding.Binding{MAC: hwaddr.MAC{0xde, 0xad, 0xbe, 0xef, 0, mac},
			IP: netip.MustParseAddr(ip), State: st, Access: access}}
	}
	_, err = db.CommitBindings(&store.BindingCommit{Bindings: []store.BindingRecord{
		rec(1, "10.10.1.181", binding.Bound, "A1"),
		rec(2, "10.10.1.182", binding.Tentative, "A1"),
		rec(3, "10.10.1.183", binding.Bound, "A2"),
	}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := bindingClients{db.BindingsOfAccess}.ClientsOf("A1")
	if err != nil {
		t.Fatal(err)
	}
	mac := func(s string) net.HardwareAddr { m, _ := net.ParseMAC(s); return m }
	want := []piapi.Client{
		{MAC: mac("de:ad:be:ef:00:01"), IP: netip.MustParseAddr("10.10.1.181")},
		{MAC: mac("de:ad:be:ef:00:02")},
	}
	if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); diff != "" {
		t.Errorf("clients of A1 (-want +got):\n%s", diff)
	}
}

// planConfig carries groups, rewrites, switches and each one's
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
	lc, err := planConfig(&cfg.SNMP)
	if err != nil {
		t.Fatal(err)
	}
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
