// Package integration holds the SNMP side's tests against real peers: a
// net-snmp snmpd with veth ports (v2c and v3 authPriv, cable pulls, traps
// sent with snmptrap, a frozen agent) and the scale harness over snmpsim.
// It has no code of its own; see snmp/internal/lab for the peers and
// internal/testkit for the daemon's process and the building of it. Every
// test here skips under go test -short (the package takes about 1.5 min).
//
// The poller tests (snmpd_test.go) drive the poller directly; the daemon
// tests (daemon_test.go) build accessd and accessctl from this tree, run
// the daemon with a configuration naming the lab switch, import an
// inventory whose Option82 texts name its ports, and check the PI-API
// link, ON-API link/status, accessctl port/status/switches and /metrics.
//
//	go test -v ./snmp/integration/                     # needs root, snmpd, snmp, snmpsim, go
//	go test -v -run TestDaemon ./snmp/integration/     # through the real daemon only
//	ACCESSD_REQUIRE_INTEGRATION=1 go test ./snmp/integration/   # missing peers fail
//	ACCESSD_SCALE=1 go test -run TestScale -v -timeout 20m ./snmp/integration/   # both harnesses
package integration
