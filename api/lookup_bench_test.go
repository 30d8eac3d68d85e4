package api_test

import (
	"crypto/md5"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/stadsnat/accessd/api"
	"github.com/stadsnat/accessd/api/activation"
	"github.com/stadsnat/accessd/api/activation/acttest"
	"github.com/stadsnat/accessd/api/atlas"
	"github.com/stadsnat/accessd/api/onapi"
	"github.com/stadsnat/accessd/api/piapi"
	"github.com/stadsnat/accessd/dhcp/lookup"
	"github.com/stadsnat/accessd/store"
	"github.com/stadsnat/accessd/store/catalog"
	"github.com/stadsnat/accessd/store/inventory/invtest"
)

// lookupRouter is the router of the look-ups as the daemon mounts it —
// metrics registered, the login guard, the look-ups of PI-API and ON-API,
// Atlas with a visitor's binding — over a store of n generated accesses.
func lookupRouter(b testing.TB, n int) http.Handler {
	b.Helper()
	now := time.Date(2026, 3, 2, 9, 30, 15, 0, time.UTC)
	db, err := store.Open(filepath.Join(b.TempDir(), store.FileName), store.Options{Now: func() time.Time { return now }, NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	as := invtest.Generate(n, 1)
	in := make([]store.Incoming, len(as))
	for i, a := range as {
		in[i] = store.Incoming{Access: a}
	}
	if _, err := db.Inventory().Import(in, store.ImportOptions{}); err != nil {
		b.Fatal(err)
	}
	now = now.Add(time.Second)
	log := slog.New(slog.DiscardHandler)
	eng := activation.New(activation.Options{Orders: db.Orders(), Location: acttest.Stockholm(b), Now: func() time.Time { return now },
		Ports: acttest.Ports{}, DHCP: acttest.DHCP{as[4242].AccessID: "5217010967652D302F302F3138020A31302E32302E302E3839"},
		Settings: activation.Settings{Catalog: catalog.New(acttest.Services()), Media: catalog.NewMediaCodes(nil)}})
	at, err := atlas.New(atlas.Config{APIUser: "atlas", APIKey: "secretkey",
		ReturnURLs:     []*url.URL{{Scheme: "https", Host: "tg.example.se", Path: "/serviceguide"}},
		AllowedIPs:     []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")},
		TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")},
	}, eng, benchBindings{netip.MustParseAddr("10.64.0.5"): as[5].AccessID}, nil, log)
	if err != nil {
		b.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	res := lookup.New(db.Inventory(), nil, nil)
	return api.New(api.Options{
		Users:          []api.User{{Name: "sp", Password: "pw", APIs: []string{"pi-v1", "pi-api", "on-api"}}},
		Log:            log,
		Metrics:        api.NewMetrics(reg),
		Gatherer:       reg,
		Guard:          api.NewGuard(reg, log),
		TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")},
	}, piapi.NewLookup(res), onapi.NewLookup(res), at)
}

type benchBindings map[netip.Addr]string

func (b benchBindings) AccessByIP(ip netip.Addr) (string, bool) { id, ok := b[ip]; return id, ok }
func (benchBindings) AccessByMAC([6]byte) (string, bool)        { return "", false }

// lookupRequests are the look-ups of issue 15 (those the load figures
// measure with wrk) on lookupRouter's store.
func lookupRequests(n int) map[string]*http.Request {
	as := invtest.Generate(n, 1)
	a := as[4242]
	remote, circuit, _ := strings.Cut(a.Option82, " ")
	key := fmt.Sprintf("%x", md5.Sum([]byte("atlas"+"secretkey"+"42")))
	reqs := map[string]*http.Request{
		"option82-piapi": httptest.NewRequest("GET", "/api/2.3/option82/"+option82Hex(a.Option82), nil),
		"option82-onapi": httptest.NewRequest("GET", "/onapi/2.6/option82/"+option82Hex(a.Option82), nil),
		"dhcplookup": httptest.NewRequest("GET", "/onapi/2.6/dhcplookup/?ipv4CircuitId="+url.QueryEscape(circuit)+
			"&ipv4RemoteId="+url.QueryEscape(remote), nil),
		"port_status": httptest.NewRequest("GET", "/atlas/api?method=port_status&socket="+a.AccessID+"&api_user=atlas&api_key=secretkey", nil),
		"bounce":      httptest.NewRequest("GET", "/atlas/bounce?return_url=https%3A%2F%2Ftg.example.se%2Fserviceguide&api_key="+key+"&api_secret=42", nil),
	}
	for name, r := range reqs {
		r.RemoteAddr = "127.0.0.1:40000"
		if !strings.HasPrefix(name, "port_status") && name != "bounce" {
			r.SetBasicAuth("sp", "pw")
		}
		if name == "bounce" {
			r.Header.Set("X-Forwarded-For", "10.64.0.5")
		}
	}
	return reqs
}

// recorder is a ResponseWriter that keeps the status and the body's
// length and whose header map is reused, as net/http reuses nothing of
// it either: what a benchmark counts is the handler's own work.
type recorder struct {
	h      http.Header
	status int
	n      int
}

func (r *recorder) Header() http.Header         { return r.h }
func (r *recorder) WriteHeader(code int)        { r.status = code }
func (r *recorder) Write(b []byte) (int, error) { r.n += len(b); return len(b), nil }
func (r *recorder) reset()                      { clear(r.h); r.status, r.n = 200, 0 }

// BenchmarkLookups serves each look-up of issue 15 through the whole
// router (metrics, the guard, authentication, routing, the handler, the
// store) in 100,000 accesses, and beside it a bare handler that writes the
// same answer: the difference is what accessd adds to net/http per
// request. Profile one with -cpuprofile/-memprofile:
//
//	go test ./api -run XXX -bench Lookups -benchmem
//	go test ./api -run XXX -bench 'Lookups/option82-piapi$' -benchmem -cpuprofile cpu.out -memprofile mem.out
func BenchmarkLookups(b *testing.B) {
	h := lookupRouter(b, 100_000)
	for name, req := range lookupRequests(100_000) {
		w := &recorder{h: http.Header{}}
		w.reset()
		h.ServeHTTP(w, req)
		if w.status != http.StatusOK && w.status != http.StatusFound || w.n == 0 && w.status == http.StatusOK {
			b.Fatalf("%s: %d", name, w.status)
		}
		want := w.h.Clone()
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				w.reset()
				h.ServeHTTP(w, req)
			}
		})
		body := make([]byte, w.n)
		bare := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			hd := w.Header()
			for k, v := range want {
				hd[k] = v
			}
			w.WriteHeader(http.StatusOK)
			w.Write(body)
		})
		b.Run(name+"-bare", func(b *testing.B) {
			for b.Loop() {
				w.reset()
				bare.ServeHTTP(w, req)
			}
		})
	}
}
