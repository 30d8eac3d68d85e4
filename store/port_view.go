package store

import "time"

// LinkState is the link of an access as the APIs answer it: the stored
// state of its port, judged by how fresh it is (snmp/linkstate makes it).
// A state the switch has not confirmed recently enough is UNKNOWN, never
// a stale UP.
type LinkState struct {
	AccessID string `json:"accessId"`
	// Switch and Port as the inventory names them; Address is the polled
	// address of the switch (host:port).
	Switch  string `json:"switch"`
	Port    string `json:"port"`
	Address string `json:"address,omitempty"`

	Link       Link      `json:"link"`
	Since      time.Time `json:"since,omitzero"`
	SinceExact bool      `json:"sinceExact"`
	SpeedMbps  uint64    `json:"speedMbps,omitempty"`
	Admin      string    `json:"admin,omitempty"` // ifAdminStatus: up, down, testing
	Oper       string    `json:"oper,omitempty"`  // ifOperStatus name
	// Confirmed is when the switch last confirmed the state.
	Confirmed time.Time `json:"confirmed,omitzero"`
	Source    string    `json:"source,omitempty"` // poll or trap
	// Reason says why Link is UNKNOWN in a word (empty otherwise), Cause
	// in a sentence for operators (it names switch addresses: not for
	// service providers).
	Reason UnknownReason `json:"reason,omitempty"`
	Cause  string        `json:"cause,omitempty"`
	// RetryAfter suggests when an UNKNOWN link may be known: the next poll.
	RetryAfter time.Duration `json:"-"`
}

// UnknownReason says why a link is UNKNOWN.
type UnknownReason string

// The reasons, in the order they are checked.
const (
	// NotPolled: the switch is not in the poller's list, or the port has
	// not been polled since accessd started.
	NotPolled UnknownReason = "not-polled"
	// Unreachable: the switch does not answer.
	Unreachable UnknownReason = "unreachable"
	// PortNotFound: the switch has no (single) interface of that name.
	PortNotFound UnknownReason = "port-not-found"
	// NoLinkInfo: ifOperStatus says nothing about the link (testing, unknown).
	NoLinkInfo UnknownReason = "no-link-info"
	// Stale: the switch has not confirmed the state for too long.
	Stale UnknownReason = "stale"
)

// AdminDown reports whether the port is administratively down.
func (l *LinkState) AdminDown() bool { return l.Admin == "down" }

// SwitchStatus is what the poller knows of a switch right now.
type SwitchStatus struct {
	Address          string    `json:"address"`
	Group            string    `json:"group"`
	Reachable        bool      `json:"reachable"`
	UnreachableSince time.Time `json:"unreachableSince,omitzero"`
	LastSeen         time.Time `json:"lastSeen,omitzero"`
	PolledAt         time.Time `json:"polledAt,omitzero"`
	Err              string    `json:"err,omitempty"`
	Boot             time.Time `json:"boot,omitzero"`
	Restarts         int       `json:"restarts,omitempty"`
	MaxRepetitions   int       `json:"maxRepetitions,omitempty"`
	LastCyclePackets int       `json:"lastCyclePackets"`
	LastCycleFull    bool      `json:"lastCycleFull"`
}

// PortReport is everything accessd knows about the port of an access, for
// accessctl port.
type PortReport struct {
	LinkState
	// Record is the stored state as the poller last reported it (nil:
	// never polled).
	Record *PortRecord `json:"record,omitempty"`
	// SwitchStatus is the switch now (nil: not polled since start).
	SwitchStatus *SwitchStatus `json:"switchStatus,omitempty"`
	Flaps        FlapCounts    `json:"flaps"`
	// FlapTimes are the flaps of the last day, oldest first.
	FlapTimes []time.Time `json:"flapTimes,omitempty"`
	// History, newest first.
	History []PortTransition `json:"history"`
	// Interval is the poll interval; Stale when a state not confirmed for
	// longer counts as unknown.
	Interval time.Duration `json:"interval"`
	Stale    time.Duration `json:"stale"`
}
