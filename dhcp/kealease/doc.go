// Package kealease reads Kea's memfile lease file for DHCPv4
// (kea-leases4.csv) as a stream.
//
// # Format
//
// The first line is the header naming the columns; Kea 2.2 writes
//
//	address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname,state,user_context
//
// and later versions append pool_id. Columns are found by name, so their
// order and extra columns do not matter; address, hwaddr, valid_lifetime and
// expire are required. Kea escapes commas inside fields as "&#x2c" (in
// general "&#xHH"); fields are never quoted. A header line repeated later in
// the file (Kea rewrites the file on lease file cleanup) is skipped.
//
// expire is a unix time; cltt (the client's last transmission time) is
// expire - valid_lifetime. State 0 is default (leased), 1 declined, 2
// expired-reclaimed. A row with valid_lifetime 0 is a release (Kea writes
// the lease again with lifetime 0 when it deletes it).
//
// The relay information is read from user_context, in both forms:
//
//	Kea 2.2:  {"ISC":{"relay-agent-info":"0x0107726C2D646F776E"}}
//	Kea 2.3+: {"ISC":{"relay-agent-info":{"sub-options":"0x0107...","remote-id":"0x...","relay-id":"0x..."}}}
//
// In both, the hex is the option 82 value (sub-options without the 82/length
// header), as the lab's golden file shows.
//
// # Appends and errors
//
// The file is append-only between cleanups: the LAST row of an address
// wins. Reader yields every row in order; Latest folds a stream into the
// current lease per address.
//
// A bad row (wrong field count, unparsable field, bad user_context) does not
// stop the stream: Reader records a *RowError with its line number and
// column, counts it and goes on with the next row; the caller reports them.
// Only a missing or unusable header line and I/O errors stop the stream.
// A line longer than MaxLineBytes is a bad row too (skipped to its end).
package kealease
