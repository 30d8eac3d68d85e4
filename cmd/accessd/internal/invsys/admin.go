package invsys

import (
	"bufio"
	"errors"
	"fmt"
	"net/http"
	"runtime"
	"runtime/debug"
	"time"

	"github.com/stadsnat/accessd/api/cubit"
	"github.com/stadsnat/accessd/cmd/internal/admin"
	"github.com/stadsnat/accessd/store"
	"github.com/stadsnat/accessd/store/inventory"
)

// admin registers accessctl import, access and remove.
func (s *System) admin(m *admin.Mux) {
	m.Handle("POST "+admin.PathImport, s.adminImport)
	m.Handle("GET "+admin.PathAccess+"{id}", s.adminAccess)
	m.Handle("DELETE "+admin.PathAccess+"{id}", s.adminRemove)
}

// adminImport reads an inventory file from the request body: format from
// ?format= (csv or json), else from ?name='s extension, else sniffed;
// ?replace=1 makes it the whole inventory, ?dry_run=1 only checks. All or
// nothing.
func (s *System) adminImport(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	body := bufio.NewReaderSize(r.Body, 64<<10)
	var f inventory.Format
	var err error
	if q.Get("format") != "" {
		f, err = inventory.ParseFormat(q.Get("format"))
	} else {
		f, err = inventory.DetectFormat(q.Get("name"), body)
	}
	if err != nil {
		return admin.Errorf(http.StatusBadRequest, "%v", err)
	}
	// Only the JSON form carries plants: a CSV import keeps those stored.
	opts := store.ImportOptions{Replace: q.Get("replace") == "1", DryRun: q.Get("dry_run") == "1", Plants: f == inventory.JSON}
	start := time.Now()
	restore := s.tighten()
	defer restore()
	in, err := store.ReadIncoming(f, body)
	var ps *inventory.Problems
	if errors.As(err, &ps) {
		return &admin.Error{Status: http.StatusBadRequest, Cause: fmt.Sprintf("%d problem(s) in the file, nothing imported", ps.Count()) +
			cubit.Truncated(len(ps.List), ps.Count()), Problems: cubit.Problems(ps.List), ProblemCount: ps.Count()}
	}
	if err != nil {
		return admin.Errorf(http.StatusBadRequest, "read the file: %v", err)
	}
	// Import lets go of in before its commit: with no reference kept here
	// the parsed accesses can go while bbolt writes (a big import's peak).
	n := len(in)
	sum, err := s.db.Inventory().Import(in, opts)
	var fe *store.FollowingError
	if errors.As(err, &fe) {
		return admin.Errorf(http.StatusConflict, "%v", fe)
	}
	var ce *store.ConflictError
	if errors.As(err, &ce) {
		return &admin.Error{Status: http.StatusConflict, Cause: fmt.Sprintf("%d conflict(s) with the inventory, nothing imported", ce.Count()) +
			cubit.Truncated(len(ce.Conflicts), ce.Count()), Problems: cubit.Problems(ce.Conflicts), ProblemCount: ce.Count()}
	}
	if err != nil {
		return err
	}
	res := admin.ImportResult{Format: string(f), Accesses: n, Created: sum.Created, Updated: sum.Updated,
		Unchanged: sum.Unchanged, Removed: sum.Removed, DryRun: opts.DryRun, Replace: opts.Replace,
		Millis: time.Since(start).Milliseconds()}
	// A big import leaves its parse buffers and bbolt's page buffers (a
	// sync.Pool, which survives one collection) to the collector: collect
	// twice and hand the memory back to the system, rather than idle with
	// the import's peak as RSS.
	runtime.GC()
	debug.FreeOSMemory()
	if err := s.db.ReleaseMapped(); err != nil { // the store pages the import read are the page cache's
		s.log.Warn("the store pages the import read stay resident", "err", err)
	}
	if !opts.DryRun {
		s.log.Info("inventory imported", "format", f, "accesses", n, "created", sum.Created, "updated", sum.Updated,
			"unchanged", sum.Unchanged, "removed", sum.Removed, "replace", opts.Replace, "took", time.Since(start).Round(time.Millisecond))
	}
	return admin.WriteJSON(w, res)
}

func (s *System) adminAccess(w http.ResponseWriter, r *http.Request) error {
	rec, err := s.db.Inventory().Access(r.PathValue("id"))
	if errors.Is(err, store.ErrNotFound) {
		return admin.Errorf(http.StatusNotFound, "no access %q", r.PathValue("id"))
	}
	if err != nil {
		return err
	}
	return admin.WriteJSON(w, s.access(&rec, time.Now()))
}

// access is the admin protocol's form of a stored access, with its sales
// state at now.
func (s *System) access(rec *store.AccessRecord, now time.Time) admin.Access {
	a := &rec.Access
	return admin.Access{
		AccessID: a.AccessID, LegacyAccessID: a.LegacyAccessID, StreetName: a.StreetName, StreetNumber: a.StreetNumber,
		StreetLittera: a.StreetLittera, PostalCode: a.PostalCode, City: a.City, CountryCode: a.CountryCode,
		PremisesType: string(a.PremisesType), MDUApartmentNumber: a.MDUApartmentNumber, MDUDistinguisher: a.MDUDistinguisher,
		Outlet: a.Outlet, Population: a.Population, Activatable: string(a.Activatable), Sellable: string(a.Sellable),
		FiberConverter: a.FiberConverter, CPESwitch: a.CPESwitch, CPERouter: a.CPERouter, Option82: a.Option82,
		DHCPIdentifier: admin.DHCPIdentifier{IPv4CircuitID: a.DHCPIdentifier.IPv4CircuitID, IPv4RemoteID: a.DHCPIdentifier.IPv4RemoteID},
		PortSpeedMbps:  a.PortSpeedMbps, Media: a.Media, IPTV: a.IPTV, RFoF: a.RFoF, PriceGroup: a.PriceGroup,
		AccessState: a.AccessState, NationalAddressUUID: a.NationalAddressUUID,
		SalesState: a.State(s.cal, now).String(),
		Seq:        rec.Seq, Created: rec.Created, Modified: rec.Modified, Removed: rec.Removed,
	}
}

func (s *System) adminRemove(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	err := s.db.Inventory().RemoveAccess(id)
	var fe *store.FollowingError
	if errors.As(err, &fe) {
		return admin.Errorf(http.StatusConflict, "%v", fe)
	}
	if errors.Is(err, store.ErrNotFound) {
		return admin.Errorf(http.StatusNotFound, "no access %q", id)
	}
	if err != nil {
		return err
	}
	s.log.Info("access removed by an operator", "access_id", id)
	return admin.WriteJSON(w, admin.Removed{Removed: id})
}
