// Package client is the small SNMP client interface the poller uses, its
// implementation over gosnmp, and the credentials of a switch.
//
// A [Client] is one session with one agent. It is not safe for concurrent
// use: the poller gives each switch one goroutine that owns its session.
// Every session has its own copy of the SNMPv3 security parameters (gosnmp
// writes the agent's engine ID, boots and time into them), its timeout and
// retries set explicitly, and reports each packet it sends through
// [Hooks] so the caller can count requests and retries.
//
// No gosnmp type appears in this package's API: varbinds are
// [ifmib.Varbind], errors are [ErrTimeout], [ErrAuth] and [*StatusError]
// (errors.Is(err, ErrTooBig) for tooBig).
//
// Package fakeagent beside this one implements [Dialer] with scripted
// in-memory agents for the poller's unit tests.
package client
