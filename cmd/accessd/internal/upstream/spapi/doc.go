// Package spapi is the KO's client of the service provider's side of
// PI-API 2.3 ("TL API"), where the KO is the client and the service
// provider (SP) the server: GET {root}access/{accessId} (Kundinformation
// för Access: the end customer of each service on an access) and GET
// {root}services/?spReference=… (Sökning efter beställda tjänster: the
// services the SP holds under one spReference, as line-delimited JSON).
// {root} is the SP's API root, e.g. https://sp.example/api/2.3/; calls
// authenticate with HTTP Basic (misc.md) and may trust a configured CA.
//
// # Personal data
//
// What these calls answer is personal data the KO must not keep: nothing in
// this package stores it, and nothing logs it at any level. [Customer]
// formats and logs itself as "[redacted]"; errors name services, fields and
// lines, never a value. accessctl prints the answer from the fields.
//
// # At activation (Netadmin's mode)
//
// Per SP, Config.FetchAtActivation makes [Client.CustomerForActivation]
// (or [Set.CheckActivation]) fetch the customer when an order is activated
// and refuse the order with a *[RefusalError] whose Cause is fit for the
// order's error body when the SP cannot answer: no answer, an error, no
// such service, or a customer without a name.
//
// # Errors
//
// A failed call is, or wraps, an error with Permanent() and Auth() methods
// (package remote under upstream/internal): 401/403 are Auth, 400-class
// refusals Permanent, the rest transient. 404 is [ErrNotFound]: the SP
// knows no such access. A malformed answer is a *[FormatError] naming the
// service or line and the field.
//
// # Metrics
//
//   - accessd_spapi_calls_total{sp,call,result}: call is access or
//     services; result is ok, not_found, malformed, auth, permanent or
//     transient.
//   - accessd_spapi_activation_refusals_total{sp}: orders refused because
//     the SP could not give the customer.
package spapi
