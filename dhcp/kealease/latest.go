package kealease

import (
	"io"
	"net/netip"
	"slices"
)

// Summary describes a folded lease file.
type Summary struct {
	Rows      int         // good rows read
	BadRows   int         // bad rows skipped
	RowErrors []*RowError // the first MaxRowErrors of them
	Lines     int
}

// Latest reads a whole lease file and returns the last row of every
// address, ordered by address. Released and reclaimed rows are kept (the
// caller ends those bindings); use Lease.Active to keep only held leases.
// A bad row is skipped and reported in the Summary; only a header or I/O
// error is returned as error.
func Latest(r io.Reader) ([]Lease, Summary, error) {
	rd := NewReader(r)
	last := make(map[netip.Addr]Lease)
	var s Summary
	for rd.Next() {
		l := rd.Lease()
		last[l.Address] = l
		s.Rows++
	}
	s.BadRows, s.RowErrors, s.Lines = rd.BadRows(), rd.RowErrors(), rd.Lines()
	if err := rd.Err(); err != nil {
		return nil, s, err
	}
	out := make([]Lease, 0, len(last))
	for _, l := range last {
		out = append(out, l)
	}
	slices.SortFunc(out, func(a, b Lease) int { return a.Address.Compare(b.Address) })
	return out, s, nil
}
