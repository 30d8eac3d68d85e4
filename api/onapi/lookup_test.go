package onapi_test

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stadsnat/accessd/api/internal/web"
	"github.com/stadsnat/accessd/api/onapi"
	"github.com/stadsnat/accessd/api/piapi"
	"github.com/stadsnat/accessd/dhcp/circuit"
	"github.com/stadsnat/accessd/dhcp/lookup"
	"github.com/stadsnat/accessd/dhcp/option82"
	"github.com/stadsnat/accessd/store"
	"github.com/stadsnat/accessd/store/inventory"
)

// lookupPaths serves the look-ups of PI-API and ON-API as the router
// mounts them, over one resolver.
func lookupPaths(t testing.TB) http.Handler {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), store.FileName), store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	var in []store.Incoming
	for i, a := range [][2]string{{"SPEC", "10.10.10.10 eth 0/1"}, {"CISCO", "bs3g2 4/4"}, {"RL", "rl-down"},
		{"S1", "10.0.0.5 shared"}, {"S2", "10.0.0.6 shared"}} {
		in = append(in, store.Incoming{Line: i + 2, Access: inventory.Access{
			AccessID: a[0], StreetName: "Testvägen", StreetNumber: "1", PostalCode: "10000", City: "Ankeborg",
			CountryCode: "SE", PremisesType: inventory.ResidentialHouse, Activatable: inventory.Yes,
			Sellable: inventory.Yes, Option82: a[1]}})
	}
	if _, err := db.Inventory().Import(in, store.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	ps, err := lookup.NewProfiles([]circuit.Profile{{Name: "cisco", GIAddr: []netip.Prefix{netip.MustParsePrefix("10.9.0.0/16")},
		Format: circuit.FormatCisco, Key: "{remote_id} {module}/{port}"}})
	if err != nil {
		t.Fatal(err)
	}
	res := lookup.New(db.Inventory(), func() *lookup.Profiles { return ps }, nil)
	a := web.Adapter{Log: slog.New(slog.DiscardHandler), Write: web.JSONCause}
	mux := http.NewServeMux()
	for _, v := range piapi.Versions() {
		mux.Handle("GET /api/"+v+"/option82/{hex}", a.Handle(piapi.Option82(res)))
	}
	mux.Handle("GET "+onapi.Base+"option82/{hex}", a.Handle(onapi.Option82(res)))
	mux.Handle("GET "+onapi.Base+"dhcplookup/", a.Handle(onapi.DHCPLookup(res)))
	return mux
}

// get returns the answer at path: the status and the access, or whether
// the 404 is for several accesses.
func get(t testing.TB, h http.Handler, path string) string {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	var body struct {
		AccessID string `json:"accessId"`
		Cause    string `json:"cause"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatalf("GET %s: %d %q: %v", path, rec.Code, rec.Body, err)
	}
	answer := strconv.Itoa(rec.Code)
	switch {
	case body.AccessID != "":
		answer += " " + body.AccessID
	case strings.Contains(body.Cause, "more than one access"):
		answer += " ambiguous"
	}
	return answer
}

// answers asks every path for hex: PI-API 2.2 and 2.3 option82, ON-API
// option82 and dhcplookup with ipv4option82, and, when the Option 82 is
// one circuit-id and/or remote-id, dhcplookup with them as text.
func answers(t testing.TB, h http.Handler, hex string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, v := range piapi.Versions() {
		out["PI-API "+v] = get(t, h, "/api/"+v+"/option82/"+hex)
	}
	out["ON-API option82"] = get(t, h, onapi.Base+"option82/"+hex)
	out["ON-API dhcplookup ipv4option82"] = get(t, h, onapi.Base+"dhcplookup/?ipv4option82="+url.QueryEscape(hex))
	if q, ok := textQuery(hex); ok {
		out["ON-API dhcplookup text"] = get(t, h, onapi.Base+"dhcplookup/?"+q)
	}
	return out
}

// textQuery is the dhcplookup query of an Option 82 that is one instance
// of at most one circuit-id and one remote-id (empty ones left out).
func textQuery(hex string) (string, bool) {
	opts, err := option82.ParseHex(hex)
	if err != nil || len(opts) != 1 {
		return "", false
	}
	q := url.Values{}
	for _, s := range opts[0].Subs {
		name := map[option82.Code]string{option82.CircuitID: "ipv4CircuitId", option82.RemoteID: "ipv4RemoteId"}[s.Code]
		switch {
		case name == "" || q.Has(name):
			return "", false
		case len(s.Data) > 0:
			q.Set(name, string(s.Data))
		}
	}
	return q.Encode(), len(q) > 0
}

func sameEverywhere(t *testing.T, h http.Handler, hex, want string) {
	t.Helper()
	got := answers(t, h, hex)
	for path, a := range got {
		if want != "" && a != want {
			t.Errorf("%s: %s answers %q, want %q", hex, path, a, want)
		}
		if a != got["ON-API option82"] {
			t.Errorf("%s: %s answers %q, ON-API option82 %q", hex, path, a, got["ON-API option82"])
		}
	}
}

// The same hex gets the same answer through every path that looks an
// Option 82 up, whatever empty sub-options it carries.
func TestOption82SameAnswerEveryPath(t *testing.T) {
	h := lookupPaths(t)
	cid, rid := sub(option82.CircuitID, "eth 0/1"), sub(option82.RemoteID, "10.10.10.10")
	emptyC, emptyR := option82.SubOption{Code: option82.CircuitID}, option82.SubOption{Code: option82.RemoteID}
	cisco := option82.SubOption{Code: option82.CircuitID, Data: []byte{0, 4, 0x09, 0x49, 4, 4}}
	for _, c := range []struct{ hex, want string }{
		{"5216010765746820302F31020B31302E31302E31302E3130", "200 SPEC"}, // the PI-API spec example
		{hexOf(t, []option82.SubOption{emptyC, cid, rid}), "200 SPEC"},
		{hexOf(t, []option82.SubOption{cid, rid, emptyR}), "200 SPEC"},
		{hexOf(t, []option82.SubOption{emptyC, emptyR}, []option82.SubOption{cid, rid}), "200 SPEC"},
		{hexOf(t, []option82.SubOption{sub(option82.CircuitID, "rl-down"), emptyR}), "200 RL"},
		{hexOf(t, []option82.SubOption{emptyC, emptyR}), "404"},
		{hexOf(t, []option82.SubOption{sub(option82.CircuitID, "shared")}), "404 ambiguous"},
		{"52110106000409490404020701056273336732", "200 CISCO"}, // Cisco binary, through its profile
		{hexOf(t, []option82.SubOption{emptyC, cisco, sub(option82.RemoteID, "\x01\x05bs3g2")}), "200 CISCO"},
		{hexOf(t, []option82.SubOption{sub(option82.CircuitID, "nowhere")}), "404"},
		{"5216010765", "400"}, // malformed
	} {
		sameEverywhere(t, h, c.hex, c.want)
	}
}

func sub(code option82.Code, s string) option82.SubOption {
	return option82.SubOption{Code: code, Data: []byte(s)}
}

// hexOf encodes instances, each a list of sub-options, as TLV hex.
func hexOf(t testing.TB, instances ...[]option82.SubOption) string {
	t.Helper()
	var opts []option82.Option
	for _, subs := range instances {
		opts = append(opts, option82.Option{Subs: subs})
	}
	h, err := option82.FormatHex(opts...)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// FuzzOption82Paths checks that any hex gets one answer through every
// path.
func FuzzOption82Paths(f *testing.F) {
	for _, s := range []string{"5216010765746820302F31020B31302E31302E31302E3130", "520B0107726C2D646F776E0200",
		"520401000200", "52110106000409490404020701056273336732", "52080106736861726564"} {
		b, err := option82.DecodeHex(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	h := lookupPaths(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) == 0 {
			return // no path segment at all: a different route
		}
		sameEverywhere(t, h, string(option82.AppendHex(nil, b, true)), "")
	})
}

// TestDHCPLookupOption82Errors: dhcplookup's ipv4option82 fails as the
// option82 routes do, through the same HexResolver: a value that is not
// the hex of option 82 is a 400 naming it and where, one no access holds
// a 404 naming the parameter.
func TestDHCPLookupOption82Errors(t *testing.T) {
	h := lookupPaths(t)
	unknown := strings.ToUpper(mustHex(t, "no such circuit"))
	for _, c := range []struct {
		query  string
		status int
		cause  string
	}{
		{"ipv4option82=52zz", http.StatusBadRequest, `option82 "52zz": `},
		{"ipv4option82=" + unknown, http.StatusNotFound, "No access found for ipv4option82 '" + unknown + "'"},
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, onapi.Base+"dhcplookup/?"+c.query, nil))
		var body struct {
			Cause string `json:"cause"`
		}
		json.Unmarshal(rec.Body.Bytes(), &body)
		if rec.Code != c.status || !strings.HasPrefix(body.Cause, c.cause) {
			t.Errorf("dhcplookup/?%s: %d %q, want %d %q…", c.query, rec.Code, body.Cause, c.status, c.cause)
		}
	}
}

// mustHex is the hex of one option 82 whose circuit-id is circuit.
func mustHex(t *testing.T, circuit string) string {
	t.Helper()
	h, err := option82.FormatHex(option82.Option{Subs: []option82.SubOption{{Code: option82.CircuitID, Data: []byte(circuit)}}})
	if err != nil {
		t.Fatal(err)
	}
	return h
}
