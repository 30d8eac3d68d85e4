package poller

import (
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/stadsnat/accessd/snmp/client"
	"github.com/stadsnat/accessd/snmp/ifmib"
	"github.com/stadsnat/accessd/snmp/portmatch"
)

// Switch is one switch to poll, as configuration and inventory describe
// it.
type Switch struct {
	// Address is the management address: "host" or "host:port" (port 161
	// by default). It is the switch's identity: the first word of the
	// inventory's Option82 text, or an snmp.switches entry.
	Address string
	// Group names the switch group: the metrics label, and where the
	// credentials and rewrites came from. Empty means "default".
	Group       string
	Credentials client.Credentials
	// Ports are the port names wanted, as the inventory writes them.
	Ports []string
	// Rewrites turn an inventory port name into the switch's name (see
	// portmatch.Find); usually the group's.
	Rewrites []portmatch.Rewrite
}

// Source says what produced a port state.
type Source string

// The sources.
const (
	SourcePoll Source = "poll"
	SourceTrap Source = "trap"
)

// PortState is the state of one wanted port.
type PortState struct {
	Switch string // the switch's normalized address (host:port)
	Group  string
	Port   string // the wanted name, as in Switch.Ports

	// IfIndex is the agent's current handle of the port (0 when not
	// matched); MatchedBy the column its name matched in.
	IfIndex   int
	MatchedBy portmatch.Field

	Admin ifmib.AdminStatus
	Oper  ifmib.OperStatus
	// Link is UP/DOWN from ifOperStatus (see ifmib.OperStatus.Link), or
	// UNKNOWN when the switch is unreachable, the port is not found, or
	// ifOperStatus says nothing about the link.
	Link      ifmib.Link
	SpeedMbps uint64
	// Since is when Link took its current value: from ifLastChange and
	// sysUpTime for UP/DOWN, the start of the first failed cycle for an
	// unreachable switch. SinceExact is false when the change happened
	// before the agent's last restart, so Since is only the latest it can
	// have been (see ifmib.Since). Since moving while Link stays the same
	// means an unseen flap between two polls.
	Since      time.Time
	SinceExact bool
	// PolledAt is when this state was last confirmed by an answer of the
	// switch (the freshness of the state); for an unreachable switch, the
	// time of the failed cycle.
	PolledAt time.Time
	Source   Source
	// Reachable is false when the switch did not answer.
	Reachable bool
	// Problem says why Link is UNKNOWN on a reachable switch (port not
	// found, ambiguous name), empty otherwise.
	Problem string
	// Removed is set once, when the port or its switch left the
	// configuration; the poller forgets it afterwards.
	Removed bool
}

// SwitchState is the state of one switch.
type SwitchState struct {
	Switch string // normalized address (host:port)
	Group  string
	// Reachable is true while the switch answers. UnreachableSince is the
	// start of the first failed cycle of the current outage; LastSeen the
	// last answer; Err the last error (empty when reachable).
	Reachable        bool
	UnreachableSince time.Time
	LastSeen         time.Time
	Err              string
	// PolledAt is the end of the last cycle; Boot the agent's estimated
	// start (from sysUpTime); Restarts counts agent restarts seen.
	PolledAt time.Time
	Boot     time.Time
	Restarts int
	// MaxRepetitions is the current GETBULK budget (varbinds asked per
	// request); LastCyclePackets how many request packets (retries
	// included) the last cycle sent; LastCycleFull whether it was a full
	// refresh.
	MaxRepetitions   int
	LastCyclePackets int
	LastCycleFull    bool
	Removed          bool
}

// Sink receives what the poller learns. Update is called from the
// switches' goroutines, concurrently for different switches, after every
// cycle and every trap-triggered read: with the switch's state and the
// ports whose state changed (every field but PolledAt compared; all wanted
// ports on the first cycle, when the switch turns unreachable or reachable
// again). It must be safe for concurrent use and return quickly: the
// switch's goroutine waits. Ports not in changed keep their last state,
// confirmed at SwitchState.PolledAt when Reachable.
type Sink interface {
	Update(sw SwitchState, changed []PortState)
}

// SinkFunc adapts a function to Sink.
type SinkFunc func(sw SwitchState, changed []PortState)

// Update calls f.
func (f SinkFunc) Update(sw SwitchState, changed []PortState) { f(sw, changed) }

// Options tune the poller. Start from DefaultOptions.
type Options struct {
	// Interval between the starts of two cycles of one switch.
	Interval time.Duration
	// FullEvery: every FullEvery-th cycle is a full refresh.
	FullEvery int
	// Timeout per request packet and Retries after a timeout: set on
	// every session explicitly.
	Timeout time.Duration
	Retries int
	// Concurrency bounds how many switches are polled at once.
	Concurrency int
	// MaxRepetitions is the starting GETBULK budget (varbinds asked per
	// request) of a switch; MaxRepetitionsLimit its ceiling.
	MaxRepetitions      int
	MaxRepetitionsLimit int
	// FastResponse: a walk whose responses all came faster than this may
	// grow the budget.
	FastResponse time.Duration

	// Dialer opens sessions (default client.Net{}: gosnmp over UDP).
	Dialer client.Dialer
	// Logger (default: discard).
	Logger *slog.Logger
	// Registerer receives the poller's metrics (nil: none).
	Registerer prometheus.Registerer
}

// DefaultOptions returns the defaults: 60 s interval, a full refresh
// every 10 cycles, 2 s timeout with 1 retry, 16 switches at once, budget
// 64 (ceiling 512), fast below 200 ms.
func DefaultOptions() Options {
	return Options{
		Interval:            60 * time.Second,
		FullEvery:           10,
		Timeout:             2 * time.Second,
		Retries:             1,
		Concurrency:         16,
		MaxRepetitions:      64,
		MaxRepetitionsLimit: 512,
		FastResponse:        200 * time.Millisecond,
	}
}
