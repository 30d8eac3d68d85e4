package onapi

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"path/filepath"
	"testing"
	"time"

	"github.com/stadsnat/accessd/api/internal/apitest"
	"github.com/stadsnat/accessd/api/internal/web"
	"github.com/stadsnat/accessd/internal/testkit"
	"github.com/stadsnat/accessd/store"
	"github.com/stadsnat/accessd/store/inventory"
)

// leaseServer serves the lease info of a store with two accesses; A1 has
// two leases.
func leaseServer(t *testing.T) http.Handler {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), store.FileName), store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	var in []store.Incoming
	for i, id := range []string{"A1", "A2"} {
		in = append(in, store.Incoming{Line: i + 2, Access: inventory.Access{AccessID: id, StreetName: "Testvägen", StreetNumber: "1",
			PostalCode: "10000", City: "Ankeborg", CountryCode: "SE", PremisesType: inventory.ResidentialHouse,
			Activatable: inventory.Yes, Sellable: inventory.Yes, Option82: "10.0.0.1 ge-0/0/" + id}})
	}
	if _, err := db.Inventory().Import(in, store.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 1, 25, 9, 52, 27, 0, time.FixedZone("CET", 3600))
	leases := map[string][]Lease{"A1": {
		{IP: netip.MustParseAddr("198.51.100.95"), MAC: "00:11:22:aa:bb:cc", ServiceType: "bb",
			Start: start, End: start.Add(16 * 24 * time.Hour), LastRenew: start.Add(15 * 24 * time.Hour)},
		{IP: netip.MustParseAddr("10.0.0.2"), MAC: "00:00:00:00:00:01", ServiceType: "iptv",
			Start: start, End: start.Add(time.Hour)}, // never renewed: no lastRenew
	}}
	mux := http.NewServeMux()
	a := web.Adapter{Log: slog.New(slog.DiscardHandler), Write: web.JSONCause}
	mux.Handle("GET "+Base+LeaseInfoPath, a.Handle(Deps{DB: db}.LeaseInfo(func(id string) []Lease { return leases[id] })))
	return mux
}

func TestLeaseInfoGolden(t *testing.T) {
	h := leaseServer(t)
	for _, c := range []struct{ name, access string }{
		{"leaseinfo", "A1"},
		{"leaseinfo_none", "A2"},
		{"leaseinfo_unknown_access", "NOSUCH"},
	} {
		_, got := apitest.Serve(h, httptest.NewRequest("GET", Base+"tech/access/"+c.access+"/link/leaseinfo", nil))
		testkit.Golden(t, filepath.Join("testdata", c.name+".golden"), got)
	}
}
