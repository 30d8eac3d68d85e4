// Package linkstate joins the SNMP poller to the store and answers "what
// is the link of this access?".
//
//   - [Config.Plan] turns the inventory's switch ports (the Option82 texts
//     "SWITCH PORT", see store.AccessSwitchPort) and the explicitly
//     configured switches into the poller's switch list: each switch with
//     its own copy of its credentials (switch, else its group's, else the
//     default) and its group's port-name rewrites; inventory switches join
//     a group whose match (CIDR or name pattern) fits them. The plan also
//     maps each inventory switch name to the polled address.
//   - [Links] is the poller's Sink: it keeps every switch's freshness in
//     memory and hands port changes to the store's group-commit
//     PortWriter (an idle cycle writes nothing).
//   - [Links.Link] answers the link of an access in one read transaction
//     and judges its freshness: a port is UNKNOWN — never a stale UP —
//     when its switch does not answer, when it was not polled since
//     accessd started, or when its switch has not confirmed it for longer
//     than Options.StaleAfter. [Links.Report] adds history and flap
//     counts for accessctl.
package linkstate
