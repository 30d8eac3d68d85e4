// Package source reads DHCP from where accessd can see it and hands it to
// the ingest pipeline:
//
//   - Relay: UDP sockets on the relay's extra server address (socket
//     activated as "dhcp4", or dhcp.relay.listen). accessd listens
//     passively and never answers. One reader goroutine per socket reads
//     batches with recvmmsg into a 32 MiB receive buffer (SO_RCVBUFFORCE,
//     falling back to SO_RCVBUF capped by net.core.rmem_max) and only
//     copies packets into the sink, which never blocks.
//   - Snoop: an AF_PACKET datagram socket per interface of the DHCP
//     server's own box (mdlayher/packet) with a classic BPF filter
//     (golang.org/x/net/bpf) for IPv4 UDP to or from ports 67/68, so the
//     kernel hands over nothing else. It sees the server's ACKs, whose
//     yiaddr and lease time confirm a binding. DHCPPayload checks the IP
//     and UDP headers it unwraps.
//   - KeaFile: Kea's memfile lease CSV, read whole at start and followed by
//     polling its status (see KeaFile for why not inotify), to reconcile.
//
// The sources know nothing of bindings; they depend on the small Sink and
// LeaseSink interfaces that ingest.Service implements.
package source
