// Package labtest holds the integration test of the DHCP packages against
// real peers, in the lab of internal/testkit (testkit.DHCPLab, the topology
// of internal/testkit/lab/dhcp-lab.sh): dhclient in one
// network namespace, ISC dhcrelay -a (which inserts circuit-id = its
// downstream interface name) in another, relaying to a real Kea and to a
// listener of the test. The test decodes the relayed packets with dhcp4 and
// circuit, reads Kea's lease file with kealease, runs everything through
// binding, and checks that the client ends up bound to the right IP on the
// right circuit.
//
// It needs root, iproute2, isc-dhcp-relay, isc-dhcp-client and
// kea-dhcp4-server; without them it skips, unless
// ACCESSD_REQUIRE_INTEGRATION=1, where a missing prerequisite fails it.
// Namespaces are named adt-lab-<pid><tag>-{cli,relay,srv,kea} and removed
// at the end; only processes the test started are stopped, by PID.
package labtest
