// Package rules is accessd's one answer to "can service S be delivered on
// access A now, and if not, why": a pure function of the facts (the
// inventory's delivery facts, the port as SNMP sees it, the catalogue, the
// services already on the access and the orders pending on it) that every
// channel asks through the activation engine — Atlas's service_deliverable
// and service_order, PI-API availability and orders (2.2 and 2.3), ON-API
// services and orders. "Available" in any of them therefore always means
// that an ACTIVATE would be accepted, and a refusal gives the same reason
// everywhere: Atlas's code (with its fields) and the English cause of the
// service-provider APIs. The package has no I/O, no clock and no HTTP.
//
// # The checks, in order
//
//   - 500 the service is not in the catalogue (the caller answers 404 for
//     an unknown access before asking).
//   - The caller's own claims on the same service: already active, or an
//     ACTIVATE of it pending, is 200 (ordering it again changes nothing,
//     service_activation.md: "already active … DONE_SUCCESS", "already has
//     an active order"); a DEACTIVATE of it pending is 400 (the service is
//     on its way out and must be gone before it can be ordered again).
//   - 400 another service provider holds or has ordered a service of the
//     type (the type is claimed), or the caller holds max_per_access of it.
//   - 401 the access's medium is not one the service runs on. An access
//     whose inventory says rfof YES also has the medium RFOF (CSV 1.1).
//   - 402 the port is too slow: the lower of the inventory's portSpeed
//     (CSV 1.1: "the highest speed of services that can be delivered on
//     the access") and the speed SNMP reports, in kbit/s.
//   - 403 the service needs customer equipment the access lacks.
//   - 513 the service is IPTV and the inventory's iptv flag is not YES
//     (CSV 1.1: anything but YES means IPTV cannot be delivered).
//   - The KO's own rules (activation.rules), codes 500–999, in order.
//   - 510 the access is not sales-started (Sellable NO or a later date),
//     511 not activatable (Activatable NO or a later date): seed 003, the
//     Activatable field: "before then they are hidden and cannot be
//     ordered"; PI-API availability.md: "before the service is available
//     for the first time, available and connection coincide". A date is
//     never scheduled: an order placed before it is refused, whatever date
//     the order asks for. The verdict carries the date from which it would
//     be accepted (Until) when both dates are known.
//   - 512 the inventory's ON-API accessState is DISCONNECTED or
//     OUTMIGRATION (accesses.md: "orders should not be accepted").
//   - 200 otherwise.
package rules
