package admin

import "time"

// Requests of the SNMP subsystem.
const (
	// PathPort+ACCESS → PortReport.
	PathPort = "/v1/ports/"
	// PathSwitches → SwitchList.
	PathSwitches = "/v1/switches"
	// POST PathPoll[?full=1] → PollResult, once every switch is polled.
	PathPoll = "/v1/poll"
)

// Link states.
const (
	LinkUp      = "UP"
	LinkDown    = "DOWN"
	LinkUnknown = "UNKNOWN"
)

// PortReport is everything accessd knows about the port of an access.
type PortReport struct {
	AccessID string `json:"accessId"`
	// Switch and Port as the inventory names them; Address is the polled
	// address of the switch (host:port).
	Switch     string    `json:"switch"`
	Port       string    `json:"port"`
	Address    string    `json:"address,omitempty"`
	Link       string    `json:"link"` // UP, DOWN or UNKNOWN
	Since      time.Time `json:"since,omitzero"`
	SinceExact bool      `json:"sinceExact"`
	SpeedMbps  uint64    `json:"speedMbps,omitempty"`
	Admin      string    `json:"admin,omitempty"` // ifAdminStatus: up, down, testing
	Oper       string    `json:"oper,omitempty"`  // ifOperStatus name
	Confirmed  time.Time `json:"confirmed,omitzero"`
	Source     string    `json:"source,omitempty"` // poll or trap
	// Reason says why Link is UNKNOWN in a word, Cause in a sentence.
	Reason string `json:"reason,omitempty"`
	Cause  string `json:"cause,omitempty"`
	// Record is the stored state as the poller last reported it (nil:
	// never polled).
	Record *PortRecord `json:"record,omitempty"`
	// SwitchStatus is the switch now (nil: not polled since start).
	SwitchStatus *SwitchStatus `json:"switchStatus,omitempty"`
	Flaps        FlapCounts    `json:"flaps"`
	// History, newest first.
	History []PortTransition `json:"history"`
	// Interval is the poll interval; Stale when a state not confirmed for
	// longer counts as unknown.
	Interval time.Duration `json:"interval"`
	Stale    time.Duration `json:"stale"`
}

// PortRecord is what the store keeps of one port.
type PortRecord struct {
	Switch     string    `json:"switch"`
	Port       string    `json:"port"`
	Group      string    `json:"group,omitempty"`
	IfIndex    int       `json:"ifIndex,omitempty"`
	MatchedBy  string    `json:"matchedBy,omitempty"` // ifName, ifDescr or ifAlias
	Admin      string    `json:"admin,omitempty"`
	Oper       string    `json:"oper,omitempty"`
	Link       string    `json:"link"`
	SpeedMbps  uint64    `json:"speedMbps,omitempty"`
	Since      time.Time `json:"since"`
	SinceExact bool      `json:"sinceExact"`
	PolledAt   time.Time `json:"polledAt"`
	Source     string    `json:"source,omitempty"`
	Reachable  bool      `json:"reachable"`
	Problem    string    `json:"problem,omitempty"`
	Stored     time.Time `json:"stored"`
	Known      string    `json:"known,omitempty"`
	KnownSince time.Time `json:"knownSince,omitzero"`
}

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

// FlapCounts are the flaps of a port over the last hour and day; AtLeast:
// the counts are lower bounds.
type FlapCounts struct {
	Hour    int  `json:"hour"`
	Day     int  `json:"day"`
	AtLeast bool `json:"atLeast,omitempty"`
}

// PortTransition is one entry of a port's history.
type PortTransition struct {
	At         time.Time `json:"at"`
	Since      time.Time `json:"since"`
	SinceExact bool      `json:"sinceExact"`
	From       string    `json:"from,omitempty"`
	Link       string    `json:"link"`
	Admin      string    `json:"admin,omitempty"`
	Oper       string    `json:"oper,omitempty"`
	SpeedMbps  uint64    `json:"speedMbps,omitempty"`
	Source     string    `json:"source,omitempty"`
	Problem    string    `json:"problem,omitempty"`
	Flap       bool      `json:"flap,omitempty"`
}

// SwitchList is GET /v1/switches.
type SwitchList struct {
	Switches []SwitchStatus `json:"switches"`
	Problems []string       `json:"problems"`
}

// PollResult is POST /v1/poll.
type PollResult struct {
	Full   bool            `json:"full"`
	Millis int64           `json:"millis"`
	Writer PortWriterStats `json:"writer"`
}

// PortWriterStats count what the port writer did.
type PortWriterStats struct {
	Queued      int    `json:"queued"`
	Batches     uint64 `json:"batches"`
	Updates     uint64 `json:"updates"`
	Removed     uint64 `json:"removed"`
	Transitions uint64 `json:"transitions"`
	Flaps       uint64 `json:"flaps"`
	Failures    uint64 `json:"failures"`
}
