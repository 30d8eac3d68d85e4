package api_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/stadsnat/accessd/internal/testkit"
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

// An MDU_APARTMENT must have mduApartmentNumber or mduDistinguisher in
// every view (PI V1 seed 003, PI-API 2.3 feasibility.md, ON-API 2.6
// accesses.md); one that a CSV 1.1 import identified by its outlet alone
// shows the outlet as mduDistinguisher.
func TestMDUApartmentIdentifiedByOutlet(t *testing.T) {
	a := house("APT1", "10.1.1.1 ge-0/0/7")
	a.PremisesType, a.Outlet = inventory.MDUApartment, "A-11-14"
	f := newFixture(t, a)
	auth := basic("sp", "pw")
	type ids struct{ MduApartmentNumber, MduDistinguisher, Outlet string }
	want := ids{MduDistinguisher: "A-11-14", Outlet: "A-11-14"}
	var feas []ids
	_, got := f.do(t, "GET", "/api/2.3/accesses/", auth, "")
	jsonBody(t, got, &feas)
	if diff := cmp.Diff([]ids{want}, feas); diff != "" {
		t.Errorf("PI-API feasibility (-want +got):\n%s", diff)
	}
	for _, path := range []string{"/api/2.3/accesses/APT1", "/onapi/2.6/accesses/APT1"} {
		var got1 ids
		_, got := f.do(t, "GET", path, auth, "")
		jsonBody(t, got, &got1)
		if diff := cmp.Diff(want, got1); diff != "" {
			t.Errorf("GET %s (-want +got):\n%s", path, diff)
		}
	}
	_, got = f.do(t, "GET", "/ko/api/1/", auth, "")
	if !strings.Contains(got, "<MduDistinguisher>A-11-14</MduDistinguisher>") {
		t.Errorf("PI V1:\n%s", got)
	}
}

// The endpoint list names what an endpoint does not support (ON-API 2.6
// endpoints.md, unsupportedFields): dhcplookup serves no DHCPv6 parameter.
func TestONAPIEndpointListNamesDHCPv6AsUnsupported(t *testing.T) {
	f := newFixture(t)
	auth := basic("sp", "pw")
	var list []struct {
		Name              string
		UnsupportedFields []string
	}
	_, got := f.do(t, "GET", "/onapi/2.6/", auth, "")
	jsonBody(t, got, &list)
	var unsupported []string
	for _, e := range list {
		if e.Name == "dhcplookup" {
			unsupported = e.UnsupportedFields
		}
	}
	if diff := cmp.Diff([]string{"ipv6InterfaceId", "ipv6RemoteId"}, unsupported); diff != "" {
		t.Errorf("dhcplookup's unsupportedFields (-want +got):\n%s", diff)
	}
	for _, p := range unsupported {
		resp, got := f.do(t, "GET", "/onapi/2.6/dhcplookup/?"+p+"=x", auth, "")
		if resp.StatusCode != 400 {
			t.Errorf("dhcplookup with %s:\n%s", p, got)
		}
	}
}

// PI V1 knows five premises types (seed 003, PremisesType): an access of
// type UNKNOWN (CSV 1.1's BYGGTYP 99) is left out of it, full and
// incremental, and <Count> counts what is sent; PI-API and ON-API, which
// know UNKNOWN, show it.
func TestPIV1NeverSendsUnknownPremises(t *testing.T) {
	unknown := house("UNK1", "10.1.1.1 ge-0/0/6")
	unknown.PremisesType = inventory.Unknown
	f := newFixture(t, house("GBG0001", "10.1.1.1 ge-0/0/1"), unknown)
	auth := basic("sp", "pw")
	_, got := f.do(t, "GET", "/ko/api/1/", auth, "")
	golden(t, "piv1_unknown_premises_left_out", got)
	lm := "Mon, 02 Mar 2026 09:30:15 GMT"
	changed := unknown
	changed.City = "Annanstad"
	f.importAll(t, changed)
	f.now = f.now.Add(time.Second)
	_, got = f.do(t, "GET", "/ko/api/1/", with(auth, "If-Modified-Since", lm), "")
	if !strings.HasPrefix(got, "HTTP/1.1 304") {
		t.Errorf("PI V1 after a change of the UNKNOWN access only:\n%s", got)
	}
	var a struct{ PremisesType string }
	_, got = f.do(t, "GET", "/onapi/2.6/accesses/UNK1", auth, "")
	if jsonBody(t, got, &a); a.PremisesType != "UNKNOWN" {
		t.Errorf("ON-API premisesType %q, want UNKNOWN", a.PremisesType)
	}
}

// RFC 9110 §15.5.2: a 401 carries WWW-Authenticate with a challenge.
// Every group answers one to a caller without credentials or with wrong
// ones (Atlas's API in its own package's goldens).
func TestEvery401HasAChallenge(t *testing.T) {
	f := newFixture(t, house("GBG0001", "10.1.1.1 ge-0/0/1"))
	for _, path := range []string{"/ko/api/1/", "/api/2.2/accesses/", "/api/2.3/accesses/GBG0001", "/onapi/2.6/",
		"/onapi/2.6/accesses/", "/api/access/environment/prod/byid/GBG0001"} {
		for _, hdr := range []map[string]string{nil, basic("sp", "wrong"), {"api-key": "guess"}} {
			resp, got := f.do(t, "GET", path, hdr, "")
			if resp.StatusCode == 401 && resp.Header.Get("WWW-Authenticate") == "" {
				t.Errorf("GET %s with %v: 401 without WWW-Authenticate:\n%s", path, hdr, got)
			}
		}
	}
}

// Every entry of the README's "Choices" list names the text it follows:
// a specification file (accesses.md, …), a seed (003, 004), an RFC or CSV
// 1.1 (issue 11).
func TestEveryChoiceNamesItsText(t *testing.T) {
	root, err := testkit.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, list, ok := strings.Cut(string(b), "\nChoices where the standards are silent")
	if !ok {
		t.Fatal("README.md has no Choices list")
	}
	list, _, _ = strings.Cut(list, "\n## ")
	entries := strings.Split(list, "\n- **")[1:]
	if len(entries) < 15 {
		t.Fatalf("only %d Choices entries found", len(entries))
	}
	cites := regexp.MustCompile(`[a-z_0-9]+\.md\b|seed 00[0-4]|RFC \d{4}|CSV 1\.1`)
	for _, e := range entries {
		if !cites.MatchString(e) {
			name, _, _ := strings.Cut(e, "**")
			t.Errorf("Choices entry %q names no specification text", name)
		}
	}
}
