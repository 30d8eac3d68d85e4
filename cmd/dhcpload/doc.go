// Command dhcpload is accessd's DHCP load generator and its baseline.
//
// Generator mode (default) sends relayed DHCPDISCOVER and DHCPREQUEST
// packets, as a switch's DHCP relay would (op BOOTREQUEST, hops 1, giaddr
// set, Option 82 last), to a UDP address, at a target rate or flat out, for
// a duration or a packet count, and prints what it sent and the rate it
// achieved:
//
//	dhcpload -target 127.0.0.1:6767 -rate 100000 -duration 10s \
//	    -clients 20000 -switches 10 -ports 48 \
//	    -remote-id '10.0.0.%d' -circuit-id 'ge-0/0/%d' -giaddr 10.0.0.1
//
// Client i (MAC 02:00:xx:xx:xx:xx from i, client-id 01+MAC) sits on circuit
// i mod (switches × ports); circuit c is port c mod ports (+ -port-base) of
// switch c / ports (+ -switch-base). -client-base shifts the clients'
// numbers (MACs and addresses), so generators feeding several sites do not
// share clients. -remote-id and -circuit-id are
// fmt patterns that receive the switch and the port number (a pattern
// without a verb is used as is; an empty -remote-id sends no remote-id), so
// the generated circuits can match an inventory: with the example above,
// client 0 has remote-id "10.0.0.1" and circuit-id "ge-0/0/1", i.e. the PI
// V1 Option82 text "10.0.0.1 ge-0/0/1". A REQUEST carries option 50
// (10.64.0.0 + i) and option 54 (-server-id), i.e. the SELECTING form that
// makes a tentative binding. -mix is the share of REQUESTs.
//
// Packets are built once per circuit with insomniacslk/dhcp and patched per
// send (xid, chaddr, client-id, option 50), and sent with sendmmsg batches
// of -batch (x/net/ipv4 WriteBatch; -batch 1 sends one write per packet).
// Over loopback a batch of 32 sends several times faster than single writes.
//
// Sink mode (-sink) is the comparison baseline of the issue, "the receive
// rate of a do-nothing UDP listener measured in the same run": it listens
// on -listen, counts packets (recvmmsg batches) and prints the rate every
// second and at the end (rate = packets / time from first to last packet).
// -decode makes it decode every packet with accessd's decoder and the
// default circuit profile, to show what decoding costs. -rcvbuf sets the
// socket receive buffer (default 32 MiB, with SO_RCVBUFFORCE when root, so
// net.core.rmem_max does not cap it): capped at this machine's rmem_max
// (4 MiB), the sink on a busy two-core machine dropped about 0.9% of a
// 100,000 packets/s stream in scheduling hiccups; with 32 MiB, none.
// Stopped by SIGINT or SIGTERM, it first reads what its socket's buffer
// still holds, so that a sink stopped once the sender is done counts
// every packet that reached it.
//
// A measurement: start the sink (or accessd) first, then the generator with
// the same duration, and compare the counts:
//
//	dhcpload -sink -listen 127.0.0.1:6767 -duration 15s &
//	dhcpload -target 127.0.0.1:6767 -duration 10s -rate 100000
//
// Safety: dhcpload sends only to loopback unless -allow-nonloopback is
// given (for an address inside a network namespace the test created), and
// it always stops by itself.
package main
