// Package activation is accessd's order engine: the one place that decides
// whether a service can be delivered on an access, takes activation and
// deactivation orders from every channel (Atlas Tjänsteguiden's
// service_order and service_deactivate, PI-API 2.2/2.3 and ON-API 2.6
// orders, accessctl), stores them durably, and runs them through the KO's
// provisioning hook when they are due.
//
// # Deliverability
//
// Whether a service can be delivered on an access is decided in one
// place, package rules, from the facts the engine gathers in one
// transaction: the access's inventory record, the port as SNMP sees it,
// the services active on the access and the orders open on it.
// [Engine.Deliverable] is Atlas's service_deliverable, [Engine.Offers] PI-API
// availability and ON-API services/, and [Engine.Place] meets the same
// verdict, so "available" always means that an order would be accepted.
// The codes and their order are in package rules; the service-provider
// APIs turn a refusal into a 400 (409 in ON-API for conflicts) with its
// cause.
//
// # Orders
//
// An order is stored RECEIVED before it is acknowledged (group commit: the
// orders that arrive while one transaction commits share the next one).
// Placing the same order twice gives the first one back: Atlas orders are
// idempotent on (order, socket, service_uid), and an open order for the
// same service on the access is returned as it is (PI-API "the service
// already has an active order"), whichever its operation: a DEACTIVATE
// while the ACTIVATE is still to be carried out gets the ACTIVATE, an
// ACTIVATE while a DEACTIVATE is pending the DEACTIVATE. An ACTIVATE of a
// service the caller already has, or a DEACTIVATE of one it does not
// have, is answered DONE_SUCCESS without an order. A provider ends only
// its own services; Atlas only what Atlas ordered (CodeNotOwner).
//
// Each order is due at a time: now, Atlas's date (local midnight in
// Europe/Stockholm), or ON-API's requestedDateTime. [Engine.Run] is the
// scheduler: it runs due orders, sleeps until the next one is due, and
// wakes when a new order is placed. The queue is in the store, so scheduled
// orders survive restarts. A release date (service_deactivate with a later
// date) is a scheduled DEACTIVATE order; the service shows the date until
// it ends.
//
// # The activation hook
//
// Running an order means running activation.hook: an executable (no
// shell) given the order as JSON on stdin (see HookInput). Exit status 0 is
// done (the first line of its standard output, if any, becomes the
// service's message); any other status fails the order with its standard
// error as the message; a hook that outlives activation.timeout is killed
// with its whole process group and the order fails. An order whose hook
// was interrupted by a stop of accessd is run again at the next start, so
// the hook must be idempotent. Without a hook, orders complete at once.
//
// Every change — an order created or changing state, a service started,
// changed or ended — is an entry of the store's order change log; the
// DONE_SUCCESS and DONE_FAILED ones form each service provider's order
// event feed (orderevents/).
package activation
