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
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"

	"github.com/stadsnat/accessd/api/httperr"
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
	// Tighten, if set, holds the garbage collector's target tight from
	// an import's parse to its commit (the process's memory tuner), until
	// the restore it returns is called.
	Tighten func() (restore func())
}

// API is the import API.
type API struct{ d Deps }

// New makes the group.
func New(d Deps) *API {
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	return &API{d: d}
}

// Routes lists the upsert and the read-back; each request is checked
// against the api-key header by the handler itself.
func (a *API) Routes() []web.Route {
	return []web.Route{
		{Pattern: "POST /api/import/{environment}/access", Group: web.GroupImport, SelfAuth: true, Errors: web.JSONCause, Handle: a.d.Import},
		{Pattern: "GET /api/access/environment/{environment}/byid/{id}", Group: web.GroupImport, SelfAuth: true, Errors: web.JSONCause, Handle: a.d.Get},
	}
}

// Problems converts inventory problems for the error body of a refused
// import ({"cause", "problems"}, see package httperr).
func Problems(ps []inventory.Problem) []httperr.Problem {
	out := make([]httperr.Problem, len(ps))
	for i, p := range ps {
		out[i] = httperr.Problem{Line: p.Line, Column: p.Column, AccessID: p.AccessID, Field: p.Field, Message: p.Message}
	}
	return out
}

// authorize applies the api-key rules to a request for environment env.
// A 401 names the scheme in WWW-Authenticate (RFC 9110 §11.6.1): here the
// api-key header, not HTTP Basic.
func (d Deps) authorize(w http.ResponseWriter, r *http.Request, env string) error {
	err := d.checkKey(w, r, env)
	var e *web.Error
	if errors.As(err, &e) && e.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `api-key header="api-key"`)
	}
	return err
}

func (d Deps) checkKey(w http.ResponseWriter, r *http.Request, env string) error {
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
		if tm := web.AuthFailed(w, r, web.GroupImport, "api-key"); tm != nil {
			return tm
		}
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
	if err := d.authorize(w, r, web.PathValue(r, "environment")); err != nil {
		return err
	}
	if d.Tighten != nil {
		restore := d.Tighten()
		defer restore()
	}
	in, err := store.ReadIncoming(inventory.JSON, r.Body)
	var ps *inventory.Problems
	if errors.As(err, &ps) {
		return badImport("invalid access data, nothing imported", ps.List, ps.Count())
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return web.Errorf(http.StatusRequestEntityTooLarge, "request body larger than %d bytes", mbe.Limit)
	}
	if err != nil {
		return web.Errorf(http.StatusBadRequest, "read request body: %v", err)
	}
	// Import lets go of in before its commit: with no reference kept here
	// the parsed accesses can go while bbolt writes (a big import's peak).
	n := len(in)
	sum, err := d.DB.Inventory().Import(in, store.ImportOptions{Plants: true})
	var fe *store.FollowingError
	if errors.As(err, &fe) {
		return web.Errorf(http.StatusConflict, "%v", fe)
	}
	var ce *store.ConflictError
	if errors.As(err, &ce) {
		return badImport("conflicting access data, nothing imported", ce.Conflicts, ce.Count())
	}
	if err != nil {
		return web.Internal(err)
	}
	if n >= bigImport {
		// As accessctl import: hand a big import's memory back to the
		// system rather than idle with its peak as RSS (the unit's
		// MemoryHigh= counts it).
		debug.FreeOSMemory()
	}
	d.Log.Info("inventory upserted over HTTP", "environment", d.Environment, "accesses", n,
		"created", sum.Created, "updated", sum.Updated, "unchanged", sum.Unchanged)
	return web.WriteJSON(w, http.StatusOK, sum)
}

// badImport is a refused import's 400: the problems listed, and when
// there were more of them (the readers keep the first
// inventory.MaxProblems), how many in all, in the cause and the body.
// bigImport is the size of an import after which memory is handed back.
const bigImport = 10000

func badImport(cause string, ps []inventory.Problem, count int) error {
	return &web.Error{Status: http.StatusBadRequest, Cause: cause + Truncated(len(ps), count),
		Problems: Problems(ps), ProblemCount: count}
}

// Truncated says, for a cause, that only the first listed of count
// problems are listed ("" when all are).
func Truncated(listed, count int) string {
	if count <= listed {
		return ""
	}
	return fmt.Sprintf(" (%d problems, the first %d listed)", count, listed)
}

// Get serves GET /api/access/environment/{environment}/byid/{id}: the
// access in the JSON import form.
func (d Deps) Get(w http.ResponseWriter, r *http.Request) error {
	if err := d.authorize(w, r, web.PathValue(r, "environment")); err != nil {
		return err
	}
	id := web.PathValue(r, "id")
	rec, err := d.DB.Inventory().Access(id)
	if errors.Is(err, store.ErrNotFound) {
		return web.Errorf(http.StatusNotFound, "no access %q", id)
	}
	if err != nil {
		return web.Internal(err)
	}
	return web.WriteJSON(w, http.StatusOK, rec.Access)
}
