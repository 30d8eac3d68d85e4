package orders_test

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stadsnat/accessd/api"
	"github.com/stadsnat/accessd/api/activation"
	"github.com/stadsnat/accessd/api/activation/acttest"
	"github.com/stadsnat/accessd/api/atlas"
	"github.com/stadsnat/accessd/api/orders"
	"github.com/stadsnat/accessd/api/piapi"
	"github.com/stadsnat/accessd/store"
	"github.com/stadsnat/accessd/store/catalog"
	"github.com/stadsnat/accessd/store/inventory"
)

// world is one generated access, catalogue, set of claims on the access
// and port, all from one seed.
type world struct {
	access  inventory.Access
	catalog []catalog.Service
	rules   []activation.Rule
	port    *acttest.Port
	active  []store.Service // on the access
	open    []store.Order   // RECEIVED orders on the access
}

var propToday = time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)

func pick[T any](r *rand.Rand, xs ...T) T { return xs[r.IntN(len(xs))] }

func genWorld(seed uint64) world {
	r := rand.New(rand.NewPCG(seed, 11))
	dates := []inventory.Availability{"YES", "NO", "2026-03-01", "2026-03-02", "2026-03-03", "2027-01-01"}
	a := acttest.Access("P1", "10.9.0.1 ge-0/0/1")
	a.Sellable, a.Activatable = pick(r, dates...), pick(r, dates...)
	a.Media = pick(r, "FTTH", "FTTB", "DSL", "")
	a.PortSpeedMbps = pick(r, 0, 10, 100, 1000)
	a.IPTV, a.RFoF = r.IntN(2) == 0, r.IntN(3) == 0
	a.CPERouter, a.CPESwitch = "", ""
	switch r.IntN(3) {
	case 0:
		a.CPERouter = "R"
	case 1:
		a.CPESwitch = "S"
	}
	a.AccessState = pick(r, "", "", "", inventory.AccessStateOutMigration, inventory.AccessStateConnected)
	a.Population = pick(r, "", "Studentbostäder")
	w := world{access: a}
	types := []string{"broadband", "tv", "voip"}
	for i := range 2 + r.IntN(4) {
		s := catalog.Service{UID: fmt.Sprintf("S%d", i), Type: pick(r, types...), CapacityKbit: pick(r, 0, 20000, 100000, 1000000),
			Hardware: pick(r, "", "CPE", "DRG"), MaxPerAccess: pick(r, 0, 1, 2), IPTV: r.IntN(4) == 0}
		switch r.IntN(4) {
		case 0:
			s.Media = []string{"FTTH"}
		case 1:
			s.Media = []string{"FTTH", "FTTB"}
		case 2:
			s.Media = []string{"RFOF"}
		}
		w.catalog = append(w.catalog, s)
	}
	if r.IntN(3) == 0 {
		w.rules = []activation.Rule{{Code: 530, When: activation.WhenPopulationIn, Values: []string{"Studentbostäder"}, Message: "Spärrad"}}
	}
	if r.IntN(2) == 0 {
		w.port = &acttest.Port{SpeedMbps: pick(r, 10, 100, 1000), Up: r.IntN(4) != 0}
	}
	for i := range r.IntN(3) {
		s := w.catalog[r.IntN(len(w.catalog))]
		owner := pick(r, "atlas", "x")
		if r.IntN(2) == 0 {
			w.active = append(w.active, store.Service{SubscriptionID: fmt.Sprintf("sub%d", i), AccessID: "P1", UID: s.UID, Type: s.Type,
				Owner: owner, Activated: "2026-01-01", OrderID: fmt.Sprintf("old%d", i)})
		} else {
			op := store.Activate
			if len(w.active) > 0 && r.IntN(2) == 0 {
				op = store.Deactivate
				s.UID = w.active[0].UID
				owner = w.active[0].Owner
			}
			w.open = append(w.open, store.Order{ID: fmt.Sprintf("open%d", i), Owner: owner, Channel: "test", AccessID: "P1",
				Service: s.UID, Operation: op, State: store.Received, Due: propToday.Add(24 * time.Hour),
				SubscriptionID: fmt.Sprintf("osub%d", i)})
		}
	}
	for i, o := range w.open {
		if o.Operation == store.Deactivate {
			w.open[i].SubscriptionID = w.active[0].SubscriptionID
		}
	}
	return w
}

// build makes a store, engine and router for the world, and the function
// that closes the store. The caller is the service provider "atlas" in
// every API: Atlas's API user, and a PI-API user of that name, so that
// the same provider asks everywhere.
func (w world) build(t *testing.T) (http.Handler, func()) {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), store.FileName), store.Options{Now: func() time.Time { return propToday }, NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Inventory().Import([]store.Incoming{{Access: w.access}}, store.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	errs := db.Orders().Batch([]func(*store.OrderTx) error{func(o *store.OrderTx) error {
		for i := range w.active {
			if err := o.PutService(&w.active[i]); err != nil {
				return err
			}
		}
		for i := range w.open {
			if err := o.CreateOrder(&w.open[i], ""); err != nil {
				return err
			}
		}
		return nil
	}})
	if errs[0] != nil {
		t.Fatal(errs[0])
	}
	ports := acttest.Ports{}
	if w.port != nil {
		ports["P1"] = *w.port
	}
	eng := activation.New(activation.Options{Orders: db.Orders(), Location: acttest.Stockholm(t), Now: func() time.Time { return propToday },
		NewID: (&acttest.IDs{Prefix: "n"}).Next, Ports: ports,
		Settings: activation.Settings{Catalog: catalog.New(w.catalog), Rules: w.rules, Media: catalog.NewMediaCodes(nil)}})
	log := slog.New(slog.DiscardHandler)
	at, err := atlas.New(atlas.Config{APIUser: "atlas", APIKey: "k", AllowedIPs: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}},
		eng, nil, nil, log)
	if err != nil {
		t.Fatal(err)
	}
	o := orders.New(orders.Deps{Engine: eng, DB: db})
	return api.New(api.Options{Log: log, Users: []api.User{{Name: "atlas", Password: "pw", APIs: []string{"pi-api"}}}},
		piapi.New(piapi.Deps{DB: db, Engine: eng, Active: o.Active}), o, at), func() { db.Close() }
}

func serveProp(h http.Handler, method, target, body string) (int, string) {
	req := httptest.NewRequest(method, target, strings.NewReader(body))
	req.RemoteAddr = "127.0.0.1:5000"
	req.SetBasicAuth("atlas", "pw")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Code, rec.Body.String()
}

// The property of issue 11: for generated accesses, catalogues, claims
// and ports, PI-API availability says "available: YES" for a service
// exactly when Atlas's service_deliverable answers 200 and exactly when an
// ACTIVATE of it is accepted (created, already active, or its own
// ACTIVATE already open).
func TestAvailableIffDeliverableIffAccepted(t *testing.T) {
	worlds := 150 // each world is a store per order tried: about 8 s
	if testing.Short() {
		worlds = 30
	}
	agree := map[bool]int{}
	for seed := range uint64(worlds) {
		w := genWorld(seed)
		h, done := w.build(t)
		_, body := serveProp(h, "GET", "/api/2.3/accesses/P1", "")
		var av struct {
			Services []struct{ Service, Available string }
		}
		if err := json.Unmarshal([]byte(body), &av); err != nil {
			t.Fatalf("seed %d: availability: %v\n%s", seed, err, body)
		}
		available := map[string]bool{}
		for _, s := range av.Services {
			available[s.Service] = s.Available == "YES"
		}
		for _, s := range w.catalog {
			q := url.Values{"method": {"service_deliverable"}, "socket": {"P1"}, "service_uid": {s.UID}, "origin": {"customer"},
				"api_user": {"atlas"}, "api_key": {"k"}}
			_, xml := serveProp(h, "GET", "/atlas/api?"+q.Encode(), "")
			deliverable := strings.Contains(xml, "<code>200</code>")
			accepted := orderAccepted(t, w, s.UID)
			if available[s.UID] != deliverable || deliverable != accepted {
				t.Errorf("seed %d, service %s: available %v, service_deliverable 200 %v, ACTIVATE accepted %v\naccess %+v\nservice %+v\nactive %+v\nopen %+v\nport %+v\n%s",
					seed, s.UID, available[s.UID], deliverable, accepted, w.access, s, w.active, w.open, w.port, xml)
			}
			agree[accepted]++
		}
		done()
	}
	if agree[true] < worlds/8 || agree[false] < worlds/8 {
		t.Errorf("the generator gave %d accepted and %d refused orders: too few of one kind to mean much", agree[true], agree[false])
	}
}

// orderAccepted places an ACTIVATE in a fresh copy of the world.
func orderAccepted(t *testing.T, w world, uid string) bool {
	h, done := w.build(t)
	defer done()
	code, body := serveProp(h, "POST", "/api/2.3/orders/",
		fmt.Sprintf(`{"accessId": "P1", "service": %q, "operation": "ACTIVATE", "forcedTakeover": false}`, uid))
	switch code {
	case http.StatusCreated:
		return true
	case http.StatusOK:
		var o struct{ Operation, State string }
		json.Unmarshal([]byte(body), &o)
		return o.Operation == "ACTIVATE"
	}
	return false
}
