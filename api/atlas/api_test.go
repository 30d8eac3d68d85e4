package atlas_test

import (
	"context"
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

	"github.com/stadsnat/accessd/api"
	"github.com/stadsnat/accessd/api/activation"
	"github.com/stadsnat/accessd/api/activation/acttest"
	"github.com/stadsnat/accessd/api/atlas"
	"github.com/stadsnat/accessd/api/cubit"
	"github.com/stadsnat/accessd/api/internal/apitest"
	"github.com/stadsnat/accessd/api/onapi"
	"github.com/stadsnat/accessd/api/piapi"
	"github.com/stadsnat/accessd/api/piv1"
	"github.com/stadsnat/accessd/internal/testkit"
	"github.com/stadsnat/accessd/store"
)

const (
	apiUser = "atlas"
	apiKey  = "secretkey"
	atlasIP = "94.247.170.170"
)

type fixture struct {
	*acttest.Fixture
	h http.Handler
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	clock := acttest.NewClock(time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC))
	f := acttest.New(t, clock, func(o *activation.Options) {
		o.Settings.Rules = []activation.Rule{
			{Code: 500, When: activation.WhenNotSellable, Message: "Adressen är inte säljstartad"},
			{Code: 501, When: activation.WhenPopulationNotIn, Values: []string{"Studentbostäder"}, Services: []string{"IPTV2"},
				Message: "Endast studenter kan beställa den tjänsten"},
		}
		o.Ports = acttest.Ports{"A1": {SpeedMbps: 100, Up: true}}
		o.DHCP = acttest.DHCP{"A1": "5216010765746820302F31020B31302E"}
	})
	bindings := fakeBindings{
		byIP:  map[netip.Addr]string{netip.MustParseAddr("10.1.0.11"): "A1", netip.MustParseAddr("10.1.0.99"): "GONE"},
		byMAC: map[[6]byte]string{{2, 0, 0, 0, 0, 2}: "A2"},
	}
	neigh := fakeNeighbours{netip.MustParseAddr("10.1.0.12"): {2, 0, 0, 0, 0, 2}}
	h, err := atlas.New(atlas.Config{
		APIUser: apiUser, APIKey: apiKey, ReturnURLs: []*url.URL{{Scheme: "https", Host: "tg.example.se", Path: "/serviceguide"}},
		AllowedIPs:     []netip.Prefix{netip.MustParsePrefix(atlasIP + "/32"), netip.MustParsePrefix("217.78.19.0/24")},
		TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.255.0.1/32")},
		NetType:        "LAYER2",
		BouncePath:     "/atlas/bounce", APIPath: "/atlas/api",
	}, f.Engine, bindings, neigh, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	router := api.New(api.Options{Log: log}, piv1.New(f.DB), piapi.New(piapi.Deps{DB: f.DB, Engine: f.Engine}), onapi.New(onapi.Deps{DB: f.DB}),
		cubit.New(cubit.Deps{DB: f.DB, Log: log}), h)
	return &fixture{Fixture: f, h: router}
}

type fakeBindings struct {
	byIP  map[netip.Addr]string
	byMAC map[[6]byte]string
}

func (f fakeBindings) AccessByIP(ip netip.Addr) (string, bool) { id, ok := f.byIP[ip]; return id, ok }
func (f fakeBindings) AccessByMAC(m [6]byte) (string, bool)    { id, ok := f.byMAC[m]; return id, ok }

type fakeNeighbours map[netip.Addr][6]byte

func (f fakeNeighbours) MAC(_ context.Context, ip netip.Addr) ([6]byte, bool, error) {
	m, ok := f[ip]
	return m, ok, nil
}

// do sends a request from addr and renders the answer as the golden
// files hold it.
func (f *fixture) do(t *testing.T, method, target, from string, hdr ...string) (*http.Response, string) {
	t.Helper()
	req := httptest.NewRequest(method, target, nil)
	req.RemoteAddr = from + ":40000"
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	return apitest.Serve(f.h, req)
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	testkit.Golden(t, filepath.Join("testdata", name+".golden"), got)
}

func apiURL(params ...string) string {
	q := url.Values{"api_user": {apiUser}, "api_key": {apiKey}}
	for i := 0; i+1 < len(params); i += 2 {
		q.Set(params[i], params[i+1])
	}
	return "/atlas/api?" + q.Encode()
}

// runDue lets the engine run what is due now: it fails the test when the
// order queue cannot be read, when the engine's Run fails, or when the
// orders are not done within 10 s.
func (f *fixture) runDue(t *testing.T) {
	t.Helper()
	// open counts the due orders, and with inProgress those running too.
	open := func(inProgress bool) int {
		t.Helper()
		var n int
		err := f.DB.Orders().View(func(o *store.OrderTx) error {
			due, err := o.Due(f.Clock.Now(), 0)
			if err != nil {
				return fmt.Errorf("due orders: %w", err)
			}
			n = len(due)
			if inProgress {
				p, err := o.InProgress()
				if err != nil {
					return fmt.Errorf("orders in progress: %w", err)
				}
				n += len(p)
			}
			return nil
		})
		if err != nil {
			t.Fatalf("reading the order queue: %v", err)
		}
		return n
	}
	if open(false) == 0 {
		return
	}
	engine := testkit.Go(t, "activation engine", func(ctx context.Context) error {
		return f.Engine.Run(ctx, func() {})
	})
	testkit.WaitUntil(t, 10*time.Second, "the due orders to be done", func() bool { return open(true) == 0 })
	engine.Stop()
}

// Every answer of the activation API, byte for byte.
func TestAPIGolden(t *testing.T) {
	f := newFixture(t)
	// A2 has an active BB100100 from another provider, A1 an IPTV from Atlas.
	if _, err := f.Engine.Place(activation.Request{Owner: "sp", Channel: "pi-api-2.3", AccessID: "A2", Service: "BB100100", Operation: store.Activate}); err != nil {
		t.Fatal(err)
	}
	f.Hook.Msg = "Tjänst aktiverad via Tjänsteguiden"
	_, got := f.do(t, "GET", apiURL("method", "service_order", "socket", "A1", "service_uid", "IPTV", "date", "2026-03-02",
		"origin", "customer", "customer", "123", "order", "12345", "xspcid", "2938"), atlasIP)
	golden(t, "service_order_success", got)
	f.runDue(t)

	cases := []struct{ name, target, from string }{
		{"port_status", apiURL("method", "port_status", "socket", "A1"), atlasIP},
		{"port_status_no_services", apiURL("method", "port_status", "socket", "A3"), "217.78.19.44"},
		{"port_status_not_sellable", apiURL("method", "port_status", "socket", "A4"), atlasIP},
		{"port_status_unknown_socket", apiURL("method", "port_status", "socket", "NOPE"), atlasIP},
		{"deliverable_200", apiURL("method", "service_deliverable", "socket", "A1", "service_uid", "BB100100", "origin", "customer"), atlasIP},
		{"deliverable_400_conflict", apiURL("method", "service_deliverable", "socket", "A2", "service_uid", "BB1000", "origin", "customer"), atlasIP},
		{"deliverable_401_media", apiURL("method", "service_deliverable", "socket", "A3", "service_uid", "BB100100", "origin", "service provider"), atlasIP},
		{"deliverable_402_capacity", apiURL("method", "service_deliverable", "socket", "A1", "service_uid", "BB1000", "origin", "customer"), atlasIP},
		{"deliverable_403_hardware", apiURL("method", "service_deliverable", "socket", "A2", "service_uid", "VOIP", "origin", "customer"), atlasIP},
		{"deliverable_404_socket", apiURL("method", "service_deliverable", "socket", "NOPE", "service_uid", "IPTV", "origin", "customer"), atlasIP},
		{"deliverable_500_not_sellable", apiURL("method", "service_deliverable", "socket", "A4", "service_uid", "IPTV", "origin", "customer"), atlasIP},
		{"deliverable_501_rule", apiURL("method", "service_deliverable", "socket", "A1", "service_uid", "IPTV2", "origin", "customer"), atlasIP},
		{"deliverable_500_unknown_service", apiURL("method", "service_deliverable", "socket", "A1", "service_uid", "GOLF", "origin", "customer"), atlasIP},
		{"service_order_again", apiURL("method", "service_order", "socket", "A1", "service_uid", "IPTV", "date", "2026-03-02",
			"origin", "customer", "customer", "123", "order", "12345", "xspcid", "2938"), atlasIP},
		{"service_order_failed_media", apiURL("method", "service_order", "socket", "A3", "service_uid", "BB100100", "date", "2026-03-02",
			"origin", "customer", "order", "12346"), atlasIP},
		{"service_order_later", apiURL("method", "service_order", "socket", "A5", "service_uid", "BB100100", "date", "2026-04-01",
			"origin", "service provider"), atlasIP},
		{"service_order_bad_date", apiURL("method", "service_order", "socket", "A5", "service_uid", "BB100100", "date", "2011-02-30",
			"origin", "customer"), atlasIP},
		{"service_deactivate", apiURL("method", "service_deactivate", "socket", "A1", "service_uid", "IPTV", "date", "2026-12-31"), atlasIP},
		{"port_status_with_release", apiURL("method", "port_status", "socket", "A1"), atlasIP},
		{"service_deactivate_unknown_socket", apiURL("method", "service_deactivate", "socket", "NOPE", "service_uid", "IPTV", "date", "2026-12-31"), atlasIP},
		{"refused_address", apiURL("method", "port_status", "socket", "A1"), "198.51.100.7"},
		{"refused_address_forwarded", apiURL("method", "port_status", "socket", "A1"), "10.255.0.1"},
		{"refused_user", "/atlas/api?method=port_status&socket=A1&api_user=atlas&api_key=wrong", atlasIP},
		{"refused_no_user", "/atlas/api?method=service_deliverable&socket=A1&service_uid=IPTV", atlasIP},
		{"bad_method", apiURL("method", "drop_tables"), atlasIP},
		{"missing_socket", apiURL("method", "service_deliverable", "service_uid", "IPTV"), atlasIP},
		{"repeated_parameter", apiURL("method", "port_status", "socket", "A1") + "&socket=A2", atlasIP},
	}
	for _, c := range cases {
		_, got := f.do(t, "GET", c.target, c.from)
		golden(t, c.name, got)
	}
	// Through a trusted proxy, X-Forwarded-For is the caller; HTTP Basic
	// is the API user too.
	_, got = f.do(t, "GET", "/atlas/api?method=port_status&socket=A3", "10.255.0.1",
		"X-Forwarded-For", atlasIP, "Authorization", "Basic YXRsYXM6c2VjcmV0a2V5")
	golden(t, "port_status_no_services", got)
}

// Seed 004's flow: service_deliverable, service_order with today's date
// (direct activation), port_status shows the service.
func TestSeedFlow(t *testing.T) {
	f := newFixture(t)
	_, got := f.do(t, "GET", apiURL("method", "service_deliverable", "socket", "A5", "service_uid", "BB100100", "origin", "customer"), atlasIP)
	if !strings.Contains(got, "<status>success</status>") {
		t.Fatalf("deliverable:\n%s", got)
	}
	_, got = f.do(t, "GET", apiURL("method", "service_order", "socket", "A5", "service_uid", "BB100100", "date", "2026-03-02",
		"origin", "customer", "order", "777"), atlasIP)
	if !strings.Contains(got, "<status>success</status>") {
		t.Fatalf("order:\n%s", got)
	}
	f.runDue(t)
	_, got = f.do(t, "GET", apiURL("method", "port_status", "socket", "A5"), atlasIP)
	if !strings.Contains(got, "<id>BB100100</id>") || !strings.Contains(got, "<date>2026-03-02</date>") {
		t.Errorf("port_status after a direct activation does not list it:\n%s", got)
	}
	// The order went through the hook with Atlas's references.
	calls := f.Hook.Calls
	if len(calls) != 1 || calls[0].Atlas == nil || calls[0].Atlas.Order != "777" || calls[0].Atlas.Origin != "customer" {
		t.Errorf("hook input: %+v", calls)
	}
}

func TestBounce(t *testing.T) {
	f := newFixture(t)
	key := atlas.BounceKey(apiUser, apiKey, "12978376")
	ret := url.QueryEscape("https://tg.example.se/serviceguide?lang=sv")
	base := "/atlas/bounce?return_url=" + ret + "&api_key=" + key + "&api_secret=12978376"
	tests := []struct {
		name, target, from string
		hdr                []string
	}{
		{"bounce_ok", base, "10.1.0.11", nil},
		{"bounce_ok_by_neighbour_mac", base, "10.1.0.12", nil},
		{"bounce_not_found", base, "10.1.0.13", nil},
		{"bounce_binding_of_removed_access", base, "10.1.0.99", nil},
		{"bounce_ok_forwarded", base, "10.255.0.1", []string{"X-Forwarded-For", "10.1.0.11"}},
		{"bounce_forwarded_untrusted", base, "10.1.0.13", []string{"X-Forwarded-For", "10.1.0.11"}},
		{"bounce_wrong_key", "/atlas/bounce?return_url=" + ret + "&api_key=" + key + "&api_secret=1", "10.1.0.11", nil},
		{"bounce_return_url_not_allowed", "/atlas/bounce?return_url=" + url.QueryEscape("https://evil.example/") + "&api_key=" + key + "&api_secret=12978376", "10.1.0.11", nil},
		{"bounce_no_return_url", "/atlas/bounce?api_key=" + key, "10.1.0.11", nil},
	}
	for _, tt := range tests {
		resp, got := f.do(t, "GET", tt.target, tt.from, tt.hdr...)
		golden(t, tt.name, got)
		if loc := resp.Header.Get("Location"); loc != "" && !strings.HasPrefix(loc, "https://tg.example.se/serviceguide?") {
			t.Errorf("%s: redirect to %q", tt.name, loc)
		}
	}
}
