// Package outbox is the delivery side of accessd's durable upstream outbox.
//
// Every change an upstream system must learn (an order's state for the
// Atlas portal, a customer or a plant for Cubit, …) becomes an [Entry],
// written by the store in the same transaction as the change. Each
// upstream system is a sink: a name, a cursor into the entries addressed
// to it, and a [Sink] that delivers one entry. A [Runner] per sink reads
// the entries after the sink's cursor a page at a time, hands them to the
// Sink and moves the cursor on. This package holds the contract the store
// implements ([Storage]), the Runner, and the error classes a Sink answers
// with; memstore is an in-memory Storage for tests and storagetest is the
// conformance suite every Storage must pass.
//
// # Guarantees
//
//   - At least once, in order per key. Entries of one key (an order id, a
//     customer number, a metering point id) reach the Sink in sequence
//     order, and an entry is handed over again until the Sink accepts it
//     or refuses it for good. The cursor moves durably once per page, in
//     the background while the next page is delivered; a restart
//     re-delivers what was delivered but not yet recorded (at most two
//     pages); Entry.IdempotencyKey lets the upstream, or the Sink, drop
//     repeats. With Config.Concurrency > 1, entries of different
//     keys are delivered in parallel lanes (a key always maps to the same
//     lane); with 1, the sink sees its entries in global sequence order.
//   - Errors are classified (see [Class]). A permanent refusal (an HTTP 400
//     with a body, a malformed entry) parks that entry with its error and
//     delivery goes on. An authentication refusal (401/403) pauses the
//     sink until an operator resumes or retries it: status and metrics say
//     so. Anything else is retried with exponential back-off and jitter up
//     to Config.Backoff.Max, for as long as it takes (days of outage).
//   - Bounded memory: the Runner holds one page (Config.PageSize entries)
//     at a time, never the queue.
//   - Bounded disk: when an append takes the outbox to its byte budget, the
//     Storage compacts: a pending entry that a later pending entry of the
//     same sink and key supersedes is dropped (the latest state wins),
//     oldest first, until the outbox is under the low-water mark
//     (90 % of the budget). Compacted entries are counted per sink
//     (Stats.Compacted, accessd_upstream_compacted_total); nothing else is
//     ever dropped. When nothing can be compacted the outbox grows over its
//     budget rather than lose a change, and says so (Usage.OverBudget).
//     A producer whose entries are not full states must give each entry its
//     own key, since compaction treats a key's latest entry as its state.
//   - Parked entries stay parked until retried ([Runner.Retry] requeues them
//     at the tail of the queue with their idempotency key unchanged), and
//     are never compacted: they are the operator's evidence.
//
// # Metrics
//
// A Runner registers, with the label sink, on the Registerer it is given:
//
//	accessd_upstream_lag_entries                      gauge   entries waiting for the sink
//	accessd_upstream_oldest_undelivered_age_seconds   gauge   age of the oldest waiting entry (0: none)
//	accessd_upstream_last_success_timestamp_seconds   gauge   unix time of the last delivery (0: none yet)
//	accessd_upstream_delivered_total                  counter entries the sink accepted
//	accessd_upstream_failures_total{class}            counter failed deliveries: transient, permanent, auth
//	accessd_upstream_parked_entries                   gauge   entries parked with an error
//	accessd_upstream_paused{reason}                   gauge   1 while paused: reason operator or auth
//	accessd_upstream_compacted_total                  counter pending entries dropped by compaction
//	accessd_upstream_queue_bytes                      gauge   bytes the sink's entries use (parked included)
//
// and [RegisterUsage] adds accessd_upstream_bytes and
// accessd_upstream_budget_bytes for the whole outbox.
package outbox
