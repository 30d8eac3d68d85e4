package dhcpsys

import (
	"net"
	"net/netip"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/stadsnat/accessd/api/piapi"
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
	rec := func(mac byte, ip string, st store.BindingState, access string) store.BindingRecord {
		return store.BindingRecord{MAC: store.MAC{0xde, 0xad, 0xbe, 0xef, 0, mac},
			IP: netip.MustParseAddr(ip), State: st, Access: access}
	}
	_, err = db.Bindings().Commit(&store.BindingCommit{Bindings: []store.BindingRecord{
		rec(1, "10.10.1.181", store.BindingBound, "A1"),
		rec(2, "10.10.1.182", store.BindingTentative, "A1"),
		rec(3, "10.10.1.183", store.BindingBound, "A2"),
	}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := BindingClients{db.Bindings().OfAccess}.ClientsOf("A1")
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
