// Package ingest is accessd's DHCP binding service: it takes the packets
// the sources read (relay copy, AF_PACKET snoop) and the rows of Kea's lease
// file, learns bindings (IP ⇔ MAC ⇔ access) from them, stores them, and
// answers the look-ups of the APIs, the Atlas engineer's bounce URL and
// accessctl.
//
// # Pipeline
//
//		source ─Push─► queue ─► processor ─► working set ─► writer ─► store
//		                (bounded,  (decode, profile,  (in memory)  (group commit)
//		                 drops      access, binding
//		                 counted)   machine)
//
//	  - Push copies the packets into a bounded queue (dhcp.queue_size
//	    packets; a byte arena of 512 bytes per slot) and never blocks: a
//	    packet that does not fit is dropped and counted
//	    (accessd_dhcp_dropped_packets_total), so a source's reader never
//	    waits for processing.
//	  - One processor goroutine decodes each packet (dhcp4, one reused
//	    Packet), decodes its Option 82 with the decoder profiles (circuit),
//	    matches the circuit to an access — by its rendered key as an
//	    Option82 text, else by its circuit-id/remote-id pair
//	    (lookup.MatchCircuit, the rule of the API look-ups too), through a
//	    cache that is dropped whenever the inventory or the profiles change
//	    — and applies the binding state machine (binding) to the working
//	    set. One goroutine means a client's packets are applied in arrival
//	    order. A circuit that matches no single access is never guessed:
//	    the packet's binding gets no access, and the circuit goes to a
//	    bounded list of unknown circuits (count, first/last seen, last MAC,
//	    reason), least recently seen evicted first, persisted in the store
//	    and loaded at start. When the key's access and the pair's access
//	    differ, the key wins (it is the configured rule) and a
//	    circuit-conflict event is recorded.
//	  - The working set holds every binding of the store in memory (loaded
//	    at start): the hot path never reads the store for a binding, and
//	    only real changes are written. A change of state, IP, access,
//	    circuit, interval or lease length is written within
//	    dhcp.commit_interval (default 20 ms) of the packet; a change of
//	    LastSeen (and giaddr) only, or an expiry moved later while the stored
//	    one is still at least two lazy intervals ahead, is written every
//	    LazyInterval (default 1 minute). Under a storm most packets are
//	    repeats that change nothing real, so this is what keeps the store
//	    writes proportional to real changes; the price is that after a
//	    crash LastSeen may be up to one lazy interval old (expiry never
//	    falls behind by more than that, and a renewal fixes it).
//	  - One writer commits everything pending in one transaction (one
//	    fsync) at most commit_interval after the first pending real change:
//	    group commit, never one fsync per packet. It numbers its commits
//	    (store meta dhcp_commit_seq; CommitSeq), so a test can tell exactly
//	    what was durable when the daemon was killed. A failed commit keeps
//	    its work pending and is retried.
//	  - The processor's sweep (every 5 s) ends bindings whose lease ran out,
//	    and hourly forgets ended bindings and unknown circuits older than
//	    dhcp.history_retention; the writer purges history and events older
//	    than that.
//
// Hostnames (option 12, Kea's hostname column) are personal data accessd
// has no use for: they are dropped before a binding is kept. Logs name
// accesses, circuits and relays; MACs and IPs only at debug level.
//
// # Answers
//
// AccessOfIP (the Atlas bounce URL: live binding, else neighbour table MAC
// → binding), BindingsOf and Leases (PI-API link clients, ON-API
// leaseinfo), LastOption82 (port_status dhcpoption), Resolver (option82
// and dhcplookup: package lookup's one resolver, with the service's
// profiles and its live circuits as the live step), History,
// UnknownCircuits. They read the working set (or, for history,
// the store) and never wait for the writer.
package ingest
