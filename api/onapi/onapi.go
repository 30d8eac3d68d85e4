// Package onapi serves the KO side of ON-API 2.6 (the Open Networks API,
// successor of PI-API): the endpoint list GET /onapi/2.6/, accesses with
// If-Modified-Since, the option82 and dhcplookup look-ups, and whatever
// else the daemon registers (link status, lease info, orders). The endpoint
// list names only what is really served. Errors are {"cause": "..."} as
// common/responses.md says; unknown paths under /onapi/2.6/ are 501.
package onapi

import (
	"errors"
	"net/http"
	"time"

	"github.com/stadsnat/accessd/api/activation/rules"
	"github.com/stadsnat/accessd/api/internal/web"
	"github.com/stadsnat/accessd/api/piapi"
	"github.com/stadsnat/accessd/store"
	"github.com/stadsnat/accessd/store/inventory"
)

// Version is the ON-API version served.
const Version = "2.6"

// Base is the root path of the API.
const Base = "/onapi/" + Version + "/"

// Endpoint is one entry of the endpoint list.
type Endpoint = web.Endpoint

const docBase = "https://github.com/on-api/on-api/blob/master/2.6.0/spec/"

// NewEndpoint describes an endpoint at Base+path documented in spec file doc.
func NewEndpoint(name, path, doc string) Endpoint {
	return Endpoint{Name: name, Endpoint: Base + path, Version: Version, Documentation: docBase + doc}
}

// Route is an ON-API endpoint at Base+path, listed in the endpoint list
// with e (nil: not listed).
func Route(e *Endpoint, path string, h web.HandlerFunc) web.Route {
	r := web.SP(web.GroupONAPI, "GET "+Base+path, h)
	r.Endpoint = e
	return r
}

// Endpoints serves GET /onapi/2.6/: the list of what is served.
func Endpoints(list []Endpoint) web.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if r.URL.Path != Base {
			return web.Errorf(http.StatusNotImplemented, "Not implemented: %s", r.URL.Path)
		}
		w.Header().Set("Location", Base)
		return web.WriteJSON(w, http.StatusOK, list)
	}
}

// access is an ON-API 2.6 access object.
type access struct {
	AccessID            string `json:"accessId"`
	LegacyAccessID      string `json:"legacyAccessId,omitempty"`
	StreetName          string `json:"streetName"`
	StreetNumber        string `json:"streetNumber,omitempty"`
	StreetLittera       string `json:"streetLittera,omitempty"`
	PostalCode          string `json:"postalCode"`
	City                string `json:"city"`
	CountryCode         string `json:"countryCode"`
	PremisesType        string `json:"premisesType"`
	MDUApartmentNumber  string `json:"mduApartmentNumber,omitempty"`
	MDUDistinguisher    string `json:"mduDistinguisher,omitempty"`
	Outlet              string `json:"outlet,omitempty"`
	Population          string `json:"population,omitempty"`
	PriceGroup          int    `json:"priceGroup"`
	AccessState         string `json:"accessState"`
	NationalAddressUUID string `json:"nationalAddressUUID,omitempty"`
}

// Deps is what the handlers read.
type Deps struct {
	DB *store.DB
	// Now and Loc give today's date for accessState (default time.Now, UTC).
	Now func() time.Time
	Loc *time.Location
}

// API is ON-API's accesses, its endpoint list and the 501 for whatever
// else is asked under Base.
type API struct{ d Deps }

// New makes the group.
func New(d Deps) *API {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Loc == nil {
		d.Loc = time.UTC
	}
	return &API{d: d}
}

// Routes lists GET accesses/ and accesses/{accessId}.
func (a *API) Routes() []web.Route {
	e := NewEndpoint("accesses", "accesses/", "accesses.md")
	return []web.Route{
		Route(&e, "accesses/", a.d.Accesses),
		Route(nil, "accesses/{accessId}", a.d.Access),
	}
}

// Index serves the endpoint list of every ON-API route any group mounted,
// in their order, and 501 for anything else under Base.
func (a *API) Index(all []web.Route) []web.Route {
	var list []Endpoint
	for _, r := range all {
		if r.Endpoint != nil {
			list = append(list, *r.Endpoint)
		}
	}
	return []web.Route{{Pattern: Base, Subtree: true, Group: web.GroupONAPI, Auth: web.GroupONAPI, Errors: web.JSONCause,
		Handle: Endpoints(list)}}
}

// AccessState is the ON-API accessState of an access: DISCONNECTED for a
// removed access; the inventory's own value when it has one other than
// CONNECTED; otherwise, and for CONNECTED, what the dates say as a
// Stockholm date: CONNECTED only once the access is both sellable and
// activatable (accesses.md: CONNECTED means "services may be sold
// freely", so never while Sellable is NO or a later date), DEPLOYING
// while both are known and one is a later date, PLANNED while either is
// NO.
func AccessState(rec *store.AccessRecord, now time.Time, loc *time.Location) string {
	if rec.Removed {
		return inventory.AccessStateDisconnected
	}
	if rec.AccessState != "" && rec.AccessState != inventory.AccessStateConnected {
		return rec.AccessState
	}
	ready, known := rules.Ready(&rec.Access)
	today := inventory.NewCalendar(loc).Today(now)
	switch {
	case !known:
		return inventory.AccessStatePlanned
	case today.Before(ready):
		return inventory.AccessStateDeploying
	}
	return inventory.AccessStateConnected
}

func (d Deps) access(rec *store.AccessRecord, now time.Time) access {
	a := &rec.Access
	return access{
		AccessID: a.AccessID, LegacyAccessID: a.LegacyAccessID, StreetName: a.StreetName, StreetNumber: a.StreetNumber,
		StreetLittera: a.StreetLittera, PostalCode: a.PostalCode, City: a.City, CountryCode: a.CountryCode,
		// An MDU_APARTMENT needs mduApartmentNumber or mduDistinguisher
		// (accesses.md); one that CSV 1.1 identified by its outlet alone gets
		// the outlet as mduDistinguisher, as in PI V1 and PI-API.
		PremisesType: string(a.PremisesType), MDUApartmentNumber: a.MDUApartmentNumber, MDUDistinguisher: a.PIV1MDUDistinguisher(),
		Outlet: a.Outlet, Population: a.Population, PriceGroup: a.PriceGroup,
		AccessState: AccessState(rec, now, d.Loc), NationalAddressUUID: a.NationalAddressUUID,
	}
}

// Accesses serves GET /onapi/2.6/accesses/: all accesses (404 when there
// are none), or with If-Modified-Since the changed ones (304 when none).
func (d Deps) Accesses(w http.ResponseWriter, r *http.Request) error {
	// accessState is computed from the dates: a date coming is a change.
	cal := inventory.NewCalendar(d.Loc)
	snap, err := web.Export(w, r, d.DB, "application/json", store.ExportOptions{Dates: &cal})
	if err != nil || snap == nil {
		return err
	}
	defer snap.Close()
	if snap.Count == 0 {
		return web.Errorf(http.StatusNotFound, "No accesses available")
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodHead {
		return nil
	}
	now := d.Now()
	return piapi.StreamArray(w, snap, func(rec *store.AccessRecord) any { return d.access(rec, now) })
}

// Access serves GET /onapi/2.6/accesses/{accessId}.
func (d Deps) Access(w http.ResponseWriter, r *http.Request) error {
	id := web.PathValue(r, "accessId")
	rec, err := d.DB.Inventory().Access(id)
	if errors.Is(err, store.ErrNotFound) {
		return web.Errorf(http.StatusNotFound, "Unknown accessId: '%s'", id)
	}
	if err != nil {
		return web.Internal(err)
	}
	return web.WriteJSON(w, http.StatusOK, d.access(&rec, d.Now()))
}
