package api_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/stadsnat/accessd/store/inventory"
)

// jsonBody decodes the body of a rendered response into v.
func jsonBody(t *testing.T, rendered string, v any) {
	t.Helper()
	_, body, _ := strings.Cut(rendered, "\n\n")
	if err := json.Unmarshal([]byte(body), v); err != nil {
		t.Fatalf("%v in:\n%s", err, rendered)
	}
}

// PI-API knows six premises types (2.3 feasibility.md, premisesType):
// ON-API's MDU_TECHNICAL is sent as MDU_COMMON there, and as it is in ON-API.
func TestPIAPIPremisesTypes(t *testing.T) {
	tech := house("TECH1", "10.1.1.1 ge-0/0/5")
	tech.PremisesType = inventory.MDUTechnical
	unknown := house("UNK1", "10.1.1.1 ge-0/0/6")
	unknown.PremisesType = inventory.Unknown
	f := newFixture(t, tech, unknown)
	auth := basic("sp", "pw")

	var feas []struct{ AccessID, PremisesType string }
	_, got := f.do(t, "GET", "/api/2.3/accesses/", auth, "")
	jsonBody(t, got, &feas)
	want := []struct{ AccessID, PremisesType string }{{"TECH1", "MDU_COMMON"}, {"UNK1", "UNKNOWN"}}
	if diff := cmp.Diff(want, feas); diff != "" {
		t.Errorf("feasibility premisesType (-want +got):\n%s", diff)
	}
	for path, want := range map[string]string{
		"/api/2.3/accesses/TECH1":   "MDU_COMMON",
		"/api/2.2/accesses/TECH1":   "MDU_COMMON",
		"/onapi/2.6/accesses/TECH1": "MDU_TECHNICAL",
	} {
		var a struct{ PremisesType string }
		_, got := f.do(t, "GET", path, auth, "")
		jsonBody(t, got, &a)
		if a.PremisesType != want {
			t.Errorf("GET %s: premisesType %q, want %q", path, a.PremisesType, want)
		}
	}
}
