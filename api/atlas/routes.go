package atlas

import (
	"io"
	"mime"
	"net/http"

	"github.com/stadsnat/accessd/api/internal/web"
)

// Group is the metrics group of the Atlas routes.
const Group = web.GroupAtlas

// Routes lists the bounce URL and the activation API at their configured
// paths; each authenticates its callers itself (the bounce URL's hash, the
// API's IP allow-list and API user). The API takes its parameters from
// the query, or with POST also from an application/x-www-form-urlencoded
// body.
func (h *Handler) Routes() []web.Route {
	return []web.Route{
		{Pattern: "GET " + h.cfg.BouncePath, Group: Group, Handler: http.HandlerFunc(h.Bounce)},
		{Pattern: "GET " + h.cfg.APIPath, Group: Group, SelfAuth: true, Handler: http.HandlerFunc(h.API)},
		{Pattern: "POST " + h.cfg.APIPath, Group: Group, SelfAuth: true, Handler: http.HandlerFunc(h.postAPI)},
	}
}

func (h *Handler) postAPI(w http.ResponseWriter, r *http.Request) {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "application/x-www-form-urlencoded" {
		body, err := io.ReadAll(io.LimitReader(r.Body, maxQuery+1))
		if err == nil && len(body) > 0 {
			r2 := r.Clone(r.Context())
			if r2.URL.RawQuery != "" {
				r2.URL.RawQuery += "&"
			}
			r2.URL.RawQuery += string(body)
			r = r2
		}
	}
	h.API(w, r)
}
