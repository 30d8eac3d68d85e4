package admin

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"github.com/stadsnat/accessd/api/httperr"
)

// Mux is the daemon's side of the protocol: each subsystem registers its
// handlers on it. A handler returns its error (package httperr); the Mux
// logs it once, with the peer's uid, and answers it as httperr.Body. The
// socket is for operators: an unexpected error's text is answered too,
// not hidden as on the HTTP APIs.
type Mux struct {
	mux *http.ServeMux
	log *slog.Logger
}

// NewMux makes an empty Mux.
func NewMux(log *slog.Logger) *Mux { return &Mux{mux: http.NewServeMux(), log: log} }

// Handle registers h for pattern ("GET /v1/status"). Handlers must not
// put personal data (customers' IP or MAC addresses) in their errors:
// they are logged.
func (m *Mux) Handle(pattern string, h httperr.HandlerFunc) {
	m.mux.Handle(pattern, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		uid := PeerFrom(r.Context())
		err := h(w, r)
		if err == nil {
			m.log.Debug("admin request", "request", pattern, "uid", uid)
			return
		}
		var e *httperr.Error
		if !errors.As(err, &e) {
			e = &httperr.Error{Status: http.StatusInternalServerError, Cause: err.Error()}
		} else if e.Err != nil {
			e = &httperr.Error{Status: e.Status, Cause: e.Cause + ": " + e.Err.Error(), Problems: e.Problems, ProblemCount: e.ProblemCount}
		}
		m.log.Info("admin request failed", "request", pattern, "uid", uid, "status", e.Status, "err", e.Cause)
		httperr.WriteJSON(w, e)
	}))
}

// ServeHTTP implements http.Handler.
func (m *Mux) ServeHTTP(w http.ResponseWriter, r *http.Request) { m.mux.ServeHTTP(w, r) }

// WriteJSON writes v, indented, as a successful answer.
func WriteJSON(w http.ResponseWriter, v any) error {
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// Errorf is a failed request with its status and cause (httperr.Errorf).
func Errorf(status int, format string, args ...any) error {
	return httperr.Errorf(status, format, args...)
}

// NonNil returns s, or an empty slice for nil (a JSON [] instead of null).
func NonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// Error is a failed request (httperr.Error): the status, the cause, the
// problems of a refused import.
type Error = httperr.Error
