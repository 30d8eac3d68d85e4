// Package upstream is accessd's upstream subsystem: what accessd tells, or
// asks, the systems above it while it keeps answering locally. It wires
// the leaf packages beside it into one subsys.Parts:
//
//   - the durable outbox (outbox, on the store's Outbox view through
//     Storage): one outbox.Runner per configured sink, delivering at least
//     once, in order per key, with back-off, parking and pausing;
//   - the Atlas order portal (atlasportal): the follower that reads orders
//     from serviceguide_log and places them with the order engine (Engine
//     adapts activation.Engine; the portal's order id is the order's
//     AtlasRef.Order, so an order activated directly through the
//     activation API is linked, never duplicated), and the sink that keeps
//     the portal's statuses in step;
//   - Cubit (cubit): customers of orders kept under customer_data: store,
//     and the plants the JSON inventory carries;
//   - the providers' customer look-ups (spapi): accessctl customer, and
//     the order engine's fetch at activation (activation.CustomerCheck);
//   - the inventory pull (invpull), applied through the store's import.
//
// # Entries in the change's transaction
//
// New registers store.ChangeHooks: the store calls them inside every
// transaction that writes an order or an access, and they append the
// entries that change makes (produce.go) — atlasportal.Transitions for
// orders carrying an Atlas order id, a Cubit customer when an order with
// kept customer data is delivered, a Cubit plant when an access's plant
// changes. An entry is therefore durable exactly when its change is. Only
// configured sinks get entries; a sink dropped from the configuration
// keeps its waiting entries, shown as not configured.
//
// # Admin and status
//
// accessctl upstream shows each sink (lag, oldest age, last success, last
// error, paused and why, parked entries) with the portal's follower and
// the pull; upstream retry|pause|resume SINK and upstream parked SINK act
// on one; upstream verify cubit ID reads an object back from Cubit;
// customer ACCESSID asks the providers holding the access's services. No
// answer carries a secret, and the personal data of the last two is never
// logged.
package upstream
