package ifmib

import (
	"strconv"
	"strings"
)

// Scalar OIDs (instance .0 included).
const (
	// OIDSysUpTime is SNMPv2-MIB sysUpTime.0: TimeTicks since the agent's
	// network management part was last re-initialised.
	OIDSysUpTime = ".1.3.6.1.2.1.1.3.0"
	// OIDIfTableLastChange is IF-MIB ifTableLastChange.0: sysUpTime at the
	// last creation or deletion of an ifTable row (0 if none since start).
	OIDIfTableLastChange = ".1.3.6.1.2.1.31.1.5.0"

	// OIDSysUpTimeObject is sysUpTime without its instance: a GETNEXT or
	// a GETBULK non-repeater on it returns sysUpTime.0.
	OIDSysUpTimeObject = ".1.3.6.1.2.1.1.3"
	// OIDIfTableLastChangeObject is ifTableLastChange without its
	// instance, for the same use.
	OIDIfTableLastChangeObject = ".1.3.6.1.2.1.31.1.5"

	// OIDIfIndex is the ifIndex column, sent in linkUp/linkDown traps.
	OIDIfIndex = ".1.3.6.1.2.1.2.2.1.1"
)

// Column is one IF-MIB column accessd reads.
type Column uint8

// The columns, in the order a full refresh reads them.
const (
	ColName       Column = iota + 1 // ifXTable ifName (DisplayString)
	ColDescr                        // ifTable ifDescr (DisplayString)
	ColAlias                        // ifXTable ifAlias (DisplayString)
	ColAdmin                        // ifTable ifAdminStatus (INTEGER)
	ColOper                         // ifTable ifOperStatus (INTEGER)
	ColHighSpeed                    // ifXTable ifHighSpeed (Gauge32, Mbit/s)
	ColSpeed                        // ifTable ifSpeed (Gauge32, bit/s)
	ColLastChange                   // ifTable ifLastChange (TimeTicks)
)

// AllColumns returns every column in full-refresh order.
func AllColumns() []Column {
	return []Column{ColName, ColDescr, ColAlias, ColAdmin, ColOper, ColHighSpeed, ColSpeed, ColLastChange}
}

// StateColumns returns the columns that describe an interface's state (not
// its names): what a changed port or a trap needs re-read, plus ifName to
// confirm the ifIndex still names the same interface.
func StateColumns() []Column {
	return []Column{ColName, ColAdmin, ColOper, ColHighSpeed, ColSpeed, ColLastChange}
}

// OID returns the column's OID without an index, with a leading dot.
func (c Column) OID() string {
	switch c {
	case ColName:
		return ".1.3.6.1.2.1.31.1.1.1.1"
	case ColDescr:
		return ".1.3.6.1.2.1.2.2.1.2"
	case ColAlias:
		return ".1.3.6.1.2.1.31.1.1.1.18"
	case ColAdmin:
		return ".1.3.6.1.2.1.2.2.1.7"
	case ColOper:
		return ".1.3.6.1.2.1.2.2.1.8"
	case ColHighSpeed:
		return ".1.3.6.1.2.1.31.1.1.1.15"
	case ColSpeed:
		return ".1.3.6.1.2.1.2.2.1.5"
	case ColLastChange:
		return ".1.3.6.1.2.1.2.2.1.9"
	}
	return ""
}

// String returns the IF-MIB name of the column.
func (c Column) String() string {
	switch c {
	case ColName:
		return "ifName"
	case ColDescr:
		return "ifDescr"
	case ColAlias:
		return "ifAlias"
	case ColAdmin:
		return "ifAdminStatus"
	case ColOper:
		return "ifOperStatus"
	case ColHighSpeed:
		return "ifHighSpeed"
	case ColSpeed:
		return "ifSpeed"
	case ColLastChange:
		return "ifLastChange"
	}
	return "column(" + strconv.Itoa(int(c)) + ")"
}

// Instance returns the OID of the column's cell for ifIndex.
func (c Column) Instance(ifIndex int) string {
	return c.OID() + "." + strconv.Itoa(ifIndex)
}

// RowOIDs returns the OIDs of the given columns' cells for ifIndex.
func RowOIDs(ifIndex int, cols []Column) []string {
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = c.Instance(ifIndex)
	}
	return out
}

// Index returns the ifIndex of oid if it is a cell of column c (the column
// OID followed by exactly one sub-identifier in 1..2147483647).
func (c Column) Index(oid string) (int, bool) {
	return IndexUnder(c.OID(), oid)
}

// IndexUnder returns the single sub-identifier that follows prefix in oid,
// if oid is prefix + "." + n with n an ifIndex (1..2147483647).
func IndexUnder(prefix, oid string) (int, bool) {
	if len(oid) <= len(prefix)+1 || !strings.HasPrefix(oid, prefix) || oid[len(prefix)] != '.' {
		return 0, false
	}
	rest := oid[len(prefix)+1:]
	if rest[0] == '0' || len(rest) > 10 { // no leading zeros, at most 10 digits
		return 0, false
	}
	n, err := strconv.ParseUint(rest, 10, 32)
	if err != nil || n > 2147483647 {
		return 0, false
	}
	return int(n), true
}

// ColumnOf returns the column and ifIndex of an OID, if it is a cell of one
// of the columns accessd reads.
func ColumnOf(oid string) (Column, int, bool) {
	for _, c := range AllColumns() {
		if idx, ok := c.Index(oid); ok {
			return c, idx, true
		}
	}
	return 0, 0, false
}

// Under reports whether oid lies strictly under the subtree prefix (both
// with a leading dot).
func Under(prefix, oid string) bool {
	return len(oid) > len(prefix) && strings.HasPrefix(oid, prefix) && oid[len(prefix)] == '.'
}

// CompareOID orders dotted numeric OIDs as SNMP does: by sub-identifier,
// a prefix before its extensions. Malformed sub-identifiers compare as 0.
func CompareOID(x, y string) int {
	x, y = strings.TrimPrefix(x, "."), strings.TrimPrefix(y, ".")
	for x != "" && y != "" {
		var xs, ys string
		xs, x, _ = strings.Cut(x, ".")
		ys, y, _ = strings.Cut(y, ".")
		if xs == ys {
			continue
		}
		a, _ := strconv.ParseUint(xs, 10, 32)
		b, _ := strconv.ParseUint(ys, 10, 32)
		switch {
		case a < b:
			return -1
		case a > b:
			return 1
		}
	}
	switch {
	case x == "" && y == "":
		return 0
	case x == "":
		return -1
	}
	return 1
}
