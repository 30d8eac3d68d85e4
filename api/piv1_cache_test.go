package api_test

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stadsnat/accessd/api"
	"github.com/stadsnat/accessd/api/piv1"
	"github.com/stadsnat/accessd/store/inventory/invtest"
)

// keptExport is a PI V1 group that keeps its full export in a directory,
// served over a real HTTP server, beside one that renders every export.
type keptExport struct {
	f            *fixture
	dir          string
	kept, render *httptest.Server
}

func newKeptExport(t *testing.T, n int) *keptExport {
	t.Helper()
	f := newFixture(t, invtest.Generate(n, 1)...)
	k := &keptExport{f: f, dir: filepath.Join(t.TempDir(), "cache")}
	log := slog.New(slog.DiscardHandler)
	users := api.Options{Users: []api.User{{Name: "sp", Password: "pw", APIs: []string{"pi-v1"}}}, Log: log}
	g := piv1.New(f.db)
	if err := g.KeepIn(k.dir, log); err != nil {
		t.Fatal(err)
	}
	k.kept = httptest.NewServer(api.New(users, g))
	t.Cleanup(k.kept.Close)
	k.render = httptest.NewServer(api.New(users, piv1.New(f.db)))
	t.Cleanup(k.render.Close)
	return k
}

func (k *keptExport) get(t *testing.T, srv *httptest.Server, method string, hdr ...string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+piv1.Path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth("sp", "pw")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	r, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Body.Close()
	body, err := io.ReadAll(r.Body)
	if err != nil {
		t.Fatal(err)
	}
	return r, string(body)
}

func (k *keptExport) files(t *testing.T) []string {
	t.Helper()
	es, err := os.ReadDir(k.dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

// A repeated full export comes from the kept file, byte for byte what a
// rendering gives, with a Content-Length; a change of the inventory is
// never answered from the older file.
func TestPIV1FullExportIsKeptUntilTheInventoryChanges(t *testing.T) {
	k := newKeptExport(t, 300) // ≈ 200 KB: more than one 64 KiB write
	want, wantBody := k.get(t, k.render, "GET")
	if want.StatusCode != 200 || want.ContentLength != -1 {
		t.Fatalf("rendered export: %d, length %d", want.StatusCode, want.ContentLength)
	}
	first, body := k.get(t, k.kept, "GET")
	if first.StatusCode != 200 || body != wantBody || first.ContentLength != -1 {
		t.Fatalf("first export: %d, length %d, same as rendered: %v", first.StatusCode, first.ContentLength, body == wantBody)
	}
	if got := k.files(t); len(got) != 1 {
		t.Fatalf("kept files %v, want one", got)
	}
	for range 2 {
		again, body := k.get(t, k.kept, "GET")
		if again.StatusCode != 200 || body != wantBody || again.ContentLength != int64(len(wantBody)) {
			t.Fatalf("repeated export: %d, length %d of %d, same bytes: %v", again.StatusCode, again.ContentLength, len(wantBody), body == wantBody)
		}
		for _, h := range []string{"Content-Type", "Last-Modified"} {
			if again.Header.Get(h) != want.Header.Get(h) {
				t.Errorf("%s: %q, rendered %q", h, again.Header.Get(h), want.Header.Get(h))
			}
		}
	}
	head, body := k.get(t, k.kept, "HEAD")
	if head.StatusCode != 200 || body != "" || head.ContentLength != int64(len(wantBody)) {
		t.Fatalf("HEAD: %d, %d bytes, length %d", head.StatusCode, len(body), head.ContentLength)
	}

	// One access changes: the next export is rendered (and kept) anew.
	changed := invtest.Generate(300, 1)[17]
	changed.City = "Ändrad stad"
	k.f.now = k.f.now.Add(time.Minute)
	k.f.importAll(t, changed)
	k.f.now = k.f.now.Add(time.Second)
	_, wantNew := k.get(t, k.render, "GET")
	if wantNew == wantBody {
		t.Fatal("the change did not change the rendered export")
	}
	for i := range 2 {
		r, body := k.get(t, k.kept, "GET")
		if body != wantNew {
			t.Fatalf("export %d after the change: not what a rendering gives (length %d)", i+1, r.ContentLength)
		}
	}
	if got := k.files(t); len(got) != 1 {
		t.Fatalf("kept files after the change %v, want only the newest", got)
	}
	// An incremental export is never the kept file.
	inc, body := k.get(t, k.kept, "GET", "If-Modified-Since", first.Header.Get("Last-Modified"))
	if inc.StatusCode != 200 || body == wantNew || inc.ContentLength == int64(len(wantNew)) {
		t.Fatalf("incremental export: %d, %d bytes", inc.StatusCode, len(body))
	}
}

// Files of an earlier run are removed when the group is made.
func TestPIV1KeepInRemovesEarlierExports(t *testing.T) {
	dir := t.TempDir()
	stale := filepath.Join(dir, "piv1-export-7.xml")
	if err := os.WriteFile(stale, []byte("<Entries/>"), 0o600); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(other, []byte("kept"), 0o600); err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, invtest.Generate(3, 1)...)
	if err := piv1.New(f.db).KeepIn(dir, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the stale export is still there: %v", err)
	}
	if _, err := os.Stat(other); err != nil {
		t.Errorf("a file that is no export was removed: %v", err)
	}
	// A directory that cannot be made is an error at start.
	if err := piv1.New(f.db).KeepIn(filepath.Join(other, "sub"), slog.New(slog.DiscardHandler)); err == nil {
		t.Error("KeepIn under a regular file: no error")
	}
}

// An export the client gives up on is not kept: the next one is rendered
// whole, and no partial file stays behind.
func TestPIV1ExportCutShortIsNotKept(t *testing.T) {
	k := newKeptExport(t, 30_000) // ≈ 21 MB: more than loopback's socket buffers hold
	_, wantBody := k.get(t, k.render, "GET")
	req, err := http.NewRequest("GET", k.kept.URL+piv1.Path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth("sp", "pw")
	r, err := k.kept.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(r.Body, make([]byte, 1000)); err != nil {
		t.Fatal(err)
	}
	k.kept.CloseClientConnections() // the client goes away mid-export
	r.Body.Close()
	waitFor(t, func() bool { return len(k.files(t)) == 0 }, "the partial export to be removed")
	// The next exports are what a rendering gives; one is kept again and
	// the next comes from it. (A request in the moment between the
	// partial file's removal and the cache's release renders without
	// keeping, as any request does while another writes the file.)
	deadline := time.Now().Add(10 * time.Second)
	for {
		r, body := k.get(t, k.kept, "GET")
		if body != wantBody {
			t.Fatal("an export after a cut-short one is not what a rendering gives")
		}
		if r.ContentLength == int64(len(wantBody)) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no export was kept after a cut-short one")
		}
	}
}

// A directory the cache cannot write to costs nothing but the rendering:
// every export is whole and rendered, and the log says so once, not at
// every export.
func TestPIV1ExportWithoutItsDirectoryIsRendered(t *testing.T) {
	f := newFixture(t, invtest.Generate(50, 1)...)
	dir := filepath.Join(t.TempDir(), "cache")
	var logged bytes.Buffer
	g := piv1.New(f.db)
	if err := g.KeepIn(dir, slog.New(slog.NewTextHandler(&logged, nil))); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(dir); err != nil { // e.g. removed by hand while running
		t.Fatal(err)
	}
	users := api.Options{Users: []api.User{{Name: "sp", Password: "pw", APIs: []string{"pi-v1"}}}, Log: slog.New(slog.DiscardHandler)}
	kept := httptest.NewServer(api.New(users, g))
	defer kept.Close()
	render := httptest.NewServer(api.New(users, piv1.New(f.db)))
	defer render.Close()
	k := &keptExport{f: f, dir: dir, kept: kept, render: render}
	_, want := k.get(t, render, "GET")
	for range 3 {
		r, body := k.get(t, kept, "GET")
		if r.StatusCode != 200 || body != want || r.ContentLength != -1 {
			t.Fatalf("export without the cache's directory: %d, length %d, same as rendered: %v", r.StatusCode, r.ContentLength, body == want)
		}
	}
	if n := strings.Count(logged.String(), "cannot keep the PI V1 export"); n != 1 {
		t.Errorf("the failure was logged %d times, want once:\n%s", n, logged.String())
	}
	// The directory back: the next export is kept again, and the log says so.
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	k.get(t, kept, "GET")
	if r, body := k.get(t, kept, "GET"); body != want || r.ContentLength != int64(len(want)) {
		t.Fatalf("export after the directory came back: length %d", r.ContentLength)
	}
	if !strings.Contains(logged.String(), "can be kept again") {
		t.Errorf("no log line for the cache working again:\n%s", logged.String())
	}
}

func waitFor(t *testing.T, ok func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("waited 10 s for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
