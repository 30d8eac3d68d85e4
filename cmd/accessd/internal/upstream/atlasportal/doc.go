// Package atlasportal is the KO's client of Atlas's order portal,
// serviceguide_log (stadsnätsportalen): it reads the orders that end
// customers place in Tjänsteguiden, hands them to the local order engine,
// and keeps the portal's status of each order in step with what accessd
// really does.
//
//   - [Client] calls the portal: api_login (a hash valid 20 minutes,
//     renewed before it expires and once after a refusal), orders,
//     order_info, customer_info (only under the store customer-data
//     policy; never logged), set_status and add_message. XML is decoded
//     tolerantly. The portal documents no answer but api_login's: every
//     assumption about the others is in assumptions.go, and testdata/
//     holds golden answers written from them.
//   - [Follower] polls orders(date) from the last complete poll less a
//     day, skips what it has read in, and places each new order with the
//     [Engine], links it to the local order that already carries its id
//     (one order, never two: an order delivered when read was activated
//     directly through the activation API), or refuses it.
//   - [Transitions] turns a change of a local order into outbox entries
//     (received, waiting, active, delivered, cancelled with the reason),
//     which the store appends in the transaction of the change; [Sink]
//     delivers them through the outbox, never moving a status back and
//     never sending again a transition the portal acknowledged.
//
// [State] keeps, across restarts, the last poll's date and what is known
// of each portal order. Nothing here holds personal data except the
// [Customer] handed to the engine under the store policy, which prints
// and logs as a redaction; the API key ([Secret]) and the hash never
// appear in logs, errors or status. portaltest is a test portal that
// enforces the documentation and the assumptions; localtest has
// in-memory stand-ins for the engine and the state.
package atlasportal
