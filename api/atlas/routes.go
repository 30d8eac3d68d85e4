package atlas

import (
	"io"
	"mime"
	"net/http"

	"github.com/stadsnat/accessd/api"
)

// Group is the metrics group of the Atlas routes.
const Group = "atlas"

// Routes registers the bounce URL and the activation API at their paths.
// The API takes its parameters from the query, or with POST also from an
// application/x-www-form-urlencoded body.
func (h *Handler) Routes(bouncePath, apiPath string) api.Routes {
	return func(r *api.Router) {
		r.Handle("GET "+bouncePath, Group, http.HandlerFunc(h.Bounce))
		r.Handle("GET "+apiPath, Group, http.HandlerFunc(h.API))
		r.Handle("POST "+apiPath, Group, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
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
		}))
	}
}
