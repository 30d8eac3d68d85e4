// Package cubit serves inventory import in Cubit's upsert conventions (seed
// 002): POST /api/import/{environment}/access creates or updates one access
// or an array of them, and GET /api/access/environment/{environment}/byid/{id}
// returns one. Every request carries the header api-key: missing or
// unknown → 401; a key of the other environment, or an {environment} that
// is not the daemon's → 400. An import is all-or-nothing.
package cubit

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"log/slog"
	"net/http"

	"github.com/stadsnat/accessd/api/internal/web"
	"github.com/stadsnat/accessd/store"
	"github.com/stadsnat/accessd/store/inventory"
)

// Deps is what the handlers need.
type Deps struct {
	DB          *store.DB
	Environment string            // the daemon's: test or prod
	Keys        map[string]string // environment ⇒ api-key
	Log         *slog.Logger
}

// ProblemBody is the 400 body of a refused import: the cause and every
// problem with its line, access and field.
type ProblemBody struct {
	Cause    string         `json:"cause"`
	Problems []ProblemEntry `json:"problems"`
}

// ProblemEntry is one problem of a refused import.
type ProblemEntry struct {
	Line     int    `json:"line,omitempty"`
	Column   int    `json:"column,omitempty"`
	AccessID string `json:"accessId,omitempty"`
	Field    string `json:"field,omitempty"`
	Message  string `json:"message"`
}

// ProblemEntries converts inventory problems for a response body.
func ProblemEntries(ps []inventory.Problem) []ProblemEntry {
	out := make([]ProblemEntry, len(ps))
	for i, p := range ps {
		out[i] = ProblemEntry{Line: p.Line, Column: p.Column, AccessID: p.AccessID, Field: p.Field, Message: p.Message}
	}
	return out
}

// authorize applies the api-key rules to a request for environment env.
// A 401 names the scheme in WWW-Authenticate (RFC 9110 §11.6.1): here the
// api-key header, not HTTP Basic.
func (d Deps) authorize(w http.ResponseWriter, r *http.Request, env string) error {
	err := d.checkKey(r, env)
	var e *web.Error
	if errors.As(err, &e) && e.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `api-key header="api-key"`)
	}
	return err
}

func (d Deps) checkKey(r *http.Request, env string) error {
	key := r.Header.Get("api-key")
	if key == "" {
		return web.Errorf(http.StatusUnauthorized, "missing api-key header")
	}
	keyEnv := ""
	for e, k := range d.Keys {
		a, b := sha256.Sum256([]byte(key)), sha256.Sum256([]byte(k))
		if k != "" && subtle.ConstantTimeCompare(a[:], b[:]) == 1 {
			keyEnv = e
		}
	}
	switch {
	case keyEnv == "":
		return web.Errorf(http.StatusUnauthorized, "unknown api-key")
	case env != "test" && env != "prod":
		return web.Errorf(http.StatusBadRequest, "environment %q: must be test or prod", env)
	case keyEnv != env:
		return web.Errorf(http.StatusBadRequest, "the api-key is not a key of environment %q", env)
	case env != d.Environment:
		return web.Errorf(http.StatusBadRequest, "this is the %s instance, not %s", d.Environment, env)
	}
	return nil
}

// Import serves POST /api/import/{environment}/access.
func (d Deps) Import(w http.ResponseWriter, r *http.Request) error {
	if err := d.authorize(w, r, r.PathValue("environment")); err != nil {
		return err
	}
	in, err := store.ReadIncoming(inventory.JSON, r.Body)
	var ps *inventory.Problems
	if errors.As(err, &ps) {
		return badImport(w, "invalid access data, nothing imported", ps.List)
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return web.Errorf(http.StatusRequestEntityTooLarge, "request body larger than %d bytes", mbe.Limit)
	}
	if err != nil {
		return web.Errorf(http.StatusBadRequest, "read request body: %v", err)
	}
	sum, err := d.DB.Import(in, store.ImportOptions{})
	var ce *store.ConflictError
	if errors.As(err, &ce) {
		return badImport(w, "conflicting access data, nothing imported", ce.Conflicts)
	}
	if err != nil {
		return web.Internal(err)
	}
	d.Log.Info("inventory upserted over HTTP", "environment", d.Environment, "accesses", len(in),
		"created", sum.Created, "updated", sum.Updated, "unchanged", sum.Unchanged)
	return web.WriteJSON(w, http.StatusOK, sum)
}

func badImport(w http.ResponseWriter, cause string, ps []inventory.Problem) error {
	return web.WriteJSON(w, http.StatusBadRequest, ProblemBody{Cause: cause, Problems: ProblemEntries(ps)})
}

// Get serves GET /api/access/environment/{environment}/byid/{id}: the
// access in the JSON import form.
func (d Deps) Get(w http.ResponseWriter, r *http.Request) error {
	if err := d.authorize(w, r, r.PathValue("environment")); err != nil {
		return err
	}
	id := r.PathValue("id")
	rec, err := d.DB.Access(id)
	if errors.Is(err, store.ErrNotFound) {
		return web.Errorf(http.StatusNotFound, "no access %q", id)
	}
	if err != nil {
		return web.Internal(err)
	}
	return web.WriteJSON(w, http.StatusOK, rec.Access)
}
