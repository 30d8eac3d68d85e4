package store

// The views of the domains (see "Domains" in doc.go). A view is a value
// holding the one *DB: views share its bbolt handle, its write lock and
// its transactions, so a domain may read another's buckets inside its own
// transaction (an order checks its access), while each subsystem is
// handed only its own view and so only its own methods.
//
// # Adding a domain
//
// A new domain (the upstream outbox was the first, the cluster the
// second) gets:
//
//  1. its persisted forms and bucket names in its own files, importing
//     nothing from dhcp/, snmp/ or api/ (the domain packages convert at
//     their edge, as dhcp/ingest does with binding_types.go);
//  2. a migration that creates its buckets, appended to migrations() in
//     migrations.go, with its test in migrations_test.go;
//  3. a view type below and its accessor on *DB, with methods that run in
//     v.db.view (read) or v.db.update (write, serialised with the change
//     stamps);
//  4. its part of the bucket tree in doc.go, every index as "maps: X ⇒ Y";
//  5. its values written and read through the record codec (codec.go), so
//     they carry their checksum: see "Adding a record type" in doc.go.

// Inventory is the view of the access inventory: the accesses, their
// lookup indexes, their change feed and tombstones.
type Inventory struct{ db *DB }

// Inventory returns the view of the access inventory.
func (d *DB) Inventory() Inventory { return Inventory{d} }

// Bindings is the view of the DHCP domain: bindings, IP history, binding
// events, unknown circuits and the last Option 82 per access.
type Bindings struct{ db *DB }

// Bindings returns the view of the DHCP bindings.
func (d *DB) Bindings() Bindings { return Bindings{d} }

// Ports is the view of the SNMP domain: the link state and history of the
// polled switch ports, and the ports the inventory names.
type Ports struct{ db *DB }

// Ports returns the view of the port link states.
func (d *DB) Ports() Ports { return Ports{d} }

// Orders is the view of the order domain: orders, active services and
// their change log, read and written in OrderTx transactions.
type Orders struct{ db *DB }

// Orders returns the view of orders and services.
func (d *DB) Orders() Orders { return Orders{d} }

// ReadOnly reports whether the store refuses writes for now (a full
// disk), and why: the order engine waits meanwhile.
func (ov Orders) ReadOnly() (string, bool) {
	reason, _, ro := ov.db.ReadOnly()
	return reason, ro
}

// Changes is the view of the change log of accesses, orders and
// subscriptions (written by the other domains in their own transactions):
// ON-API's events and its retention.
type Changes struct{ db *DB }

// Changes returns the view of the change log.
func (d *DB) Changes() Changes { return Changes{d} }
