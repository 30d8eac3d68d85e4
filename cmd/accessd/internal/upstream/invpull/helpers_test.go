package invpull

import (
	"bytes"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/stadsnat/accessd/store"
	"github.com/stadsnat/accessd/store/inventory"
)

// source is a test inventory source that enforces what the specifications
// say of the export: HTTP Basic or an api-key, GET only, Last-Modified on
// every 200, and If-Modified-Since: 304 when nothing changed since, the
// changes when it knows them, else everything.
type source struct {
	*httptest.Server
	mu           sync.Mutex
	user, pass   string // Basic, when user is set
	keyHeader    string // api-key header, when set
	key          string
	ctype        string
	body         []byte            // everything
	lastModified string            // of body
	changes      map[string][]byte // If-Modified-Since ⇒ what changed since
	status       int               // when set, answered instead
	requests     []*http.Request
}

func newSource(t testing.TB, ctype string) *source {
	s := &source{ctype: ctype, lastModified: "Fri, 31 Aug 2012 12:03:28 GMT", changes: map[string][]byte{}}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

// serve answers one request.
func (s *source) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, r.Clone(r.Context()))
	if s.user != "" {
		u, p, ok := r.BasicAuth()
		if !ok || u != s.user || p != s.pass {
			w.Header().Set("WWW-Authenticate", `Basic realm="inventory"`)
			http.Error(w, "authentication required", http.StatusUnauthorized)
			return
		}
	}
	if s.keyHeader != "" && r.Header.Get(s.keyHeader) != s.key {
		http.Error(w, "api-key required", http.StatusUnauthorized)
		return
	}
	if r.Method != http.MethodGet {
		http.Error(w, "GET only", http.StatusMethodNotAllowed)
		return
	}
	if s.status != 0 {
		w.Header().Set("Last-Modified", s.lastModified)
		w.WriteHeader(s.status)
		return
	}
	body := s.body
	if ims := r.Header.Get("If-Modified-Since"); ims != "" {
		if ims == s.lastModified {
			w.Header().Set("Last-Modified", s.lastModified)
			w.WriteHeader(http.StatusNotModified)
			return
		}
		if c, ok := s.changes[ims]; ok {
			body = c
		}
	}
	w.Header().Set("Content-Type", s.ctype)
	w.Header().Set("Last-Modified", s.lastModified)
	w.Write(body)
}

// set makes the source serve body, last modified at lm.
func (s *source) set(body []byte, lm string) {
	s.mu.Lock()
	s.body, s.lastModified = body, lm
	s.mu.Unlock()
}

func (s *source) request(i int) *http.Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests[i]
}

func (s *source) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.requests)
}

func golden(t testing.TB, name string) []byte {
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// openStore opens a real store in a temporary directory.
func openStore(t testing.TB) *store.DB {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), "up-cubit-invpull.db"), store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// storeApplier applies pulls to a real store, as the daemon will.
func storeApplier(db *store.DB) Applier {
	return ApplierFunc(func(in []store.Incoming, replace bool) (store.ImportSummary, error) {
		return db.Inventory().Import(in, store.ImportOptions{Replace: replace})
	})
}

// storeLookup reads the live access from a real store.
type storeLookup struct{ db *store.DB }

func (l storeLookup) Access(id string) (inventory.Access, bool, error) {
	rec, err := l.db.Inventory().Access(id)
	if errors.Is(err, store.ErrNotFound) {
		return inventory.Access{}, false, nil
	}
	return rec.Access, err == nil, err
}

// importFile imports a testdata file into db, as accessctl import does.
func importFile(t *testing.T, db *store.DB, f inventory.Format, name string) {
	t.Helper()
	in, err := store.ReadIncoming(f, bytes.NewReader(golden(t, name)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Inventory().Import(in, store.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
}

// accesses returns every live access of db by id.
func accesses(t *testing.T, db *store.DB, ids ...string) map[string]inventory.Access {
	t.Helper()
	out := map[string]inventory.Access{}
	for _, id := range ids {
		rec, err := db.Inventory().Access(id)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		out[id] = rec.Access
	}
	return out
}

type harness struct {
	src *source
	db  *store.DB
	p   *Puller
	reg *prometheus.Registry
	log *bytes.Buffer
}

func newHarness(t testing.TB, f Format, ctype string, edit func(*Config)) *harness {
	t.Helper()
	h := &harness{src: newSource(t, ctype), db: openStore(t), reg: prometheus.NewRegistry(), log: &bytes.Buffer{}}
	cfg := Config{Name: "central", URL: h.src.URL + "/ko/api/1/", Format: f}
	if edit != nil {
		edit(&cfg)
	}
	log := slog.New(slog.NewTextHandler(h.log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	var err error
	h.p, err = New(cfg, storeApplier(h.db), Options{Log: log, Registerer: h.reg, Lookup: storeLookup{h.db}})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// counter returns a counter's value by its label values.
func counter(t *testing.T, reg *prometheus.Registry, name, label, value string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, lp := range m.GetLabel() {
				if lp.GetName() == label && lp.GetValue() == value {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	return 0
}

func secretFile(t *testing.T, s string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(p, []byte(s+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func sorted(s []string) []string {
	out := append([]string(nil), s...)
	slices.Sort(out)
	return out
}
