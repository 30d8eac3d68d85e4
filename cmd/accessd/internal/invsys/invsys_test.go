package invsys

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/stadsnat/accessd/cmd/accessd/internal/subsys"
	"github.com/stadsnat/accessd/cmd/internal/admin"
	"github.com/stadsnat/accessd/store"
)

const csvInventory = "accessId,streetName,streetNumber,postalCode,city,countryCode,premisesType,activationDate,salesStartDate,option82\n" +
	"A1,Testvägen,1,100 00,Ankeborg,SE,RESIDENTIAL_HOUSE,YES,YES,10.0.0.1 ge-0/0/1\n"

func newSystem(t *testing.T) (*System, *admin.Mux) {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), store.FileName), store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	s, err := New(Config{Environment: "test"}, db, subsys.Env{Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	m := admin.NewMux(slog.New(slog.DiscardHandler))
	s.Parts().Admin(m)
	return s, m
}

func serve(m *admin.Mux, method, path, body string) (int, string) {
	w := httptest.NewRecorder()
	m.ServeHTTP(w, httptest.NewRequest(method, path, strings.NewReader(body)))
	return w.Code, w.Body.String()
}

// An import over the admin socket detects the format from the file's name,
// and the access comes back in the protocol's form: camelCase keys, the
// change sequence and the sales state the daemon computed.
func TestImportAndAccess(t *testing.T) {
	_, m := newSystem(t)
	code, body := serve(m, "POST", admin.PathImport+"?name=inventory.csv", csvInventory)
	var res admin.ImportResult
	if code != http.StatusOK || json.Unmarshal([]byte(body), &res) != nil || res.Format != "csv" || res.Created != 1 {
		t.Fatalf("import: %d %s", code, body)
	}
	code, body = serve(m, "GET", admin.PathAccess+"A1", "")
	var got map[string]any
	if code != http.StatusOK || json.Unmarshal([]byte(body), &got) != nil {
		t.Fatalf("access: %d %s", code, body)
	}
	for _, k := range []string{"Seq", "Created", "Modified", "Removed"} {
		if _, ok := got[k]; ok {
			t.Errorf("key %q is not camelCase:\n%s", k, body)
		}
	}
	if got["accessId"] != "A1" || got["seq"] == nil || got["created"] == nil || got["salesState"] == "" {
		t.Errorf("access:\n%s", body)
	}
}

// A refused import answers every problem with its line, in the one error
// convention ({"cause", "problems"}), and changes nothing.
func TestImportProblems(t *testing.T) {
	_, m := newSystem(t)
	bad := strings.Replace(csvInventory, ",100 00,", ",1234,", 1)
	code, body := serve(m, "POST", admin.PathImport+"?format=csv", bad)
	var e struct {
		Cause    string `json:"cause"`
		Problems []struct {
			Line     int    `json:"line"`
			AccessID string `json:"accessId"`
			Field    string `json:"field"`
		} `json:"problems"`
	}
	if code != http.StatusBadRequest || json.Unmarshal([]byte(body), &e) != nil {
		t.Fatalf("bad import: %d %s", code, body)
	}
	want := []struct {
		Line     int    `json:"line"`
		AccessID string `json:"accessId"`
		Field    string `json:"field"`
	}{{2, "A1", "postalCode"}}
	if diff := cmp.Diff(want, e.Problems); diff != "" || e.Cause != "1 problem(s) in the file, nothing imported" {
		t.Errorf("problems (-want +got):\n%s\ncause %q", diff, e.Cause)
	}
	if code, _ := serve(m, "GET", admin.PathAccess+"A1", ""); code != http.StatusNotFound {
		t.Errorf("a refused import stored the access: %d", code)
	}
}

// The log line of an import over the admin socket reports how many
// accesses the file held (it once counted the slice after freeing it: 0).
func TestImportLogCountsAccesses(t *testing.T) {
	db, err := store.Open(filepath.Join(t.TempDir(), store.FileName), store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	var logs strings.Builder
	log := slog.New(slog.NewJSONHandler(&logs, nil))
	s, err := New(Config{Environment: "test"}, db, subsys.Env{Log: log})
	if err != nil {
		t.Fatal(err)
	}
	m := admin.NewMux(log)
	s.Parts().Admin(m)
	two := csvInventory + "A2,Testvägen,2,100 00,Ankeborg,SE,RESIDENTIAL_HOUSE,YES,YES,10.0.0.1 ge-0/0/2\n"
	if code, body := serve(m, "POST", admin.PathImport+"?format=csv", two); code != http.StatusOK {
		t.Fatalf("import: %d %s", code, body)
	}
	var line struct {
		Msg      string `json:"msg"`
		Accesses int    `json:"accesses"`
		Created  int    `json:"created"`
	}
	for l := range strings.Lines(logs.String()) {
		if json.Unmarshal([]byte(l), &line) == nil && line.Msg == "inventory imported" {
			break
		}
	}
	if line.Msg != "inventory imported" || line.Accesses != 2 || line.Created != 2 {
		t.Errorf("import log line %+v, want accesses=2 created=2; log:\n%s", line, logs.String())
	}
}

// fakeCollector counts holds: how many are held now and the most at once.
type fakeCollector struct{ held, most int }

func (c *fakeCollector) Tighten() func() {
	c.held++
	c.most = max(c.most, c.held)
	return func() { c.held-- }
}

// TestImportTightensCollector: accessctl import holds the collector tight
// while it parses and writes, and lets go when it answers, refused or not.
func TestImportTightensCollector(t *testing.T) {
	db, err := store.Open(filepath.Join(t.TempDir(), store.FileName), store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	gc := &fakeCollector{}
	s, err := New(Config{Environment: "test"}, db, subsys.Env{Log: slog.New(slog.DiscardHandler)}, WithCollector(gc))
	if err != nil {
		t.Fatal(err)
	}
	m := admin.NewMux(slog.New(slog.DiscardHandler))
	s.Parts().Admin(m)
	if code, body := serve(m, "POST", admin.PathImport+"?format=csv", csvInventory); code != http.StatusOK {
		t.Fatalf("import: %d %s", code, body)
	}
	if gc.most != 1 || gc.held != 0 {
		t.Errorf("after an import: held %d times at most, %d still held; want 1 and 0", gc.most, gc.held)
	}
	if code, _ := serve(m, "POST", admin.PathImport+"?format=csv", "accessId\n,\n"); code != http.StatusBadRequest {
		t.Fatalf("bad import: %d, want 400", code)
	}
	if gc.held != 0 {
		t.Errorf("after a refused import: %d holds left", gc.held)
	}
}
