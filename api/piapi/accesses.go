// Package piapi serves the KO side of PI-API 2.3 (and 2.2, which differs
// only in what orders carry): feasibility GET /api/2.3/accesses/ with
// If-Modified-Since, availability GET /api/2.3/accesses/{accessId} and the
// option82 lookup GET /api/2.3/option82/{hex}. Field names and their order
// follow the specification's examples; errors are {"cause": "..."}.
package piapi

import (
	"bufio"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/stadsnat/accessd/api/activation"
	"github.com/stadsnat/accessd/api/internal/web"
	"github.com/stadsnat/accessd/store"
	"github.com/stadsnat/accessd/store/inventory"
)

// Versions are the PI-API versions served, each under /api/VERSION/.
func Versions() []string { return []string{"2.2", "2.3"} }

// Deps is what the handlers read.
type Deps struct {
	DB *store.DB
	// Engine is the activation engine: its catalogue (feasibility) and its
	// rules (availability's "available": YES exactly when an ACTIVATE of
	// the service would be accepted).
	Engine *activation.Engine
	// Active lists the services active on an access for the calling user
	// (availability's "active"); nil means none are known.
	Active func(accessID string, u web.User) ([]Active, error)
}

// feasibility is one access of GET /api/2.3/accesses/, fields in the
// order of the specification's example.
type feasibility struct {
	AccessID           string        `json:"accessId"`
	StreetName         string        `json:"streetName"`
	StreetNumber       string        `json:"streetNumber"`
	StreetLittera      string        `json:"streetLittera"`
	PostalCode         string        `json:"postalCode"`
	City               string        `json:"city"`
	CountryCode        string        `json:"countryCode"`
	PremisesType       string        `json:"premisesType"`
	MDUApartmentNumber string        `json:"mduApartmentNumber"`
	MDUDistinguisher   string        `json:"mduDistinguisher"`
	Outlet             string        `json:"outlet"`
	Population         string        `json:"population"`
	Services           []serviceConn `json:"services"`
	CoFiberConverter   string        `json:"coFiberConverter"`
	CoCPESwitch        string        `json:"coCpeSwitch"`
	CoCPERouter        string        `json:"coCpeRouter"`
}

type serviceConn struct {
	Service    string `json:"service"`
	Connection string `json:"connection"`
}

// availability is GET /api/2.3/accesses/{accessId}.
type availability struct {
	AccessID           string         `json:"accessId"`
	StreetName         string         `json:"streetName"`
	StreetNumber       string         `json:"streetNumber"`
	StreetLittera      string         `json:"streetLittera"`
	PostalCode         string         `json:"postalCode"`
	City               string         `json:"city"`
	CountryCode        string         `json:"countryCode"`
	PremisesType       string         `json:"premisesType"`
	MDUApartmentNumber string         `json:"mduApartmentNumber"`
	MDUDistinguisher   string         `json:"mduDistinguisher"`
	Outlet             string         `json:"outlet"`
	Population         string         `json:"population"`
	Services           []serviceAvail `json:"services"`
	Active             []Active       `json:"active"`
	CoFiberConverter   string         `json:"coFiberConverter"`
	CoCPESwitch        string         `json:"coCpeSwitch"`
	CoCPERouter        string         `json:"coCpeRouter"`
}

type serviceAvail struct {
	Service                string `json:"service"`
	Connection             string `json:"connection"`
	Available              string `json:"available"`
	ForcedTakeoverPossible bool   `json:"forcedTakeoverPossible"`
}

// Active is a service active on an access for the calling service provider.
type Active struct {
	Service     string      `json:"service"`
	Option82    string      `json:"option82"`
	Equipment   []Equipment `json:"equipment"`
	SPReference *string     `json:"spReference,omitempty"` // 2.3 only
}

// Equipment ties a service to a device.
type Equipment struct {
	VendorID   string `json:"vendorId,omitempty"`
	MACAddress string `json:"macAddress,omitempty"`
}

// connection is when services become activatable: the access's Activatable
// ("YES", "NO" or a date); "NO" for a removed access.
func connection(rec *store.AccessRecord) string {
	if rec.Removed || rec.Activatable == "" {
		return string(inventory.No)
	}
	return string(rec.Activatable)
}

// available is availability.md's "available" of a verdict: YES when the
// caller can order the service now (the order would be accepted); the
// date from which it could, when only a date stands in the way ("NO or
// the date on which the service becomes available"); NO otherwise.
func available(v activation.Verdict) string {
	switch {
	case v.OK():
		return string(inventory.Yes)
	case !v.Until.IsZero():
		return v.Until.String()
	}
	return string(inventory.No)
}

// premisesType is a premises type as PI-API spells it. PI-API 2.2/2.3
// know MDU_APARTMENT, MDU_COMMON, RESIDENTIAL_HOUSE, COMMERCIAL, PUBLIC and
// UNKNOWN (feasibility.md); ON-API's MDU_TECHNICAL, a technical room of an
// apartment building, is sent as MDU_COMMON, as PI V1 does.
func premisesType(p inventory.PremisesType) string {
	pt, _ := p.PIV1() // the five PI V1 types; UNKNOWN unchanged
	return string(pt)
}

func (d Deps) feasibility(rec *store.AccessRecord) feasibility {
	a := &rec.Access
	f := feasibility{
		AccessID: a.AccessID, StreetName: a.StreetName, StreetNumber: a.StreetNumber, StreetLittera: a.StreetLittera,
		PostalCode: a.PostalCode, City: a.City, CountryCode: a.CountryCode, PremisesType: premisesType(a.PremisesType),
		// An MDU_APARTMENT needs mduApartmentNumber or mduDistinguisher
		// (feasibility.md); one that CSV 1.1 identified by its outlet alone
		// gets the outlet as mduDistinguisher, as in PI V1.
		MDUApartmentNumber: a.MDUApartmentNumber, MDUDistinguisher: a.PIV1MDUDistinguisher(), Outlet: a.Outlet,
		Population: a.Population, Services: []serviceConn{},
		CoFiberConverter: a.FiberConverter, CoCPESwitch: a.CPESwitch, CoCPERouter: a.CPERouter,
	}
	conn := connection(rec)
	for _, s := range d.Engine.Catalog().Offered(a) {
		f.Services = append(f.Services, serviceConn{Service: s.UID, Connection: conn})
	}
	return f
}

// Accesses serves feasibility: every access, or with If-Modified-Since the
// changed ones (304 when none), streamed from one read transaction.
func (d Deps) Accesses(w http.ResponseWriter, r *http.Request) error {
	// Feasibility lists the catalogue's services: a new catalogue is a
	// change of every access. Its connection carries Activatable as it
	// is, so a date coming changes nothing.
	snap, err := web.Export(w, r, d.DB, "", store.ExportOptions{Catalogue: true})
	if err != nil || snap == nil {
		return err
	}
	defer snap.Close()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodHead {
		return nil
	}
	return StreamArray(w, snap, func(rec *store.AccessRecord) any { return d.feasibility(rec) })
}

// StreamArray writes the snapshot's records as one JSON array, one
// element at a time.
func StreamArray(w http.ResponseWriter, snap *store.Snapshot, conv func(*store.AccessRecord) any) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	bw.WriteByte('[')
	first := true
	err := snap.Each(func(rec *store.AccessRecord) error {
		if !first {
			bw.WriteByte(',')
		}
		first = false
		return enc.Encode(conv(rec)) // Encode ends each element with a newline
	})
	if err != nil {
		return err
	}
	bw.WriteString("]\n")
	return bw.Flush()
}

// Access serves availability for one access: the services feasibility
// lists, each "available" as the rule engine answers the caller.
func (d Deps) Access(w http.ResponseWriter, r *http.Request) error {
	id := web.PathValue(r, "accessId")
	u, _ := web.UserFrom(r.Context())
	rec, offers, err := d.Engine.Offers(id, u.Name)
	if errors.Is(err, store.ErrNotFound) {
		return web.Errorf(http.StatusNotFound, "Unknown accessId: '%s'", id)
	}
	if err != nil {
		return web.Internal(err)
	}
	f := d.feasibility(&rec)
	out := availability{
		AccessID: f.AccessID, StreetName: f.StreetName, StreetNumber: f.StreetNumber, StreetLittera: f.StreetLittera,
		PostalCode: f.PostalCode, City: f.City, CountryCode: f.CountryCode, PremisesType: f.PremisesType,
		MDUApartmentNumber: f.MDUApartmentNumber, MDUDistinguisher: f.MDUDistinguisher, Outlet: f.Outlet,
		Population: f.Population, Services: make([]serviceAvail, 0, len(offers)), Active: []Active{},
		CoFiberConverter: f.CoFiberConverter, CoCPESwitch: f.CoCPESwitch, CoCPERouter: f.CoCPERouter,
	}
	conn := connection(&rec)
	for _, o := range offers {
		out.Services = append(out.Services, serviceAvail{Service: o.Service.UID, Connection: conn, Available: available(o.Verdict)})
	}
	if d.Active != nil {
		act, err := d.Active(id, u)
		if err != nil {
			return web.Internal(err)
		}
		if act != nil {
			out.Active = act
		}
	}
	if Version(r) == "2.2" {
		for i := range out.Active {
			out.Active[i].SPReference = nil
		}
	}
	return web.WriteJSON(w, http.StatusOK, out)
}

// Version is the PI-API version of the request path (/api/2.2/… or
// /api/2.3/…): the URL chooses it (misc.md: the version is part of the
// root URL).
func Version(r *http.Request) string {
	if len(r.URL.Path) >= 8 && r.URL.Path[:8] == "/api/2.2" {
		return "2.2"
	}
	return "2.3"
}
