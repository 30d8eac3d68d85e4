package upstream_test

import (
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stadsnat/accessd/api/activation"
	"github.com/stadsnat/accessd/cmd/accessd/internal/upstream"
	"github.com/stadsnat/accessd/cmd/accessd/internal/upstream/spapi/sptest"
	"github.com/stadsnat/accessd/cmd/internal/admin"
	"github.com/stadsnat/accessd/cmd/internal/config"
	"github.com/stadsnat/accessd/internal/testkit"
	"github.com/stadsnat/accessd/store"
)

// A provider configured with fetch_at_activation is asked for the customer
// when its order runs: an access it does not know fails the order with a
// clear cause and no hook run; one it knows runs with the customer in the
// hook's input. accessctl customer asks it on demand; nothing is stored.
func TestProviderCustomerLookups(t *testing.T) {
	sp := sptest.New(sptest.Config{User: "ko", Password: "sp-secret"})
	t.Cleanup(sp.Close)
	sp.Add(sptest.Entry{AccessID: "AB1", Service: "BB100100", SPReference: "ref-AB1", Name: "Kalle Anka", Email: "kalle@example.se"})
	users := []config.User{{Name: "sp", Password: "pw", APIs: []config.API{config.APIPIAPI}, CustomerAPI: config.CustomerAPI{
		URL: sp.Root(), Username: "ko", PasswordFile: writeFile(t, "sp.pw", "sp-secret\n"),
		Timeout: config.Duration(5 * time.Second), FetchAtActivation: true}}}
	r := newRig(t, upstream.Config{Users: users})
	place := func(access string) store.Order {
		res, err := r.f.Engine.Place(activation.Request{Owner: "sp", Channel: "pi-api-2.3", AccessID: access, Service: "BB100100",
			Operation: store.Activate, SPReference: "ref-" + access})
		if err != nil || res.Outcome != activation.Created {
			t.Fatalf("place %s: %+v %v", access, res, err)
		}
		return res.Order
	}
	ok, unknown := place("AB1"), place("AB2")
	r.f.RunDue(t)
	o1, _ := r.f.Engine.Order(ok.ID)
	o2, _ := r.f.Engine.Order(unknown.ID)
	if o1.State != store.DoneSuccess || o1.Customer != nil {
		t.Errorf("the known customer's order: %s, customer stored %v", o1.State, o1.Customer != nil)
	}
	if o2.State != store.DoneFailed || !strings.Contains(o2.Message, "service provider sp could not give the customer") ||
		!strings.Contains(o2.Message, "AB2") {
		t.Errorf("the unknown access's order: %s %q", o2.State, o2.Message)
	}
	if len(r.f.Hook.Calls) != 1 || r.f.Hook.Calls[0].ProviderCustomer == nil || r.f.Hook.Calls[0].ProviderCustomer.Name != "Kalle Anka" {
		t.Errorf("hook calls %+v", r.f.Hook.Calls)
	}
	var cs admin.Customers
	if code := r.get("GET", admin.PathCustomer+"AB1", &cs); code != 200 || len(cs.Providers) != 1 ||
		len(cs.Providers[0].Services) != 1 || cs.Providers[0].Services[0].Name != "Kalle Anka" {
		t.Errorf("customer AB1: %d %+v", code, cs)
	}
	if code := r.get("GET", admin.PathCustomer+"AB3", nil); code != 404 {
		t.Errorf("customer of an access without the provider's services: %d", code)
	}
	// A reload builds the look-ups again (users: applies live).
	if err := r.parts.Reload(&config.Config{Users: users, Upstream: config.Upstream{Outbox: outboxConfig()}}); err != nil {
		t.Errorf("reload: %v", err)
	}
	if code := r.get("GET", admin.PathCustomer+"AB1", &cs); code != 200 {
		t.Errorf("customer AB1 after a reload: %d", code)
	}
	if log := r.log.String(); strings.Contains(log, "Kalle") || strings.Contains(log, "kalle@") || strings.Contains(log, "sp-secret") {
		t.Errorf("customer data or the password in the log:\n%s", log)
	}
}

// piv1Source serves a PI V1 export as the KO's central system does:
// HTTP Basic, GET only, Last-Modified, and 304 for an unchanged
// If-Modified-Since.
type piv1Source struct {
	mu   sync.Mutex
	body []byte
	lm   time.Time
}

func (s *piv1Source) set(t *testing.T, file string, lm time.Time) {
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	s.mu.Lock()
	s.body, s.lm = b, lm
	s.mu.Unlock()
}

func (s *piv1Source) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u, p, ok := r.BasicAuth(); !ok || u != "ko" || p != "central-pw" {
		w.Header().Set("WWW-Authenticate", `Basic realm="ko"`)
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	if r.Method != http.MethodGet {
		http.Error(w, "GET only", http.StatusMethodNotAllowed)
		return
	}
	if ims, err := http.ParseTime(r.Header.Get("If-Modified-Since")); err == nil && !s.lm.After(ims) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("Last-Modified", s.lm.UTC().Format(http.TimeFormat))
	w.Header().Set("Content-Type", "application/xml")
	w.Write(s.body)
}

// An inventory pull that would break a rule changes nothing, and the
// status says why.
func TestBadInventoryPullChangesNothing(t *testing.T) {
	src := &piv1Source{}
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	src.set(t, "testdata/piv1-three.xml", t0)
	srv := httptest.NewServer(src)
	t.Cleanup(srv.Close)
	r := newRig(t, upstream.Config{Upstream: config.Upstream{InventoryPull: config.InventoryPull{Name: "central", URL: srv.URL + "/ko/api/1/",
		Format: "pi-v1", Username: "ko", PasswordFile: writeFile(t, "central.pw", "central-pw\n"),
		Interval: config.Duration(20 * time.Millisecond), Timeout: config.Duration(5 * time.Second)}}})
	r.start()
	defer r.stop()
	testkit.WaitUntil(t, 10*time.Second, "the first pull applied", func() bool {
		_, err := r.f.DB.Inventory().Access("STTA0003")
		return err == nil
	})
	before, _ := r.f.DB.Inventory().Access("STTA0001")
	src.set(t, "testdata/piv1-three-bad.xml", t0.Add(time.Hour))
	var p *admin.InventoryPull
	testkit.WaitUntil(t, 10*time.Second, "the bad pull refused", func() bool {
		p = upstreamStatus(t, r).Pull
		return p != nil && p.Refused
	})
	if p.LastErrorField != "PostalCode" || p.LastErrorLine == 0 || !strings.Contains(p.LastError, "PostalCode") {
		t.Errorf("status of the refused pull: %+v", p)
	}
	after, _ := r.f.DB.Inventory().Access("STTA0001")
	if after.StreetName != before.StreetName || after.Seq != before.Seq || after.StreetName != "Testvägen" {
		t.Errorf("a refused pull changed STTA0001: %q (seq %d) → %q (seq %d)", before.StreetName, before.Seq, after.StreetName, after.Seq)
	}
}
