// Package invpull pulls the inventory from the KO's central system and
// applies each pull atomically with the import's validation: a Com Hem PI
// V1 export (GET /ko/api/1/, XML), a PI-API 2.3 or ON-API 2.6 accesses/
// endpoint (JSON), or a CSV Access Upload API 1.1 file by URL. It sends
// If-Modified-Since with the last Last-Modified (304: nothing to do) and
// authenticates with HTTP Basic or an api-key header, secrets read from
// files.
//
// # A pull is all or nothing
//
// The answer is parsed in full ([ParsePIV1], [ParseAccessesJSON], or the
// inventory's own CSV reader), every access normalised and validated as
// the inventory's import does; any problem refuses the whole pull with an
// *inventory.Problems naming line and field. The accesses then go to an
// [Applier] in one call (the daemon maps it to the store's Import, whose
// own checks — duplicate ids, Option82 and circuit clashes — refuse with a
// *store.ConflictError). Last-Modified is remembered only after the
// applier succeeded, so a refused pull is fetched again. [Puller.Status]
// and the metrics say what happened: last success, last error with its
// line and field, accesses applied.
//
// An incremental pull upserts what changed. A replace pull (Mode Replace;
// on a schedule with Config.FullInterval) asks for everything and makes it
// the whole inventory, so accesses the source no longer lists are removed.
// A replace that would remove every access (an empty answer, or ON-API's
// 404 "no available accesses") is refused. A CSV file by URL is always
// whole; it replaces only on a replace pull.
//
// # PI V1 XML
//
// Every element of <Access> maps to the field of the same meaning
// (AccessId→accessId, FiberConverter→coFiberConverter, CpeSwitch→
// coCpeSwitch, CpeRouter→coCpeRouter, the rest by name); problems name the
// element. <Count> must equal the number of <Entry> elements (a cut export
// is refused). Unknown elements are skipped and listed in the result.
//
// # PI-API 2.3 and ON-API 2.6 JSON
//
// Their accesses/ objects lack what the inventory requires: Option82 in
// both, Activatable and Sellable in both (PI-API has services[].connection,
// ON-API accessState). The mapping:
//
//   - Keys the format carries (PI-API: accessId, street*, postalCode, city,
//     countryCode, premisesType, mdu*, outlet, population, services,
//     coFiberConverter, coCpeSwitch, coCpeRouter; ON-API: the same address
//     keys, legacyAccessId, priceGroup, accessState, nationalAddressUUID)
//     replace the stored value; absent means empty, as both say an access
//     is always sent whole. services (PI-API), priceGroup and accessState
//     (ON-API) are required.
//   - Every other field of the access (option82, dhcpIdentifier, portSpeed,
//     media, iptv, rfof, and what the other format carries) keeps the value
//     the inventory holds, through [Lookup]. A source may send them too, as
//     the keys of accessd's own JSON form; then they win.
//   - An access the inventory does not hold needs option82 from the
//     source: otherwise the pull is refused with a problem saying so.
//   - PI-API activatable: YES when any service's connection is YES, else
//     the earliest connection date, else NO. sellable: kept; for a new
//     access the same as activatable (feasibility lists what may be sold).
//   - ON-API accessState CONNECTED: activatable and sellable kept when
//     already reached (YES or a date not after today), else YES.
//     DISCONNECTED and OUTMIGRATION: NO and NO. The others (PLANNED,
//     DEPLOYING, HOMESPASSED, INMIGRATION): activatable kept when it is a
//     future date, else NO; sellable kept when valid, else NO.
//   - Unknown keys are skipped and listed in the result; null is a problem
//     (both specifications forbid it); numbers are accepted for
//     streetNumber, postalCode and mduApartmentNumber (ON-API calls the
//     last a number) and kept as written, so 0901 must come as a string.
//
// A Lookup and the apply are separate steps: an access changed locally
// between them is overwritten by the pull, as the source is the master.
//
// # Metrics
//
// With the constant label source (Config.Name):
// accessd_invpull_pulls_total{result} (applied, not_modified, refused,
// auth, failed), accessd_invpull_accesses_total{change} (created, updated,
// unchanged, removed), accessd_invpull_last_success_timestamp_seconds.
package invpull
