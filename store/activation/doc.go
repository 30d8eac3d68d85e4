// Package activation is accessd's order engine: the one place that decides
// whether a service can be delivered on an access, takes activation and
// deactivation orders from every channel (Atlas Tjänsteguiden's
// service_order and service_deactivate, PI-API 2.2/2.3 and ON-API 2.6
// orders, accessctl), stores them durably, and runs them through the KO's
// provisioning hook when they are due.
//
// # Deliverability
//
// [Engine.Deliverable] answers Atlas's service_deliverable codes, checked
// in this order: 404 the access is unknown; 500 the service is not in the
// catalogue; 400 another service of the same type is active (or ordered)
// and the catalogue allows no more of that type (the answer names it); 401
// the access's medium is not one the service runs on (numeric media codes,
// see catalog.MediaCodes); 402 the port is too slow (kbit/s: the speed SNMP
// reports when known, else the inventory's portSpeed); 403 the service
// needs customer equipment the access lacks; then the configured rules
// (codes 500 and up, with their message), in configuration order; 200
// otherwise. Orders from the service-provider APIs apply the same checks
// and turn a refusal into a 400 (409 in ON-API for conflicts) with a cause.
//
// # Orders
//
// An order is stored RECEIVED before it is acknowledged (group commit: the
// orders that arrive while one transaction commits share the next one).
// Placing the same order twice gives the first one back: Atlas orders are
// idempotent on (order, socket, service_uid), and an open order for the
// same service on the same access is returned as it is (PI-API "the service
// already has an active order"). An ACTIVATE of a service the caller already
// has, or a DEACTIVATE of one it does not have, is answered DONE_SUCCESS
// without an order.
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
