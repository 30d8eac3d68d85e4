package api_test

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stadsnat/accessd/api"
	"github.com/stadsnat/accessd/api/onapi"
	"github.com/stadsnat/accessd/api/piapi"
	"github.com/stadsnat/accessd/dhcp/lookup"
)

// The look-ups leave the user out of the request (NoUser), yet a user's
// pi_versions still limit the PI-API versions it may look up in, and a
// user without the API is still refused.
func TestLookupsKeepTheirPermissions(t *testing.T) {
	f := newFixture(t, house("GBG0001", "10.10.10.10 eth 0/1"))
	res := lookup.New(f.db.Inventory(), nil, nil)
	h := api.New(api.Options{Users: []api.User{
		{Name: "old", Password: "pw", APIs: []string{"pi-api", "on-api"}, PIVersions: []string{"2.2"}},
		{Name: "xml", Password: "pw", APIs: []string{"pi-v1"}},
	}, Log: slog.New(slog.DiscardHandler)}, piapi.NewLookup(res), onapi.NewLookup(res))
	const hex = "5216010765746820302F31020B31302E31302E31302E3130"
	for _, c := range []struct {
		user, path string
		status     int
		body       string
	}{
		{"old", "/api/2.2/option82/" + hex, http.StatusOK, `{"accessId":"GBG0001"}`},
		{"old", "/api/2.3/option82/" + hex, http.StatusForbidden, `user \"old\" may not use PI-API 2.3`},
		{"old", "/onapi/2.6/option82/" + hex, http.StatusOK, `{"accessId":"GBG0001"}`},
		{"xml", "/api/2.2/option82/" + hex, http.StatusForbidden, `may not use pi-api`},
		{"xml", "/onapi/2.6/dhcplookup/?ipv4CircuitId=eth%200%2F1", http.StatusForbidden, `may not use on-api`},
	} {
		req := httptest.NewRequest("GET", c.path, nil)
		req.SetBasicAuth(c.user, "pw")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != c.status || !strings.Contains(w.Body.String(), c.body) {
			t.Errorf("%s %s: %d %s, want %d with %s", c.user, c.path, w.Code, w.Body, c.status, c.body)
		}
	}
}
