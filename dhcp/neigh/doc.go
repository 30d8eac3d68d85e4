// Package neigh looks up the MAC address of an IPv4 neighbour in the
// kernel's neighbour table (ARP cache) over rtnetlink: an RTM_GETNEIGH dump
// through mdlayher/netlink, never by parsing `ip neigh` output.
//
// accessd uses it for customers with static addresses who have no DHCP
// binding: the bounce URL maps the browser's IP to a MAC and the MAC to an
// access. Callers depend on the Lookuper interface; Table is the real
// implementation and Static a fake for tests.
//
// A dump answers the look-ups of the next second, and an address it lacks
// is asked of a new dump at most ten times a second: a flood of visitors
// without a binding costs the kernel a bounded number of dumps, not one a
// request.
//
// Entries in state INCOMPLETE or FAILED, and entries without a 6-byte link
// layer address, are ignored. When one IP has entries on several interfaces
// the most trustworthy state wins (permanent, then reachable, noarp, delay,
// probe, stale), then the lowest interface index.
package neigh
