// Package remote holds what the upstream clients (cubit, spapi, invpull)
// share about talking to a peer over HTTP: secrets read from files, an
// HTTP client with an optional CA file and no redirects, bounded response
// bodies, and the classification of failures that a delivery engine acts
// on.
//
// # Classification
//
// Every error a client returns for a failed call is, or wraps, an *[Error].
// Its methods say what a caller should do:
//
//   - Auth() true: the peer refused our credentials (HTTP 401 or 403).
//     Retrying the same entry cannot help; pause the whole sink until an
//     operator fixes the key and resumes it.
//   - Permanent() true: the peer refused this one request for good (HTTP
//     400, 409, 413, 415 or 422, or the entry failed our own validation
//     before it was sent). Park the entry with its error; the others go on.
//   - both false: transient (no answer, a time-out, HTTP 404, 408, 429,
//     5xx, a redirect, a malformed answer). Retry with back-off.
//
// A caller outside this package tests the class through the methods, so it
// needs no import of this package:
//
//	var c interface{ Permanent() bool }
//	if errors.As(err, &c) && c.Permanent() { … }
//
// HTTP 404 counts as transient on purpose: an import endpoint that answers
// 404 is a wrong URL, which parking every entry would turn into data loss.
// Callers that read (a GET of one object) map 404 to their own not-found
// error first.
package remote
