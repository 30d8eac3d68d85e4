// Package cubit pushes customers and plants (anlegg) to Cubit, the
// supervision system of a Norwegian power utility, with Cubit's upsert API
// ("API for kunde og anlegg"): POST /api/import/{environment}/customer and
// …/plant create or update, GET
// /api/customer/environment/{environment}/bynumber/{number} and GET
// /api/plant/{environment}/getDataForImport/{meteringPointId} read back.
// Every call carries the api-key header of the configured environment
// (test or prod). README.md beside this file records where the seed's
// examples are not valid JSON and what the client sends instead.
//
// # Shape checks and warnings
//
// [Rules.CheckCustomer] and [Rules.CheckPlant] check an object before it is
// sent: the seed's required fields, Number as 11 digits (a person) or 9
// (an organisation) or the format agreed with Cubit, an 18-digit
// meteringPointId, ISO dates, four-digit postal codes as strings, status
// values, WGS84 ranges, the names of the grid hierarchy. A failure is a
// *[ValidationError]: permanent, nothing is sent. Check digits —
// fødselsnummer (mod 11, two digits), organisasjonsnummer (mod 11, weights
// 3 2 7 6 5 4 3 2) and the metering point's GS1 digit — are only
// [Warning]s: returned, counted in accessd_cubit_check_digit_warnings_total
// and logged (without a customer's number), because the seed's own
// examples (22097312401, 951123123, 707057500026392734) fail them. With
// Config.Strict they refuse the object instead.
//
// # Errors
//
// Every error of a call answers Permanent() and Auth() (see package
// remote under upstream/internal, whose classification this is):
//
//   - Auth: Cubit answered 401 (the api-key missing or unknown) or 403.
//     The sink should pause until the key is fixed.
//   - Permanent: Cubit answered 400 (a key of the other environment, or a
//     body it refuses, e.g. a connectedDate moved later), 409, 413, 415 or
//     422; or the object failed the shape checks, or the outbox payload is
//     not a Customer or Plant. Park the entry with its error.
//   - Neither: no answer, a time-out, 404, 429, 5xx. Retry.
//
// The GET calls answer [ErrNotFound] for 404.
//
// # Personal data
//
// Customers are personal data. The client never logs a customer's fields or
// Number, nor the api-key; errors quote no personal value and fold any
// run of nine or more digits in Cubit's answers. [Verification] holds the
// stored object for accessctl's output and must not be logged.
//
// # Metrics
//
//   - accessd_cubit_check_digit_warnings_total{check} — check is
//     fodselsnummer, organisasjonsnummer or gsrn.
//   - accessd_cubit_calls_total{call,result} — call is customer_upsert,
//     plant_upsert, customer_get or plant_get; result is ok, invalid,
//     permanent, auth, transient or not_found.
package cubit
