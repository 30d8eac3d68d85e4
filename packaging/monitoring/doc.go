// Package monitoring holds no code: it is accessd's monitoring for
// Prometheus and Grafana, installed by the .deb under
// /usr/share/accessd/monitoring/, and its tests.
//
//   - accessd-alerts.yml: Prometheus alert rules (accessd down, switches
//     not answering, ports unknown, DHCP queue drops, untrusted relay
//     datagrams, store errors, upstream lag, failed logins), each with a
//     summary, a description and a runbook annotation;
//   - accessd-alerts.test.yml: their unit tests for `promtool test rules`,
//     a firing and a quiet case for every alert;
//   - accessd-dashboard.json: a Grafana dashboard over accessd's metrics
//     (data source, job and instance chosen in its variables);
//   - metrics.txt: every metric the two name, with its type, the labels the
//     queries rely on, and whether accessd registers it today.
//
// The tests run promtool check rules and promtool test rules (Debian's
// prometheus package; skipped without it unless
// ACCESSD_REQUIRE_INTEGRATION=1), check that every dashboard query parses
// (through promtool) and names only listed metrics, that every listed
// metric is used, and that the ones marked "exists" are registered by the
// code.
package monitoring
