package nocsys

import (
	"context"
	"errors"
	"fmt"

	"github.com/stadsnat/accessd/api/noc"
	"github.com/stadsnat/accessd/store"
)

// Search implements noc.Source: an AccessId and an address from the
// inventory (the address index), the rest from the DHCP subsystem, with
// every access found given its address, switch and port.
func (s *Source) Search(ctx context.Context, q noc.Query) (noc.Result, error) {
	if err := ctx.Err(); err != nil {
		return noc.Result{}, err
	}
	var r noc.Result
	switch q.Kind {
	case noc.KindAccess:
		if ref, ok, err := s.ref(q.Text); err != nil {
			return r, err
		} else if ok {
			r.Accesses, r.Note = []noc.AccessRef{ref}, "the access with this AccessId"
		} else {
			r.Note = "no access has this AccessId"
		}
		return r, nil
	case noc.KindAddress:
		return s.searchAddress(q)
	case noc.KindIP, noc.KindMAC, noc.KindCircuit, noc.KindOption82:
		if s.dhcp == nil {
			return r, fmt.Errorf("search %s: %w", q.Kind, noc.ErrNotServed)
		}
		r, err := s.dhcp.Search(ctx, q)
		if err != nil {
			return r, err
		}
		return r, s.fill(&r)
	}
	return r, fmt.Errorf("search: kind %q", q.Kind)
}

func (s *Source) searchAddress(q noc.Query) (noc.Result, error) {
	if !s.idx.isBuilt() {
		if err := s.idx.refresh(s.db); err != nil {
			return noc.Result{}, err
		}
	}
	ids, more := s.idx.search(q.Text, q.Limit)
	r := noc.Result{Accesses: make([]noc.AccessRef, 0, len(ids)), More: more}
	for _, id := range ids {
		ref, ok, err := s.ref(id)
		if err != nil {
			return r, err
		}
		if ok { // else removed since the index was built
			r.Accesses = append(r.Accesses, ref)
		}
	}
	r.Note = "the addresses that start so"
	if len(r.Accesses) == 0 {
		r.Note = "no address starts so"
	}
	return r, nil
}

// fill gives the accesses of a result (IDs only) their address, switch
// and port, and drops those removed meanwhile.
func (s *Source) fill(r *noc.Result) error {
	out := r.Accesses[:0]
	for _, a := range r.Accesses {
		ref, ok, err := s.ref(a.ID)
		if err != nil {
			return err
		}
		if ok {
			out = append(out, ref)
		}
	}
	r.Accesses = out
	return nil
}

// ref is an access as the search lists it; ok is false when there is no
// such live access.
func (s *Source) ref(id string) (noc.AccessRef, bool, error) {
	rec, err := s.db.Inventory().Access(id)
	if errors.Is(err, store.ErrNotFound) {
		return noc.AccessRef{}, false, nil
	}
	if err != nil {
		return noc.AccessRef{}, false, err
	}
	ref := noc.AccessRef{ID: rec.AccessID, Address: addressLine(&rec.Access)}
	ref.Switch, ref.Port, _ = store.AccessSwitchPort(&rec.Access)
	return ref, true, nil
}
