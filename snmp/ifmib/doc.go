// Package ifmib decodes the parts of IF-MIB (RFC 2863) and SNMPv2-MIB that
// accessd needs into port rows, without any I/O.
//
// Everything is numeric: Debian ships no IF-MIB text file, and accessd never
// needs one. The package knows the OIDs of sysUpTime.0, ifTableLastChange.0
// and the ifTable/ifXTable columns ifDescr, ifSpeed, ifAdminStatus,
// ifOperStatus, ifLastChange, ifName, ifHighSpeed and ifAlias. Rows are
// keyed by ifIndex only while decoding one walk: ifIndex is the agent's
// current handle for an interface and changes when a switch reboots, so
// callers key ports by name (see package portmatch).
//
// Time: ifLastChange is the value of the agent's sysUpTime (TimeTicks,
// hundredths of a second, 32 bits: it wraps after 497 days) when the
// interface entered its current state. [Since] turns it into wall-clock time
// through sysUpTime read in the same response; [AgentClock] follows one
// agent's sysUpTime across polls and tells a wrap from an agent restart.
//
// Link: [OperStatus.Link] maps ifOperStatus to the UP/DOWN/UNKNOWN link of
// PI-API 2.3 and ON-API 2.6; see its documentation for the table.
package ifmib
