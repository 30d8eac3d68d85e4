package api_test

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/stadsnat/accessd/api"
	"github.com/stadsnat/accessd/api/activation"
	"github.com/stadsnat/accessd/api/cubit"
	"github.com/stadsnat/accessd/api/internal/apitest"
	"github.com/stadsnat/accessd/api/onapi"
	"github.com/stadsnat/accessd/api/piapi"
	"github.com/stadsnat/accessd/api/piv1"
	"github.com/stadsnat/accessd/dhcp/lookup"
	"github.com/stadsnat/accessd/internal/testkit"
	"github.com/stadsnat/accessd/store"
	"github.com/stadsnat/accessd/store/catalog"
	"github.com/stadsnat/accessd/store/inventory"
)

// fixture is a router over a real store with a settable clock.
type fixture struct {
	db  *store.DB
	now time.Time
	h   http.Handler
}

func newFixture(t testing.TB, accesses ...inventory.Access) *fixture {
	t.Helper()
	f := &fixture{now: time.Date(2026, 3, 2, 9, 30, 15, 0, time.UTC)}
	db, err := store.Open(filepath.Join(t.TempDir(), store.FileName), store.Options{Now: func() time.Time { return f.now }, NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	f.db = db
	if len(accesses) > 0 {
		f.importAll(t, accesses...)
	}
	// The requests come a second after the import: an answer covers the
	// changes before its own second (store.DB.beginAnswer).
	f.now = f.now.Add(time.Second)
	loc, err := time.LoadLocation("Europe/Stockholm")
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	res := lookup.New(db.Inventory(), nil, nil)
	f.h = api.New(api.Options{
		Users: []api.User{
			{Name: "sp", Password: "pw", APIs: []string{"pi-v1", "pi-api", "on-api"}},
			{Name: "xmlonly", Password: "pw", APIs: []string{"pi-v1"}},
		},
		Log: log,
	},
		piv1.New(db),
		piapi.New(piapi.Deps{DB: db, Engine: activation.New(activation.Options{Orders: db.Orders(), Location: loc,
			Now: func() time.Time { return f.now }, Settings: activation.Settings{Catalog: catalog.New([]catalog.Service{
				{UID: "BB-100-100", Type: "broadband", CapacityKbit: 100000},
				{UID: "BB-1000", Type: "broadband", CapacityKbit: 1000000},
				{UID: "IPTV", Type: "tv"},
			})}})}),
		piapi.NewLookup(res),
		onapi.New(onapi.Deps{DB: db, Now: func() time.Time { return f.now }, Loc: loc}),
		onapi.NewLookup(res),
		cubit.New(cubit.Deps{DB: db, Environment: "prod", Keys: map[string]string{"test": "k-test", "prod": "k-prod"}, Log: log}),
	)
	return f
}

func (f *fixture) importAll(t testing.TB, as ...inventory.Access) {
	t.Helper()
	in := make([]store.Incoming, len(as))
	for i, a := range as {
		in[i] = store.Incoming{Access: a}
	}
	if _, err := f.db.Inventory().Import(in, store.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
}

// do sends a request and renders the response as the golden files hold it.
func (f *fixture) do(t *testing.T, method, path string, hdr map[string]string, body string) (*http.Response, string) {
	t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	return apitest.Serve(f.h, req)
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	testkit.Golden(t, filepath.Join("testdata", name+".golden"), got)
}

func basic(user, pass string) map[string]string {
	req := httptest.NewRequest("GET", "/", nil)
	req.SetBasicAuth(user, pass)
	return map[string]string{"Authorization": req.Header.Get("Authorization")}
}

func with(h map[string]string, k, v string) map[string]string {
	out := map[string]string{k: v}
	for a, b := range h {
		out[a] = b
	}
	return out
}

// seedExample is the access of the PI V1 specification's example (seed 003).
func seedExample() inventory.Access {
	return inventory.Access{
		AccessID: "STTA0001", StreetName: "Testvägen", StreetNumber: "100", PostalCode: "10000", City: "Ankeborg",
		CountryCode: "SE", PremisesType: inventory.MDUApartment, MDUApartmentNumber: "1001", MDUDistinguisher: "12121212",
		Activatable: inventory.No, Sellable: "2012-03-01", FiberConverter: "LASER_3001X_MK2", CPERouter: "NETGEAR WNDR4000",
		Option82: "192.168.248.85 ge-0/0/10", Population: "Hemsöhem",
	}
}

func house(id, opt82 string) inventory.Access {
	return inventory.Access{
		AccessID: id, StreetName: "Storgatan", StreetNumber: "7", StreetLittera: "B", PostalCode: "41369", City: "Göteborg",
		CountryCode: "SE", PremisesType: inventory.ResidentialHouse, Activatable: inventory.Yes, Sellable: inventory.Yes,
		Option82: opt82, PortSpeedMbps: 100, Outlet: "1",
	}
}

// The PI V1 export of the specification's example access is, byte for
// byte, the specification's example response.
func TestPIV1MatchesSpecificationExample(t *testing.T) {
	f := newFixture(t, seedExample())
	resp, rendered := f.do(t, "GET", "/ko/api/1/", basic("sp", "pw"), "")
	want, err := os.ReadFile("testdata/piv1_seed_example.xml")
	if err != nil {
		t.Fatal(err)
	}
	_, body, _ := strings.Cut(rendered, "\n\n")
	if diff := cmp.Diff(string(want), body); diff != "" {
		t.Errorf("GET /ko/api/1/ body differs from the specification's example (-want +got):\n%s", diff)
	}
	if got := resp.Header.Get("Content-Type"); got != "application/xml" {
		t.Errorf("Content-Type = %q", got)
	}
	if got := resp.Header.Get("Last-Modified"); got != "Mon, 02 Mar 2026 09:30:15 GMT" {
		t.Errorf("Last-Modified = %q", got)
	}
}

func TestPIV1(t *testing.T) {
	f := newFixture(t, seedExample(), house("GBG0001", "10.1.1.1 ge-0/0/1"), house("GBG0002", "10.1.1.1 ge-0/0/2"))
	auth := basic("sp", "pw")
	_, got := f.do(t, "GET", "/ko/api/1/", nil, "")
	golden(t, "piv1_no_auth", got)
	_, got = f.do(t, "GET", "/ko/api/1/", basic("sp", "wrong"), "")
	golden(t, "piv1_wrong_password", got)
	_, got = f.do(t, "GET", "/ko/api/1/", auth, "")
	golden(t, "piv1_full", got)
	lm := "Mon, 02 Mar 2026 09:30:15 GMT"
	_, got = f.do(t, "GET", "/ko/api/1/", with(auth, "If-Modified-Since", lm), "")
	golden(t, "piv1_not_modified", got)
	_, got = f.do(t, "GET", "/ko/api/1/", with(auth, "If-Modified-Since", "yesterday-ish"), "")
	if !strings.Contains(got, "<Count>3</Count>") {
		t.Errorf("an unparseable If-Modified-Since must give the full export:\n%s", got)
	}
	// One access changes, one is removed: the incremental export has both,
	// the removed one with Sellable and Activatable NO.
	f.now = f.now.Add(89 * time.Second) // 90 s after the import
	changed := house("GBG0001", "10.1.1.1 ge-0/0/1")
	changed.StreetLittera = "C"
	f.importAll(t, changed)
	if err := f.db.Inventory().RemoveAccess("GBG0002"); err != nil {
		t.Fatal(err)
	}
	f.now = f.now.Add(time.Second)
	_, got = f.do(t, "GET", "/ko/api/1/", with(auth, "If-Modified-Since", lm), "")
	golden(t, "piv1_incremental", got)
}

func TestPIAPI(t *testing.T) {
	f := newFixture(t, seedExample(), house("GBG0001", "10.10.10.10 eth 0/1"))
	auth := basic("sp", "pw")
	for _, tc := range []struct{ name, path string }{
		{"piapi_feasibility", "/api/2.3/accesses/"},
		{"piapi_availability", "/api/2.3/accesses/GBG0001"},
		{"piapi_availability_2.2", "/api/2.2/accesses/GBG0001"},
		{"piapi_unknown_access", "/api/2.3/accesses/NOPE"},
		{"piapi_option82_spec_example", "/api/2.3/option82/5216010765746820302F31020B31302E31302E31302E3130"},
		{"piapi_option82_lowercase", "/api/2.3/option82/5216010765746820302f31020b31302e31302e31302e3130"},
		{"piapi_option82_circuit_only", "/api/2.3/option82/52090107657468203" + "02F31"},
		{"piapi_option82_not_found", "/api/2.3/option82/520901076574682030" + "2F39"},
		{"piapi_option82_malformed", "/api/2.3/option82/5216010765"},
	} {
		_, got := f.do(t, "GET", tc.path, auth, "")
		golden(t, tc.name, got)
	}
	_, got := f.do(t, "GET", "/api/2.3/accesses/", basic("xmlonly", "pw"), "")
	golden(t, "piapi_forbidden", got)
	_, got = f.do(t, "GET", "/api/2.3/accesses/", with(auth, "If-Modified-Since", "Mon, 02 Mar 2026 09:30:15 GMT"), "")
	golden(t, "piapi_not_modified", got)
}

func TestONAPI(t *testing.T) {
	empty := newFixture(t)
	auth := basic("sp", "pw")
	_, got := empty.do(t, "GET", "/onapi/2.6/accesses/", auth, "")
	golden(t, "onapi_accesses_none", got)

	f := newFixture(t, seedExample(), house("GBG0001", "10.10.10.10 eth 0/1"))
	for _, tc := range []struct{ name, path string }{
		{"onapi_endpoints", "/onapi/2.6/"},
		{"onapi_not_implemented", "/onapi/2.6/tickets/"},
		{"onapi_accesses", "/onapi/2.6/accesses/"},
		{"onapi_access", "/onapi/2.6/accesses/STTA0001"},
		{"onapi_option82", "/onapi/2.6/option82/5216010765746820302F31020B31302E31302E31302E3130"},
		{"onapi_dhcplookup", "/onapi/2.6/dhcplookup/?ipv4CircuitId=eth%200%2F1&IPV4REMOTEID=10.10.10.10"},
		{"onapi_dhcplookup_option82", "/onapi/2.6/dhcplookup/?ipv4option82=5216010765746820302F31020B31302E31302E31302E3130"},
		{"onapi_dhcplookup_none", "/onapi/2.6/dhcplookup/?ipv4circuitid=nowhere"},
		{"onapi_dhcplookup_no_params", "/onapi/2.6/dhcplookup/"},
		// dhcplookup.md: "a single accessId if a unique access can be
		// found": parameters that agree give it, parameters that point to
		// different accesses do not.
		{"onapi_dhcplookup_agree", "/onapi/2.6/dhcplookup/?ipv4option82=5216010765746820302F31020B31302E31302E31302E3130&ipv4CircuitId=eth%200%2F1"},
		{"onapi_dhcplookup_disagree", "/onapi/2.6/dhcplookup/?ipv4option82=5216010765746820302F31020B31302E31302E31302E3130" +
			"&ipv4CircuitId=ge-0%2F0%2F10&ipv4RemoteId=192.168.248.85"},
	} {
		_, got := f.do(t, "GET", tc.path, auth, "")
		golden(t, tc.name, got)
	}
	_, got = f.do(t, "GET", "/onapi/2.6/accesses/", nil, "")
	golden(t, "onapi_no_auth", got)
	// accesses.md's 304 carries Content-Type: application/json.
	_, got = f.do(t, "GET", "/onapi/2.6/accesses/", with(auth, "If-Modified-Since", "Mon, 02 Mar 2026 09:30:15 GMT"), "")
	golden(t, "onapi_not_modified", got)
}

func TestImportAPI(t *testing.T) {
	f := newFixture(t)
	body := `[{"accessId":"IMP1","streetName":"Nygatan","postalCode":"123 45","city":"Umeå","countryCode":"SE",
	"premisesType":"RESIDENTIAL_HOUSE","activatable":"YES","sellable":"2026-04-01","option82":"10.9.9.9 ge-0/0/3"}]`
	for _, tc := range []struct {
		name, path string
		hdr        map[string]string
		body       string
	}{
		{"import_no_key", "/api/import/prod/access", nil, body},
		{"import_unknown_key", "/api/import/prod/access", map[string]string{"api-key": "guess"}, body},
		{"import_key_of_other_environment", "/api/import/prod/access", map[string]string{"api-key": "k-test"}, body},
		{"import_other_environment", "/api/import/test/access", map[string]string{"api-key": "k-test"}, body},
		{"import_bad_rows", "/api/import/prod/access", map[string]string{"api-key": "k-prod"},
			`[{"accessId":"IMP 1","streetName":"","postalCode":"1234","city":"Umeå","countryCode":"XX","premisesType":"CASTLE","activatable":"MAYBE","sellable":"1969-12-31","option82":""}]`},
		// What PI-API and ON-API forbid is refused at the door: a postal
		// code below 10000 (feasibility.md "Min 10000", dataformats.md
		// ^[1-9][0-9]{4}$) and an MDU_COMMON that does not say which room
		// (feasibility.md's premisesType).
		{"import_refused_where_pi_api_and_on_api_forbid", "/api/import/prod/access", map[string]string{"api-key": "k-prod"},
			`[{"accessId":"IMP2","streetName":"Nygatan","postalCode":"01234","city":"Umeå","countryCode":"SE",` +
				`"premisesType":"MDU_COMMON","activatable":"YES","sellable":"YES","option82":"10.9.9.9 ge-0/0/4"}]`},
		{"import_ok", "/api/import/prod/access", map[string]string{"api-key": "k-prod"}, body},
		{"import_again_unchanged", "/api/import/prod/access", map[string]string{"api-key": "k-prod"}, body},
	} {
		_, got := f.do(t, "POST", tc.path, tc.hdr, tc.body)
		golden(t, tc.name, got)
	}
	_, got := f.do(t, "GET", "/api/access/environment/prod/byid/IMP1", map[string]string{"api-key": "k-prod"}, "")
	golden(t, "import_get", got)
	_, got = f.do(t, "GET", "/api/access/environment/prod/byid/NOPE", map[string]string{"api-key": "k-prod"}, "")
	golden(t, "import_get_unknown", got)
}

func TestHealth(t *testing.T) {
	f := newFixture(t)
	_, got := f.do(t, "GET", "/livez", nil, "")
	golden(t, "livez", got)
	_, got = f.do(t, "GET", "/readyz", nil, "")
	golden(t, "readyz", got)
}

// A path or method no route knows gets the error body of its API: JSON
// {"cause"} under /api/, and a list path matches only itself.
func TestUnknownPathsAndMethods(t *testing.T) {
	f := newFixture(t, house("GBG0001", "10.1.1.1 ge-0/0/1"))
	auth := basic("sp", "pw")
	for _, tc := range []struct{ name, method, path string }{
		{"piapi_unknown_path", "GET", "/api/2.3/nonsense"},
		{"piapi_method_not_allowed", "PUT", "/api/2.3/accesses/"},
		{"piapi_list_path_is_exact", "GET", "/api/2.3/accesses/GBG0001/extra"},
		{"import_unknown_path", "GET", "/api/import/prod/customer"},
		{"piv1_path_is_exact", "GET", "/ko/api/1/everything"},
	} {
		_, got := f.do(t, tc.method, tc.path, auth, "")
		golden(t, tc.name, got)
	}
}

// An import larger than the body limit is a 413 with a cause, and nothing
// is imported.
func TestImportTooLarge(t *testing.T) {
	f := newFixture(t)
	body := `[{"accessId":"IMP1","streetName":"Nygatan","postalCode":"12345","city":"Umeå","countryCode":"SE",
	"premisesType":"RESIDENTIAL_HOUSE","activatable":"YES","sellable":"YES","option82":"10.9.9.9 ge-0/0/3"}]`
	req := httptest.NewRequest("POST", "/api/import/prod/access", strings.NewReader(body))
	req.Header.Set("api-key", "k-prod")
	rec := httptest.NewRecorder()
	req.Body = http.MaxBytesReader(rec, req.Body, 40)
	f.h.ServeHTTP(rec, req)
	if rec.Code != http.StatusRequestEntityTooLarge || !strings.Contains(rec.Body.String(), `"cause":"request body larger than 40 bytes"`) {
		t.Errorf("oversize import: %d %s", rec.Code, rec.Body)
	}
	if _, err := f.db.Inventory().Access("IMP1"); err == nil {
		t.Error("part of an oversize import was stored")
	}
}

// /metrics is open by default; with MetricsAuth only a user with the
// "metrics" API reads it, others get 401 (no credentials) or 403.
func TestMetricsAuth(t *testing.T) {
	reg := prometheus.NewRegistry()
	users := []api.User{
		{Name: "prom", Password: "pw", APIs: []string{api.GroupMetrics}},
		{Name: "sp", Password: "pw", APIs: []string{"pi-v1"}},
	}
	for _, tc := range []struct {
		auth bool
		hdr  map[string]string
		want int
	}{
		{false, nil, http.StatusOK},
		{true, nil, http.StatusUnauthorized},
		{true, basic("sp", "pw"), http.StatusForbidden},
		{true, basic("prom", "nope"), http.StatusUnauthorized},
		{true, basic("prom", "pw"), http.StatusOK},
	} {
		h := api.New(api.Options{Users: users, Gatherer: reg, MetricsAuth: tc.auth})
		req := httptest.NewRequest("GET", "/metrics", nil)
		for k, v := range tc.hdr {
			req.Header.Set(k, v)
		}
		resp, _ := apitest.Serve(h, req)
		if resp.StatusCode != tc.want {
			t.Errorf("MetricsAuth %v, %v: HTTP %d, want %d", tc.auth, tc.hdr, resp.StatusCode, tc.want)
		}
	}
}
