package noc

import (
	"context"
	"errors"
	"net/netip"
	"time"
)

// Source is everything the NOC pages read. The daemon implements it over
// the store and its subsystems; the pages call one method per section, and
// every method must be an indexed look-up bounded by the limit it gets
// (the pages never list everything), so a page answers in well under 20 ms
// with 100,000 accesses.
//
// Errors: a method returns ErrNotFound (wrapped) for an access that does
// not exist or was removed, and ErrNotServed (wrapped) when the subsystem
// behind it is off (SNMP polling, DHCP, orders); the page then says so in
// that section instead of failing. Any other error is a 500 and is logged
// by the handler, so an error must never carry an IP or MAC address.
type Source interface {
	// Access returns the inventory entry of a live access.
	Access(ctx context.Context, id string) (Access, error)
	// Link returns the link of the access's switch port, judged by how
	// fresh it is (a state not confirmed recently is UNKNOWN), with at
	// most limit transitions, newest first, the flap counts and the flap
	// times of the last 24 hours. ErrNoPort when the inventory names no
	// switch port.
	Link(ctx context.Context, id string, limit int) (Link, error)
	// Bindings returns the access's active DHCP bindings (tentative or
	// bound), newest Since first.
	Bindings(ctx context.Context, id string) ([]Binding, error)
	// History returns the IP/MAC intervals seen on the access, newest
	// first, at most limit; more reports that older ones exist.
	History(ctx context.Context, id string, limit int) (ivs []Interval, more bool, err error)
	// Services returns the services active on the access.
	Services(ctx context.Context, id string) ([]Service, error)
	// Orders returns the access's orders, newest first, at most limit,
	// each with its newest eventLimit events at most, listed oldest first
	// (Order.MoreEvents: older ones exist); more reports that older
	// orders exist.
	Orders(ctx context.Context, id string, limit, eventLimit int) (orders []Order, more bool, err error)

	// Search looks up what q names. Finding nothing is not an error: the
	// Result is empty and its Note says why.
	Search(ctx context.Context, q Query) (Result, error)

	// Switches returns the page of polled switches q asks for and the
	// totals over all of them.
	Switches(ctx context.Context, q SwitchQuery) (SwitchPage, error)
	// UnknownCircuits returns the circuits seen in DHCP that match no
	// single access, most recently seen first, from offset, at most limit,
	// and how many there are in all.
	UnknownCircuits(ctx context.Context, offset, limit int) (cs []UnknownCircuit, total int, err error)
}

// Errors a Source returns (wrapped).
var (
	// ErrNotFound: no such (live) access.
	ErrNotFound = errors.New("not found")
	// ErrNoPort: the access's inventory entry names no switch port.
	ErrNoPort = errors.New("names no switch port")
	// ErrNotServed: the subsystem behind the call is off on this system.
	ErrNotServed = errors.New("not served on this system")
)

// Access is an access's inventory entry, as the NOC sees it: the premises
// and the technical fields. Nothing about the customer is in it.
type Access struct {
	ID       string
	LegacyID string
	// The premises' address.
	StreetName    string
	StreetNumber  string
	StreetLittera string
	PostalCode    string
	City          string
	CountryCode   string
	PremisesType  string // SFU, MDU, …
	Apartment     string // MDU apartment number
	Distinguisher string // MDU distinguisher
	Outlet        string
	Population    string

	Activatable string // YES, NO, …
	Sellable    string
	AccessState string
	Media       string
	// PortSpeedMbps is the speed the inventory gives the port (0: none).
	PortSpeedMbps int
	IPTV          bool
	RFoF          bool

	FiberConverter string
	CPESwitch      string
	CPERouter      string

	// Option82 is the inventory's Option82 text ("SWITCH PORT"); RemoteID
	// and CircuitID its dhcpIdentifier.
	Option82  string
	RemoteID  string
	CircuitID string
	// LastOption82 is the upper-case hex of the last Option 82 seen on the
	// access in DHCP ("" none) and LastOption82Seen when.
	LastOption82     string
	LastOption82Seen time.Time

	Modified time.Time // the inventory's last change of the entry
}

// The link states.
const (
	LinkUp      = "UP"
	LinkDown    = "DOWN"
	LinkUnknown = "UNKNOWN"
)

// Link is the link of an access's switch port.
type Link struct {
	// Switch and Port as the inventory names them; Address is the polled
	// address of the switch (host:port, "" when the switch is not polled).
	Switch  string
	Port    string
	Address string

	State      string    // LinkUp, LinkDown or LinkUnknown
	Since      time.Time // when State took its value (zero: unknown)
	SinceExact bool      // false: Since is only the latest it can have been
	SpeedMbps  uint64    // while up; 0 unknown
	Admin      string    // ifAdminStatus: up, down, testing
	Oper       string    // ifOperStatus name
	Confirmed  time.Time // when the switch last confirmed the state
	Source     string    // poll or trap
	// Reason says why State is UNKNOWN in a word, Cause in a sentence.
	Reason string
	Cause  string

	Flaps Flaps
	// FlapTimes are the flaps of the last 24 hours, oldest first.
	FlapTimes []time.Time
	// Transitions, newest first.
	Transitions []Transition
}

// Flaps are the flaps of a port over the last hour and day.
type Flaps struct {
	Hour, Day int
	// AtLeast: more flaps than could be remembered; lower bounds.
	AtLeast bool
}

// Transition is one change of a port: its link, admin status, speed or
// problem changed, or the link flapped between two reads.
type Transition struct {
	At         time.Time // when accessd learnt it
	Since      time.Time // when it happened, by the switch's clock
	SinceExact bool
	From       string // the link before ("" the first state seen)
	To         string // the link after
	Admin      string
	Oper       string
	SpeedMbps  uint64
	Source     string
	Problem    string
	Flap       bool
}

// Binding is one DHCP binding: a client (MAC) and its address.
type Binding struct {
	MAC       string     // lower-case, colon-separated
	IP        netip.Addr // invalid: none yet
	State     string     // tentative, bound, released, expired, declined
	Access    string     // "" when its circuit matches no access
	Circuit   string     // the circuit key
	GIAddr    netip.Addr // the relay
	FirstSeen time.Time
	LastSeen  time.Time
	Since     time.Time // start of the current interval
	Expires   time.Time
	Confirmed bool   // the current interval reached bound
	Source    string // relay, snoop or kea
}

// Interval is one stretch of time an IP was held by a MAC.
type Interval struct {
	IP        netip.Addr
	MAC       string
	Access    string
	Circuit   string
	From      time.Time
	To        time.Time // zero: still held
	Confirmed bool
}

// Service is a service active on an access.
type Service struct {
	SubscriptionID string
	UID            string // the catalogue UID
	Name           string
	Type           string
	Owner          string // the service provider (user name) or "atlas"
	Origin         string // the channel of the order
	Activated      string // YYYY-MM-DD
	Commitment     string
	Release        string
	OrderID        string
	Since          time.Time
	EquipmentMACs  []string
}

// Order is an activation or deactivation and its events. It has no field
// for the customer data an order may carry: the NOC is not entitled to it.
type Order struct {
	ID             string
	Owner          string
	Channel        string
	Service        string // the catalogue UID
	Operation      string // ACTIVATE, DEACTIVATE
	State          string // RECEIVED, IN_PROGRESS, DONE_SUCCESS, DONE_FAILED
	Message        string
	SubscriptionID string
	Attempts       int
	Due            time.Time
	Created        time.Time
	Updated        time.Time
	Events         []OrderEvent
	// MoreEvents: older events exist than those listed.
	MoreEvents bool
}

// OrderEvent is one entry of an order's change log.
type OrderEvent struct {
	Time    time.Time
	Kind    string // order, service-started, service-ended, service-changed
	State   string
	Message string
}

// Kind is what a search value is.
type Kind string

// The kinds of search. KindAuto is only what the form sends: the page
// resolves it to the others before it asks the Source.
const (
	KindAuto     Kind = ""
	KindAccess   Kind = "access"   // an AccessId
	KindAddress  Kind = "address"  // a street address, or its start
	KindIP       Kind = "ip"       // an IPv4 or IPv6 address
	KindMAC      Kind = "mac"      // a client MAC
	KindOption82 Kind = "option82" // Option 82 TLVs in hex
	KindCircuit  Kind = "circuit"  // a circuit key ("SWITCH PORT")
)

// Query is one search, already parsed and validated by the page.
type Query struct {
	Kind Kind
	// Text is the value as typed, trimmed (KindAccess, KindAddress,
	// KindCircuit).
	Text string
	// IP for KindIP.
	IP netip.Addr
	// MAC for KindMAC, lower-case and colon-separated.
	MAC string
	// Option82 for KindOption82: the TLVs ("52 LL …"), decoded from hex and
	// checked to be well-formed TLVs.
	Option82 []byte
	// Limit bounds Result.Accesses.
	Limit int
}

// Result is what a search found.
type Result struct {
	// Accesses the value leads to, at most Query.Limit; More: there are
	// more.
	Accesses []AccessRef
	More     bool
	// Note says how the accesses were found, or why none was.
	Note string
	// Bindings the value names (IP, MAC, circuit, Option 82).
	Bindings []Binding
	// Intervals: for an IP, who held it, newest first (bounded by the
	// Source).
	Intervals []Interval
	// Unknown: the value's entries in the unknown-circuit list.
	Unknown []UnknownCircuit
}

// AccessRef is an access in a list.
type AccessRef struct {
	ID      string
	Address string // one line: street, number, littera, apartment, city
	Switch  string
	Port    string
}

// SwitchQuery asks for a page of switches.
type SwitchQuery struct {
	// Trouble: only unreachable switches and those with UNKNOWN ports.
	Trouble bool
	Offset  int
	Limit   int
}

// SwitchPage is a page of switches, by address, and totals over all.
type SwitchPage struct {
	Switches []Switch
	// Total is how many switches the query matches.
	Total int
	// Summary is over every polled switch.
	Summary SwitchSummary
	// Problems are the inventory's switches that cannot be polled, and
	// why (at most Limit); ProblemsTotal how many there are.
	Problems      []string
	ProblemsTotal int
}

// SwitchSummary counts over every polled switch.
type SwitchSummary struct {
	Switches, Unreachable            int
	PortsUp, PortsDown, PortsUnknown int
	Interval                         time.Duration // the poll interval (0: unknown)
	PacketsLastCycle                 int           // over every switch
}

// Switch is the poll health of one switch.
type Switch struct {
	Address string   // polled address, host:port
	Names   []string // the inventory names that map to it
	Group   string

	Reachable        bool
	UnreachableSince time.Time
	LastSeen         time.Time // its last answer
	PolledAt         time.Time // the end of its last poll
	Err              string    // the last poll's error
	Boot             time.Time
	Restarts         int
	MaxRepetitions   int
	PacketsLastCycle int
	LastCycleFull    bool

	PortsUp, PortsDown, PortsUnknown int
}

// UnknownCircuit is a circuit seen in DHCP that matches no single access.
type UnknownCircuit struct {
	Key       string // the circuit key, or "hex:…" when undecodable
	Reason    string // no access, ambiguous, undecodable: …
	Profile   string
	RemoteID  string
	CircuitID string
	GIAddr    netip.Addr
	Option82  string // upper-case hex
	Count     uint64
	FirstSeen time.Time
	LastSeen  time.Time
	LastMAC   string
}
