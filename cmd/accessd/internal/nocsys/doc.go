// Package nocsys is accessd's NOC subsystem: the NOC's status pages
// (api/noc) served under /noc/ over the daemon's real data. Its Source is
// the noc.Source over the store (the inventory, services and orders) and
// the other subsystems' parts of the pages, which each gives in the pages'
// own types: the DHCP subsystem the bindings, the IP/MAC history of an
// access (the store's dhcp_history_access/ index), the unknown circuits
// and the searches by IP, MAC, circuit and Option 82; the SNMP subsystem
// the link of an access and the switches' poll health (nil when polling
// is off: those sections say "not served").
//
// Search by address is an in-memory index of every live access's address
// line, sorted, so a search by the start of a street is a binary search
// however many accesses there are. It follows the inventory's generation
// (checked every second by the subsystem's task, and at the first search):
// built from every access at start (about 0.2 s and 35 MB of garbage with
// 100,000), then kept current from the store's change feed, one changed
// access at a time (about 0.2 ms each; a change of more than 2,000
// accesses reads them all again). Every other method is an indexed
// look-up bounded by the limit the page passes.
//
// The pages are an API group: the process mounts them through api.New
// with the other groups (HTTP Basic for users with apis: [noc], off when
// no user has it).
package nocsys
