package binding

import (
	"net/netip"
	"strconv"
	"time"

	"github.com/stadsnat/accessd/dhcp/hwaddr"
)

// Source is where an observation came from.
type Source uint8

// Sources.
const (
	SourceRelay Source = iota + 1 // relay copy: this box is an extra DHCP server address
	SourceSnoop                   // AF_PACKET on the DHCP server's box: sees replies too
	SourceKea                     // Kea's lease file
)

var sourceNames = [...]string{"", "relay", "snoop", "kea"}

func (s Source) String() string {
	if int(s) < len(sourceNames) && s != 0 {
		return sourceNames[s]
	}
	return "source(" + strconv.Itoa(int(s)) + ")"
}

// State of a binding.
type State uint8

// States (see the package documentation).
const (
	Tentative State = iota + 1
	Bound
	Released
	Expired
	Declined
)

var stateNames = [...]string{"", "tentative", "bound", "released", "expired", "declined"}

func (s State) String() string {
	if int(s) < len(stateNames) && s != 0 {
		return stateNames[s]
	}
	return "state(" + strconv.Itoa(int(s)) + ")"
}

// Active reports tentative or bound.
func (s State) Active() bool { return s == Tentative || s == Bound }

// Kind is what was observed.
type Kind uint8

// Kinds of observation: DHCP messages (relay, snoop) and Kea rows.
const (
	Discover Kind = iota + 1
	Offer
	Request
	Decline
	Ack
	Nak
	Release
	Inform
	LeaseActive    // Kea row, state default, lifetime > 0
	LeaseReleased  // Kea row with valid_lifetime 0
	LeaseReclaimed // Kea row in state expired-reclaimed
	LeaseDeclined  // Kea row in state declined
)

var kindNames = [...]string{"", "discover", "offer", "request", "decline", "ack", "nak", "release", "inform",
	"lease-active", "lease-released", "lease-reclaimed", "lease-declined"}

func (k Kind) String() string {
	if int(k) < len(kindNames) && k != 0 {
		return kindNames[k]
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// Observation is one fact about a client, from a packet or a Kea row.
type Observation struct {
	Source Source
	Kind   Kind
	Time   time.Time // when seen (Kea: cltt)
	MAC    hwaddr.MAC
	// Addresses from the packet (invalid or 0.0.0.0 when absent).
	CIAddr      netip.Addr
	YIAddr      netip.Addr
	RequestedIP netip.Addr // option 50
	ServerID    netip.Addr // option 54
	// LeaseTime is option 51 (ACK) or Kea's valid_lifetime; 0 when unknown.
	LeaseTime time.Duration
	// Expire is Kea's lease end (zero for packets).
	Expire time.Time
	// Access is the access the circuit matched, "" when unknown.
	Access string
	// Circuit is the circuit key, "" when the packet had no option 82 (or
	// one that did not decode).
	Circuit string
	// Option82 reports that the packet carried an option 82, decodable or
	// not: a relay (or a snooping switch) put it there.
	Option82 bool
	GIAddr   netip.Addr
	Hostname string // personal data: never log
}

// Binding is the state of one client (MAC).
type Binding struct {
	MAC      hwaddr.MAC
	IP       netip.Addr
	State    State
	Access   string // "" unknown
	Circuit  string
	GIAddr   netip.Addr
	Hostname string
	// FirstSeen is the first observation of this MAC; LastSeen the latest.
	FirstSeen time.Time
	LastSeen  time.Time
	// Since starts the current history interval (IP, MAC, access); for an
	// ended binding, Ended is when it ended.
	Since time.Time
	Ended time.Time
	// Expires is when an active binding lapses (Sweep).
	Expires time.Time
	// LeaseTime is the last lease length learnt (ACK option 51, Kea).
	LeaseTime time.Duration
	// Confirmed reports that the current interval reached bound.
	Confirmed bool
	// Source is the source of the last state change.
	Source Source
}

// EventKind names an event.
type EventKind uint8

// Events (see the package documentation).
const (
	Started EventKind = iota + 1
	Confirmed
	IPChanged
	MACMoved
	IPTakenOver
	IPClaimed
	Ended
)

var eventNames = [...]string{"", "started", "confirmed", "ip-changed", "mac-moved", "ip-taken-over", "ip-claimed", "ended"}

func (k EventKind) String() string {
	if int(k) < len(eventNames) && k != 0 {
		return eventNames[k]
	}
	return "event(" + strconv.Itoa(int(k)) + ")"
}

// Event is something the NOC or the metrics may want to know.
type Event struct {
	Kind   EventKind
	Time   time.Time
	MAC    hwaddr.MAC
	IP     netip.Addr
	Access string
	// PrevAccess (mac-moved), PrevIP (ip-changed), PrevMAC (ip-taken-over,
	// ip-claimed: the holder) describe what was before.
	PrevAccess string
	PrevIP     netip.Addr
	PrevMAC    hwaddr.MAC
	// State is the end state of an ended event.
	State State
}

// Interval is one closed stretch of history: MAC held IP on Access.
type Interval struct {
	IP        netip.Addr
	MAC       hwaddr.MAC
	Access    string
	Circuit   string
	From, To  time.Time
	Confirmed bool // it reached bound
}

// Result is what Apply and Sweep return.
type Result struct {
	// Binding is the client's new binding; nil when there is none (an
	// unknown client's DISCOVER, say).
	Binding *Binding
	// Changed reports a change beyond LastSeen/GIAddr/Hostname (state, IP,
	// access, circuit, expiry): what the store must index and log.
	Changed bool
	// Displaced is the previous holder of the IP, ended by a take-over.
	Displaced *Binding
	Events    []Event
	Closed    []Interval
	// Refused reports a RELEASE or DECLINE that named the binding's MAC and
	// IP but did not come through its circuit (see the package
	// documentation): the binding is returned unchanged.
	Refused bool
}
