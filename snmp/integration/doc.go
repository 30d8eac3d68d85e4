// Package integration holds the SNMP side's tests against real peers: a
// net-snmp snmpd with veth ports (v2c and v3 authPriv, cable pulls, traps
// sent with snmptrap, a frozen agent) and the scale harness over snmpsim.
// It has no code of its own; see snmp/internal/lab for the peers.
//
//	go test -v ./snmp/integration/                     # needs root, snmpd, snmp, snmpsim
//	ACCESSD_REQUIRE_INTEGRATION=1 go test ./snmp/integration/   # missing peers fail
//	ACCESSD_SCALE=1 go test -run TestScale -v -timeout 20m ./snmp/integration/
package integration
