package ifmib

import "time"

// TicksPerSecond is the rate of TimeTicks (hundredths of a second).
const TicksPerSecond = 100

// tick is the duration of one TimeTicks unit.
const tick = time.Second / TicksPerSecond

// wrapTicks is where 32-bit TimeTicks wrap to zero (about 497 days).
const wrapTicks = 1 << 32

// Ticks converts a TimeTicks difference into a duration.
func Ticks(n uint64) time.Duration { return time.Duration(n) * tick }

// Uptime is one sysUpTime reading and the wall-clock time its response
// arrived.
type Uptime struct {
	Ticks uint32
	At    time.Time
}

// Since turns an ifLastChange value into the wall-clock time the interface
// entered its current state, through sysUpTime read in the same response.
// wraps is how many times the agent's sysUpTime has wrapped since its last
// restart, as far as the caller knows (see [AgentClock]).
//
//   - lastChange ≤ sysUpTime: at − (sysUpTime − lastChange); exact.
//   - lastChange > sysUpTime and the agent is known to have wrapped: the
//     change was before the wrap: at − (sysUpTime + 2³² − lastChange); exact.
//   - lastChange = 0 (the state was entered before the agent's last
//     (re)initialisation, RFC 2863), or lastChange > sysUpTime without a
//     known wrap (a value from before an agent restart, or from before a
//     wrap we did not see): the agent's (re)initialisation time, which is
//     the latest the change can have happened; exact is false.
func Since(up Uptime, lastChange uint32, wraps uint32) (since time.Time, exact bool) {
	boot := up.At.Add(-Ticks(uint64(wraps)*wrapTicks + uint64(up.Ticks)))
	switch {
	case lastChange == 0:
		return boot, false
	case lastChange <= up.Ticks:
		return up.At.Add(-Ticks(uint64(up.Ticks - lastChange))), true
	case wraps > 0:
		return up.At.Add(-Ticks(uint64(up.Ticks) + wrapTicks - uint64(lastChange))), true
	}
	return boot, false
}

// Observation is what a new sysUpTime reading says about the agent.
type Observation uint8

// The observations.
const (
	// First is the first reading of this agent.
	First Observation = iota + 1
	// Continued: sysUpTime advanced about as much as the wall clock.
	Continued
	// Wrapped: sysUpTime passed 2³² and started again from zero.
	Wrapped
	// Restarted: sysUpTime went back (and not across 2³²), or is smaller
	// than the wall-clock time since the previous reading (the agent
	// booted after it, e.g. during an outage): the agent re-initialised.
	// ifIndex values may have changed and ifLastChange restarted from 0.
	Restarted
)

// String names the observation.
func (o Observation) String() string {
	switch o {
	case First:
		return "first"
	case Continued:
		return "continued"
	case Wrapped:
		return "wrapped"
	case Restarted:
		return "restarted"
	}
	return "invalid"
}

// AgentClock follows one agent's sysUpTime across polls. The zero value is
// ready to use. It is not safe for concurrent use (one switch goroutine
// owns it).
type AgentClock struct {
	last  Uptime
	have  bool
	wraps uint32
}

// slack is the tolerance of the comparisons between sysUpTime and the
// wall clock: 2 s plus 2 % of the time elapsed (agent clocks drift,
// responses take time).
func slack(elapsed time.Duration) uint64 {
	return uint64((2*time.Second + elapsed/50) / tick)
}

// Observe records a reading and classifies it against the previous one.
func (c *AgentClock) Observe(u Uptime) Observation {
	if !c.have {
		c.last, c.have, c.wraps = u, true, 0
		return First
	}
	prev := c.last
	c.last = u
	elapsed := max(u.At.Sub(prev.At), 0) // a wall clock stepped back counts as no time
	tol := slack(elapsed)
	cur := uint64(u.Ticks)
	if u.Ticks >= prev.Ticks {
		// Up for less time than passed since the last reading: it booted
		// after it. (An agent whose sysUpTime merely lags or stands still,
		// like a simulator's, is not restarting.)
		if cur+tol < uint64(elapsed/tick) {
			c.wraps = 0
			return Restarted
		}
		return Continued
	}
	// Went back: a wrap only if the wall clock says we crossed 2³².
	expected := uint64(prev.Ticks) + uint64(elapsed/tick)
	if wrapped := cur + wrapTicks; wrapped+tol >= expected && wrapped <= expected+tol {
		c.wraps++
		return Wrapped
	}
	c.wraps = 0
	return Restarted
}

// Wraps returns how many times sysUpTime wrapped since the agent's last
// restart, as far as this clock has seen.
func (c *AgentClock) Wraps() uint32 { return c.wraps }

// Last returns the last reading and whether there was one.
func (c *AgentClock) Last() (Uptime, bool) { return c.last, c.have }

// Boot returns the estimated wall-clock time of the agent's last
// (re)initialisation, or the zero time before the first reading.
func (c *AgentClock) Boot() time.Time {
	if !c.have {
		return time.Time{}
	}
	return c.last.At.Add(-Ticks(uint64(c.wraps)*wrapTicks + uint64(c.last.Ticks)))
}

// Since is [Since] with this clock's wrap count.
func (c *AgentClock) Since(up Uptime, lastChange uint32) (time.Time, bool) {
	return Since(up, lastChange, c.wraps)
}
