// Package trap receives linkUp/linkDown notifications from the access
// switches and asks the poller for an immediate read of the port: traps
// make link changes show fast, the poll remains the truth.
//
// The listener reads its own UDP socket (a large receive buffer) in a
// goroutine that only copies datagrams into a bounded queue and never
// waits on processing: when the queue is full, datagrams are dropped and
// counted. One processing goroutine decodes them with gosnmp and checks
// them:
//
//   - SNMPv1 and SNMPv2c: the community must be one of the configured
//     ones (gosnmp does not check it); compared in constant time.
//     SNMPv2c informs are acknowledged.
//   - SNMPv3: the user must be one of the configured USM users and the
//     message authenticated (SHA-2) and, for authPriv users, decryptable;
//     keys are localized to the sending agent's engine ID. v3 informs are
//     not supported (they need a local authoritative engine).
//
// A linkUp/linkDown (v1 generic-trap 2/3, v2 snmpTrapOID linkDown/linkUp)
// carries the interface as ifIndex.N (or ifAdminStatus.N/ifOperStatus.N);
// the listener hands (sender address, N) to its [Handler], the poller's
// LinkTrap. Other notifications are counted and ignored.
package trap
