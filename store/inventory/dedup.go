package inventory

import "strconv"

// seen remembers where each accessId, option82 and dhcpIdentifier of a file
// was first used, to report duplicates naming both lines.
type seen struct {
	f         Format
	accessIDs map[string]int
	option82s map[string]owner
	dhcpIDs   map[DHCPIdentifier]owner
}

// owner is the first user of a unique value.
type owner struct {
	line     int
	accessID string
}

func newSeen(f Format) *seen {
	return &seen{
		f:         f,
		accessIDs: make(map[string]int),
		option82s: make(map[string]owner),
		dhcpIDs:   make(map[DHCPIdentifier]owner),
	}
}

// check appends a problem for each value of a, read at line, that an earlier
// access of the file already uses, records the values that are new and
// reports whether a is unique. Empty values (reported by validate) are
// skipped.
func (s *seen) check(line int, a *Access, ps *Problems) bool {
	ok := true
	if a.AccessID != "" {
		if first, dup := s.accessIDs[a.AccessID]; dup {
			ps.add(Problem{Line: line, AccessID: a.AccessID, Field: s.f.name(fAccessID),
				Message: quote(a.AccessID) + " is also on line " + strconv.Itoa(first)})
			ok = false
		} else {
			s.accessIDs[a.AccessID] = line
		}
	}
	if a.Option82 != "" {
		if first, dup := s.option82s[a.Option82]; dup {
			ps.add(Problem{Line: line, AccessID: a.AccessID, Field: s.f.name(fOption82),
				Message: quote(a.Option82) + " is also used on line " + strconv.Itoa(first.line) +
					" by accessId " + quote(first.accessID)})
			ok = false
		} else {
			s.option82s[a.Option82] = owner{line, a.AccessID}
		}
	}
	if d := a.DHCPIdentifier; !d.IsZero() {
		if first, dup := s.dhcpIDs[d]; dup {
			name := s.f.name(fCircuitID)
			if d.IPv4CircuitID == "" {
				name = s.f.name(fRemoteID)
			}
			ps.add(Problem{Line: line, AccessID: a.AccessID, Field: name,
				Message: "circuit-id " + quote(d.IPv4CircuitID) + " with remote-id " + quote(d.IPv4RemoteID) +
					" is also used on line " + strconv.Itoa(first.line) + " by accessId " + quote(first.accessID)})
			ok = false
		} else {
			s.dhcpIDs[d] = owner{line, a.AccessID}
		}
	}
	return ok
}
