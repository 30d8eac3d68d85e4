// Package testkit is what accessd's tests share, in one place: it sits under
// the module root's internal/ so every package (cmd/, dhcp/, snmp/, api/,
// store/, packaging/) may import it, and it imports nothing of accessd, so
// any package's own tests may use it without a cycle.
//
//   - Prerequisites: Missing, Require, RequireRoot and RequireCommands skip a
//     test that cannot run here (not root, a peer not installed) with a
//     message saying what is missing, and fail it instead when
//     ACCESSD_REQUIRE_INTEGRATION=1 (CI). SkipShort skips the slow paths
//     (real peers, booted systems, scale and load runs) under go test -short.
//   - Binaries builds accessd, accessctl, dhcpload and barehttp (the bare
//     net/http handler of the HTTP figures) from this tree once per test
//     binary (the package's TestMain calls Main, which removes them), or
//     takes them from ACCESSD_TEST_BINS (the bench command builds once).
//     Under -race they are built with the race detector, and a Process whose
//     log reports a data race fails its test. NATSServer builds nats-server
//     (go.mod's version, never with -race) for tests that run a JetStream
//     cluster of their own.
//   - Process runs a program (the real daemon, a lab peer, a load generator)
//     with its log kept for the test, waits for readiness (WaitReady with a
//     probe such as HTTPReady), signals it, and stops it by its PID when the
//     test ends, showing the log when the test failed.
//   - Netns, Veth and DHCPLab build network-namespace labs: namespaces and
//     veth pairs the test creates and deletes, sockets and HTTP clients
//     inside a namespace, and the DHCP relay topology of lab/dhcp-lab.sh
//     (dhclient, ISC dhcrelay -a, Kea). The scripts in lab/ build the same
//     labs by hand, to try the daemon against real peers.
//   - WaitUntil polls a condition with a deadline and fails with what it was
//     waiting for; Go runs a task (a poller, a listener, a writer) for the
//     test and checks the error it returns.
//   - Subpackage browser drives a headless Chromium (chromedp) for the tests
//     of web pages: tabs that report console errors and CSP violations, tabs
//     with JavaScript off, DOM reads without script, screenshots.
//   - Golden compares output with a golden file; ACCESSD_UPDATE_GOLDEN=1 is
//     the one switch that rewrites golden files, in every package:
//     ACCESSD_UPDATE_GOLDEN=1 go test ./...
//
// Real peers cannot run inside a testing/synctest bubble, so the helpers
// that wait on processes and sockets poll real time; unit tests of accessd's
// own code use synctest instead.
package testkit
