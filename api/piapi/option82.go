package piapi

import (
	"errors"
	"net/http"
	"sync"

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

// badOption82 is the 400 of a bad option82 value: the hex of whole
// option-82 TLVs (52 LL …, one per relay hop) as PI-API and ON-API carry
// it, case and separators between bytes not mattering; it names the
// offset.
func badOption82(hex string, err error) error {
	return web.Errorf(http.StatusBadRequest, "option82 %q: %v", hex, err)
}

// HexResolver answers the hex look-ups of a Resolver, parsing each in a
// scratch of its own pool: a look-up allocates nothing for its option 82.
type HexResolver struct {
	res  Resolver
	pool sync.Pool // *option82.Scratch
}

// NewHexResolver makes the hex look-ups of res.
func NewHexResolver(res Resolver) *HexResolver {
	return &HexResolver{res: res, pool: sync.Pool{New: func() any { return new(option82.Scratch) }}}
}

// Resolve parses hex as ParseOption82Hex does and resolves it: a bad value
// is its 400, no single access the answer of LookupError naming what().
func (h *HexResolver) Resolve(hex string, what func() string) (string, error) {
	sc := h.pool.Get().(*option82.Scratch)
	defer h.pool.Put(sc)
	opts, err := sc.ParseHex(hex)
	if err != nil {
		return "", badOption82(hex, err)
	}
	id, err := h.res.Resolve(opts, "", "")
	if err != nil {
		return "", LookupError(what(), err)
	}
	return id, nil
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
	hr := NewHexResolver(res)
	return func(w http.ResponseWriter, r *http.Request) error {
		hex := web.PathValue(r, "hex")
		id, err := hr.Resolve(hex, func() string { return "option82 " + hex })
		if err != nil {
			return err
		}
		return web.WriteJSONField(w, http.StatusOK, "accessId", id) // AccessIDBody
	}
}

// AccessIDBody is the answer of the look-ups.
type AccessIDBody struct {
	AccessID string `json:"accessId"`
}
