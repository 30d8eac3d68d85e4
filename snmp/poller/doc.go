// Package poller keeps the link state and speed of the access ports of
// every switch, polling on change.
//
// Feed it switches with [Poller.SetSwitches] (at start and on every
// inventory or config reload), start [Poller.Run], and receive results
// through a [Sink]. Each switch gets one goroutine that owns its one SNMP
// session; a global semaphore bounds how many switches are polled at once.
//
// A cycle of one switch, every Options.Interval:
//
//   - one GETBULK that carries sysUpTime.0 and ifTableLastChange.0 as
//     non-repeaters and walks the ifLastChange column (continued from the
//     last OID when the table is longer than one response): on an idle
//     switch this is the whole cycle, one packet;
//   - a GET of whole rows (ifName, ifAdminStatus, ifOperStatus,
//     ifHighSpeed, ifSpeed, ifLastChange and sysUpTime.0) only for wanted
//     ports whose ifLastChange moved;
//   - a full refresh (every column of every row, ports matched again by
//     name) on first contact, after the switch was unreachable, on an
//     agent restart (sysUpTime went back), when ifTableLastChange moved or
//     a wanted ifIndex vanished, when the wanted ports changed, and every
//     Options.FullEvery cycles.
//
// Max-repetitions adapts per switch: halved on tooBig or on a timeout in
// the middle of a walk (and that size becomes the switch's ceiling), grown
// while responses are fast and a walk needed more than one request.
//
// A switch that does not answer (after its timeout and retries) turns all
// its ports to link UNKNOWN, Reachable false, since the start of the first
// failed cycle: never a stale UP. Its session is dialled again at the next
// cycle, which is a full refresh.
//
// Traps: [Poller.LinkTrap] (the trap listener's handler) asks the switch's
// own goroutine for an immediate GET of that ifIndex's row; the poll
// remains the truth.
//
// Time comes from the time package, so tests run the poller inside a
// testing/synctest bubble with fake time.
package poller
