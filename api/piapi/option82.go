package piapi

import (
	"errors"
	"net/http"

	"github.com/stadsnat/accessd/api/internal/web"
	"github.com/stadsnat/accessd/dhcp/option82"
	"github.com/stadsnat/accessd/store"
)

// Resolver finds the access behind a DHCP identity: the option-82
// instances of a service provider's DHCP log (one per relay hop, in order),
// or the circuit-id and remote-id as text (opts nil). It returns an error
// wrapping store.ErrNotFound or store.ErrAmbiguous when no single access
// matches. dhcp/lookup's Resolver is the one implementation: PI-API,
// ON-API and accessctl get the same answer for the same hex.
type Resolver interface {
	Resolve(opts []option82.Option, circuitID, remoteID string) (accessID string, err error)
}

// ParseOption82Hex parses the hex of whole option-82 TLVs (52 LL …, one per
// relay hop) as PI-API and ON-API carry it; case and separators between
// bytes do not matter. A bad value is a 400 that names the offset.
func ParseOption82Hex(hex string) ([]option82.Option, error) {
	opts, err := option82.ParseHex(hex)
	if err != nil {
		return nil, web.Errorf(http.StatusBadRequest, "option82 %q: %v", hex, err)
	}
	return opts, nil
}

// LookupError turns a Resolver error into the response error.
func LookupError(what string, err error) error {
	switch {
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
		opts, err := ParseOption82Hex(hex)
		if err != nil {
			return err
		}
		id, err := res.Resolve(opts, "", "")
		if err != nil {
			return LookupError("option82 "+hex, err)
		}
		return web.WriteJSONField(w, http.StatusOK, "accessId", id) // AccessIDBody
	}
}

// AccessIDBody is the answer of the look-ups.
type AccessIDBody struct {
	AccessID string `json:"accessId"`
}
