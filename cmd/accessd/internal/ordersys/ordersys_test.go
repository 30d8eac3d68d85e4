package ordersys

import (
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stadsnat/accessd/api"
	"github.com/stadsnat/accessd/cmd/accessd/internal/subsys"
	"github.com/stadsnat/accessd/cmd/internal/config"
	"github.com/stadsnat/accessd/store"
	"github.com/stadsnat/accessd/store/inventory"
)

// The one catalogue carries every field of the configuration's services,
// CommitmentMonths included (the router's copy once dropped it).
func TestSettingsCatalogue(t *testing.T) {
	cfg, err := config.Parse("t.yaml", []byte(`services:
  - {uid: BB100, name: "Bredband 100", type: broadband, media: [FTTH], capacity_kbit: 100000, hardware: CPE, direct_activation: true, max_per_access: 2, commitment_months: 12}
media_codes: [{name: FTTH, code: 1}]
activation:
  hook: /usr/lib/accessd/activate
  rules: [{code: 500, when: link_down, message: m}]
`))
	if err != nil {
		t.Fatal(err)
	}
	c := Section(cfg)
	st := Settings(&c)
	s, ok := st.Catalog.Get("BB100")
	if !ok || s.CommitmentMonths != 12 || s.MaxPerAccess != 2 || s.CapacityKbit != 100000 || !s.DirectActivation || s.Hardware != "CPE" {
		t.Errorf("catalogue service = %+v, %v", s, ok)
	}
	if len(st.Rules) != 1 || st.Rules[0].When != "link_down" || st.Hook == nil {
		t.Errorf("rules %+v, hook %v", st.Rules, st.Hook)
	}
}

// A new catalogue on reload is a change of every access's feasibility
// (issue 11): the old If-Modified-Since gets the full list with the new
// service and a new Last-Modified; a reload that changes nothing keeps
// the 304.
func TestReloadedCatalogueIsAChange(t *testing.T) {
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	db, err := store.Open(filepath.Join(t.TempDir(), store.FileName), store.Options{Now: func() time.Time { return now }, NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	a := inventory.Access{AccessID: "A1", StreetName: "Gatan", PostalCode: "12345", City: "Stad", CountryCode: "SE",
		PremisesType: inventory.ResidentialHouse, Activatable: inventory.Yes, Sellable: inventory.Yes, Option82: "10.0.0.1 p1"}
	if _, err := db.Inventory().Import([]store.Incoming{{Access: a}}, store.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	conf := func(services string) *config.Config {
		cfg, err := config.Parse("t.yaml", []byte("services:\n"+services))
		if err != nil {
			t.Fatal(err)
		}
		return cfg
	}
	bb := "  - {uid: BB100, type: broadband}\n"
	cfg := conf(bb)
	s := New(Section(cfg), db, subsys.Env{Log: slog.New(slog.DiscardHandler), Location: time.UTC}, Peers{})
	get := func(ims string) (int, string, string) {
		h := api.New(api.Options{Log: slog.New(slog.DiscardHandler), Users: []api.User{{Name: "sp", Password: "pw", APIs: []string{"pi-api"}}}},
			s.groups()...)
		req := httptest.NewRequest("GET", "/api/2.3/accesses/", nil)
		req.SetBasicAuth("sp", "pw")
		if ims != "" {
			req.Header.Set("If-Modified-Since", ims)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code, rec.Header().Get("Last-Modified"), rec.Body.String()
	}
	now = now.Add(time.Second)
	_, lm, _ := get("")
	now = now.Add(10 * time.Second)
	if err := s.reload(conf(bb + "  - {uid: IPTV, type: tv}\n")); err != nil {
		t.Fatal(err)
	}
	now = now.Add(time.Second)
	code, lm2, body := get(lm)
	if code != 200 || !strings.Contains(body, `"IPTV"`) || lm2 == lm {
		t.Fatalf("after a new catalogue, If-Modified-Since %s: %d, Last-Modified %s\n%s", lm, code, lm2, body)
	}
	if err := s.reload(conf(bb + "  - {uid: IPTV, type: tv}\n")); err != nil {
		t.Fatal(err)
	}
	now = now.Add(time.Second)
	if code, _, _ := get(lm2); code != 304 {
		t.Errorf("after reloading the same catalogue: %d, want 304", code)
	}
}
