package piapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stadsnat/accessd/api/internal/apitest"
	"github.com/stadsnat/accessd/api/internal/web"
	"github.com/stadsnat/accessd/internal/testkit"
	"github.com/stadsnat/accessd/store"
)

// fakeLinks answers from a map; a missing id is store.ErrNotFound.
type fakeLinks map[string]any // store.LinkState or error

func (f fakeLinks) Link(id string) (store.LinkState, error) {
	switch v := f[id].(type) {
	case store.LinkState:
		return v, nil
	case error:
		return store.LinkState{}, v
	}
	return store.LinkState{}, fmt.Errorf("access %q: %w", id, store.ErrNotFound)
}

type fakeClients map[string][]Client

func (f fakeClients) ClientsOf(id string) ([]Client, error) {
	if id == "BROKEN" {
		return nil, errors.New("bindings unreadable")
	}
	return f[id], nil
}

var since = time.Date(2014, 8, 14, 14, 9, 23, 0, time.UTC)

// LinkFixture holds one access per variant of the answers, shared by the
// ON-API tests' own copy.
func linkFixture() fakeLinks {
	up := store.LinkState{Switch: "192.168.248.85", Port: "ge-0/0/10", Address: "192.168.248.85:161", Link: store.LinkUp,
		Since: since, SinceExact: true, SpeedMbps: 1000, Admin: "up", Oper: "up", Source: "poll"}
	with := func(f func(*store.LinkState)) store.LinkState {
		ls := up
		f(&ls)
		return ls
	}
	unknown := func(r store.UnknownReason, since time.Time) store.LinkState {
		return with(func(l *store.LinkState) {
			l.Link, l.Reason, l.RetryAfter, l.Since = store.LinkUnknown, r, 42500*time.Millisecond, since
			l.Cause = "switch 192.168.248.85:161 does not answer: internal detail"
		})
	}
	return fakeLinks{
		"STTA0001": up,
		"TENGIG":   with(func(l *store.LinkState) { l.SpeedMbps = 10000 }),
		"NOSPEED":  with(func(l *store.LinkState) { l.SpeedMbps = 0 }),
		"DOWN":     with(func(l *store.LinkState) { l.Link, l.Oper = store.LinkDown, "lowerLayerDown" }),
		"ADMDOWN":  with(func(l *store.LinkState) { l.Link, l.Admin, l.Oper = store.LinkDown, "down", "down" }),
		"UNREACH":  unknown(store.Unreachable, since),
		"NOTYET":   unknown(store.NotPolled, time.Time{}),
		"NOPORT":   unknown(store.PortNotFound, since),
		"TESTING":  with(func(l *store.LinkState) { *l = unknown(store.NoLinkInfo, since); l.Oper = "testing" }),
		"STALE":    unknown(store.Stale, since),
		"NOSWITCH": fmt.Errorf("access %q: %w", "NOSWITCH", store.ErrNoPort),
		"BROKEN":   up,
		"FAILING":  errors.New("store unreadable"),
	}
}

func clientsFixture() fakeClients {
	mac := func(s string) net.HardwareAddr { m, _ := net.ParseMAC(s); return m }
	return fakeClients{"STTA0001": {
		{MAC: mac("de:ad:be:ef:00:01"), IP: netip.MustParseAddr("10.10.1.181")},
		{MAC: mac("DE:AD:BE:EF:00:02")},                                              // no IP known
		{MAC: mac("de:ad:be:ef:00:03"), IP: netip.MustParseAddr("::ffff:10.10.1.9")}, // mapped: an IPv4 address
		{MAC: mac("de:ad:be:ef:00:04"), IP: netip.MustParseAddr("2001:db8::1")},      // not an IPv4 address
		{MAC: mac("00:00:00:00:fe:80:00:00:00:00:00:00:02:00:5e:10:00:00:00:01")},    // not a MAC-48: left out
	}}
}

// render is a response as the golden files hold it.
func render(h http.Handler, path string, pattern string) string {
	mux := http.NewServeMux()
	mux.Handle("GET "+pattern, h)
	_, s := apitest.Serve(mux, httptest.NewRequest("GET", path, nil))
	return s
}

func goldenFile(t *testing.T, name, got string) {
	t.Helper()
	testkit.Golden(t, filepath.Join("testdata", name+".golden"), got)
}

// Every variant of GET /api/2.3/accesses/{accessId}/link.
func TestLinkGolden(t *testing.T) {
	a := web.Adapter{Log: slog.New(slog.DiscardHandler), Write: web.JSONCause}
	h := a.Handle(Link(linkFixture(), clientsFixture()))
	for _, tc := range []struct{ golden, id string }{
		{"link_up_spec_example", "STTA0001"},
		{"link_up_10g", "TENGIG"},
		{"link_up_speed_unknown", "NOSPEED"},
		{"link_down", "DOWN"},
		{"link_down_admin", "ADMDOWN"},
		{"link_unknown_unreachable", "UNREACH"},
		{"link_unknown_not_polled", "NOTYET"},
		{"link_unknown_port_not_found", "NOPORT"},
		{"link_unknown_testing", "TESTING"},
		{"link_unknown_stale", "STALE"},
		{"link_no_switch_port", "NOSWITCH"},
		{"link_unknown_access", "NOPE"},
		{"link_clients_fail", "BROKEN"},
		{"link_store_fails", "FAILING"},
	} {
		t.Run(tc.golden, func(t *testing.T) {
			got := render(h, "/api/2.3/accesses/"+tc.id+"/link", "/api/2.3/accesses/{accessId}/link")
			goldenFile(t, tc.golden, got)
			_, body, _ := strings.Cut(got, "\n\n")
			if !json.Valid([]byte(body)) {
				t.Errorf("body is not JSON: %s", body)
			}
		})
	}
	// without a client source: an empty list, never null
	got := render(a.Handle(Link(linkFixture(), nil)), "/api/2.2/accesses/STTA0001/link", "/api/2.2/accesses/{accessId}/link")
	if !strings.Contains(got, `"clients":[]`) {
		t.Errorf("no client source: %s", got)
	}
}
