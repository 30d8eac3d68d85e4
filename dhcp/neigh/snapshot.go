package neigh

import (
	"context"
	"net/netip"
	"time"
)

// The kernel answers a neighbour look-up only as a dump of the whole table
// (a single entry needs its interface), and the bounce URL asks for every
// visitor without a DHCP binding: a flood of such visitors dumped the
// table once a request, thousands of entries each time on a busy box
// (the bounce of a visitor without a binding ran at half the rate of one
// with). A dump now answers the look-ups of the next maxSnapshotAge; an
// address it lacks is asked of a new dump once the one it read is
// minMissRefresh old (a visitor's entry appears as its connection is
// made, a moment before its request), so that a flood of unknown
// addresses costs at most one dump in minMissRefresh.
const (
	maxSnapshotAge = time.Second
	minMissRefresh = 100 * time.Millisecond
)

// snapshots keeps the latest dump of a table for its look-ups: one dump
// at a time, the look-ups that arrive during it waiting for it.
type snapshots struct {
	dump func(context.Context) ([]Neighbor, error)
	now  func() time.Time
	sem  chan struct{} // held while reading or taking the dump
	all  []Neighbor
	at   time.Time // when all was taken; zero: none yet
}

func newSnapshots(dump func(context.Context) ([]Neighbor, error), now func() time.Time) snapshots {
	return snapshots{dump: dump, now: now, sem: make(chan struct{}, 1)}
}

// lookup is the best entry for ip in a recent dump.
func (s *snapshots) lookup(ctx context.Context, ip netip.Addr) (Neighbor, error) {
	if err := ctx.Err(); err != nil {
		return Neighbor{}, err
	}
	select {
	case s.sem <- struct{}{}:
	case <-ctx.Done():
		return Neighbor{}, ctx.Err()
	}
	defer func() { <-s.sem }()
	age := s.now().Sub(s.at)
	if !s.at.IsZero() && age < maxSnapshotAge {
		n, err := best(s.all, ip)
		if err == nil || age < minMissRefresh {
			return n, err
		}
	}
	all, err := s.dump(ctx)
	if err != nil {
		return Neighbor{}, err
	}
	s.all, s.at = all, s.now()
	return best(all, ip)
}
