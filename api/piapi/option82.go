package piapi

import (
	"errors"
	"net/http"

	"github.com/stadsnat/accessd/api/internal/web"
	"github.com/stadsnat/accessd/store"
)

// Resolver finds the access behind DHCP identities: the hex of a whole
// option-82 TLV as a service provider's DHCP log carries it, or the
// circuit-id and remote-id as text. It returns an error wrapping
// store.ErrNotFound or store.ErrAmbiguous when no single access matches, and
// a *BadInput for input it cannot parse.
type Resolver interface {
	ByOption82Hex(hex string) (accessID string, err error)
	ByCircuit(circuitID, remoteID string) (accessID string, err error)
}

// BadInput is a look-up value that cannot be parsed; its message names
// what is wrong and where.
type BadInput struct{ Msg string }

func (e *BadInput) Error() string { return e.Msg }

// LookupError turns a Resolver error into the response error.
func LookupError(what string, err error) error {
	var bad *BadInput
	switch {
	case errors.As(err, &bad):
		return web.Errorf(http.StatusBadRequest, "%s: %s", what, bad.Msg)
	case errors.Is(err, store.ErrAmbiguous):
		return web.Errorf(http.StatusNotFound, "%s matches more than one access", what)
	case errors.Is(err, store.ErrNotFound):
		return web.Errorf(http.StatusNotFound, "No access found for %s", what)
	}
	return web.Internal(err)
}

// Option82 serves GET /api/2.3/option82/{hex}: {"accessId": "..."} or 404.
func Option82(res Resolver) web.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		hex := r.PathValue("hex")
		id, err := res.ByOption82Hex(hex)
		if err != nil {
			return LookupError("option82 "+hex, err)
		}
		return web.WriteJSON(w, http.StatusOK, AccessIDBody{AccessID: id})
	}
}

// AccessIDBody is the answer of the look-ups.
type AccessIDBody struct {
	AccessID string `json:"accessId"`
}
