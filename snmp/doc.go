// Package snmp is the root of accessd's SNMP side: link state and speed of
// every access port, learnt by polling the access switches on change and
// sped up by linkUp/linkDown traps. The package itself holds no code; the
// work is split into small packages with one job each:
//
//   - [github.com/stadsnat/accessd/snmp/ifmib]: pure decoding of IF-MIB
//     varbinds into port rows, oper status → link, ifLastChange → wall
//     clock "since" (TimeTicks wrap, agent restarts).
//   - [github.com/stadsnat/accessd/snmp/portmatch]: inventory Option82 text
//     → switch + port name, and port name → ifIndex (ifName, ifDescr,
//     ifAlias, with per-group rewrites).
//   - [github.com/stadsnat/accessd/snmp/client]: the small SNMP client
//     interface the poller uses, its gosnmp implementation and the switch
//     credentials (v2c community, v3 USM with SHA-2 and AES).
//   - [github.com/stadsnat/accessd/snmp/poller]: one goroutine and one
//     session per switch, poll on change, adaptive max-repetitions,
//     unreachable → unknown, a Sink for the results, metrics.
//   - [github.com/stadsnat/accessd/snmp/trap]: the linkUp/linkDown listener
//     that asks the poller for an immediate GET of the port.
//   - [github.com/stadsnat/accessd/snmp/linkstate]: the switch list from
//     the inventory and the configuration, the poller's Sink into the
//     store (grouped writes, history, flaps), and the link answer of an
//     access judged by its freshness (never a stale UP).
//
// Recorded walks used by the table tests live in testdata/ beside this file.
package snmp
