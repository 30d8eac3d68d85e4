package onapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stadsnat/accessd/api/internal/apitest"
	"github.com/stadsnat/accessd/api/internal/web"
	"github.com/stadsnat/accessd/internal/testkit"
	"github.com/stadsnat/accessd/store"
)

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

func render(h http.Handler, path string) string {
	mux := http.NewServeMux()
	mux.Handle("GET "+Base+LinkStatusPath, h)
	_, s := apitest.Serve(mux, httptest.NewRequest("GET", path, nil))
	return s
}

func goldenFile(t *testing.T, name, got string) {
	t.Helper()
	testkit.Golden(t, filepath.Join("testdata", name+".golden"), got)
}

// Every variant of GET /onapi/2.6/tech/access/{accessId}/link/status.
func TestLinkStatusGolden(t *testing.T) {
	since := time.Date(2014, 8, 14, 14, 9, 23, 0, time.UTC)
	up := store.LinkState{Switch: "192.168.248.85", Port: "ge-0/0/10", Link: store.LinkUp, Since: since, SinceExact: true,
		SpeedMbps: 1000, Admin: "up", Oper: "up"}
	down, adm, unk := up, up, up
	down.Link, down.Oper = store.LinkDown, "lowerLayerDown"
	adm.Link, adm.Admin, adm.Oper = store.LinkDown, "down", "down"
	unk.Link, unk.Reason, unk.RetryAfter = store.LinkUnknown, store.Unreachable, 30*time.Second
	src := fakeLinks{"STTA0001": up, "DOWN": down, "ADMDOWN": adm, "UNREACH": unk,
		"NOSWITCH": fmt.Errorf("x: %w", store.ErrNoPort), "FAILING": errors.New("store unreadable")}
	h := web.Adapter{Log: slog.New(slog.DiscardHandler), Write: web.JSONCause}.Handle(LinkStatus(src))
	for _, tc := range []struct{ golden, id string }{
		{"linkstatus_up", "STTA0001"},
		{"linkstatus_down", "DOWN"},
		{"linkstatus_admin_down", "ADMDOWN"},
		{"linkstatus_unknown", "UNREACH"},
		{"linkstatus_no_switch_port", "NOSWITCH"},
		{"linkstatus_unknown_access", "NOPE"},
		{"linkstatus_store_fails", "FAILING"},
	} {
		t.Run(tc.golden, func(t *testing.T) {
			got := render(h, Base+"tech/access/"+tc.id+"/link/status")
			goldenFile(t, tc.golden, got)
			_, body, _ := strings.Cut(got, "\n\n")
			if !json.Valid([]byte(body)) {
				t.Errorf("body is not JSON: %s", body)
			}
		})
	}
	b, _ := json.Marshal(LinkStatusEndpoint())
	goldenFile(t, "linkstatus_endpoint", string(b)+"\n")
}
