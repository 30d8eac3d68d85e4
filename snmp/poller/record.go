package poller

import (
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/stadsnat/accessd/snmp/ifmib"
	"github.com/stadsnat/accessd/snmp/portmatch"
)

// portRec is a wanted port's state as the poller keeps it: a PortState
// without the switch and group every port of a switch shares, its enums
// in bytes (112 bytes instead of 216; with 100,000 ports the worker's and
// the snapshot's copies were 50 MB of the heap).
type portRec struct {
	name     string
	problem  string
	since    time.Time
	polledAt time.Time
	speed    uint64
	ifIndex  int32 // ifIndex is 1 to 2^31-1 (RFC 2863)
	admin    int32
	oper     int32
	link     uint8 // index in links
	by       uint8 // index in matchedBy
	source   uint8 // index in sources
	flags    recFlags
}

type recFlags uint8

const (
	recSinceExact recFlags = 1 << iota
	recReachable
	recRemoved
)

// The values of the enums, by their code; "" is code 0.
var (
	links     = []ifmib.Link{"", ifmib.LinkUp, ifmib.LinkDown, ifmib.LinkUnknown}
	matchedBy = []portmatch.Field{"", portmatch.ByName, portmatch.ByDescr, portmatch.ByAlias}
	sources   = []Source{"", SourcePoll, SourceTrap}
)

// code is v's index in vals; a value the poller does not make (it makes
// only those listed) would be code 0, "".
func code[T ~string](vals []T, v T) uint8 {
	return uint8(max(slices.Index(vals, v), 0))
}

// pack is st as a record (its Switch and Group left out).
func pack(st PortState) portRec {
	r := portRec{name: st.Port, problem: st.Problem, since: st.Since, polledAt: st.PolledAt, speed: st.SpeedMbps,
		ifIndex: int32(st.IfIndex), admin: int32(st.Admin), oper: int32(st.Oper),
		link: code(links, st.Link), by: code(matchedBy, st.MatchedBy), source: code(sources, st.Source)}
	for _, f := range []struct {
		on   bool
		flag recFlags
	}{{st.SinceExact, recSinceExact}, {st.Reachable, recReachable}, {st.Removed, recRemoved}} {
		if f.on {
			r.flags |= f.flag
		}
	}
	return r
}

// state is the record as the port's state on switch sw in group.
func (r *portRec) state(sw, group string) PortState {
	return PortState{Switch: sw, Group: group, Port: r.name, IfIndex: int(r.ifIndex), MatchedBy: matchedBy[r.by],
		Admin: ifmib.AdminStatus(r.admin), Oper: ifmib.OperStatus(r.oper), Link: links[r.link], SpeedMbps: r.speed,
		Since: r.since, SinceExact: r.flags&recSinceExact != 0, PolledAt: r.polledAt, Source: sources[r.source],
		Reachable: r.flags&recReachable != 0, Problem: r.problem, Removed: r.flags&recRemoved != 0}
}

// findPort is the index of port name in ports sorted by name, and
// whether it is there.
func findPort(ports []port, name string) (int, bool) {
	// By index, reading rec alone: a copy of a port would read the fields
	// its worker changes without the poller's mutex.
	return sort.Find(len(ports), func(i int) int { return strings.Compare(name, ports[i].rec.name) })
}
