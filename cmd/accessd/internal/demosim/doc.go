// Package demosim holds the simulated peers of `accessd -demo`: an access
// switch that answers SNMP and a DHCP relay that sends the demo's relayed
// DHCP traffic, both on loopback and in the daemon's own process, so that
// the demo answers every question (link status, leases, bindings, history,
// the bounce URL, unknown circuits) with nothing outside the repository.
//
// # The switch
//
// Switch serves SNMPv2c (GET, GETNEXT, GETBULK; community "public" by
// default) over real UDP on the address it is given, from the in-memory
// agent of snmp/client/fakeagent: the system group with a running
// sysUpTime, and an ifTable/ifXTable row per port (ifIndex 1..N in the
// order given, ifName = ifDescr = the port name). Speeds differ by
// position: the port at index i runs at 100 Mbit/s when i mod 4 = 1, at
// 10 Gbit/s when i mod 4 = 3 (ifSpeed saturated at 4294967295, as RFC
// 2863 says), at 1 Gbit/s otherwise. One port flaps (down for FlapDown
// every FlapEvery), the ports named in Down stay down, the others stay
// up. A linkDown/linkUp v2c trap is sent on every flap when a trap
// receiver is configured. Responses that would exceed the message size are
// shortened (GETBULK) or answered tooBig (GET, GETNEXT), as RFC 3416 says.
//
// # The relay
//
// Relay sends what a switch's DHCP relay sends to an extra server address
// (the daemon's relay copy listener): relayed BOOTREQUESTs with hops 1,
// giaddr and Option 82 (circuit-id, remote-id) last. Every circuit gets a
// few clients (1 + (i+1) mod MaxClients for the circuit at index i: 2, 3,
// 1, 2, 3, 1, … with the default 3); each client does DISCOVER and a
// SELECTING REQUEST at start, renews (REQUEST with ciaddr) after
// FirstRenew and then every Renew, and one client (the second of the first
// circuit) changes address now and then, so the binding history has
// entries. One more client sits on an unknown circuit. Everything is
// deterministic, so documentation can name an address:
//
//   - client c of the circuit at index a: IP Network.a.(10+c) (10.67.a.(10+c)
//     with the default 10.67.0.0/16), MAC 02:67:00:00:aa:cc (aa, cc in hex);
//   - the moving client alternates between its own address and the same
//     address + 100 (10.67.0.11 ⇔ 10.67.0.111), starting on the latter;
//   - the unknown circuit's client: 10.67.255.10, MAC 02:67:00:00:ff:00.
//
// Relay.Clients lists them all.
//
// Both simulators are values with Run(ctx, ready) error: Run opens the
// socket, calls ready once the simulator is serving (the relay: once its
// first round of packets is sent), and returns when ctx ends. Start the
// relay after the daemon's relay listener is up, or its first round is
// lost (renewals then make the bindings again).
package demosim
