package ifmib_test

import (
	"testing"
	"time"

	"github.com/stadsnat/accessd/snmp/ifmib"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func TestSince(t *testing.T) {
	const wrap = 1 << 32
	tests := []struct {
		name       string
		up         ifmib.Uptime
		lastChange uint32
		wraps      uint32
		want       time.Time
		exact      bool
	}{
		{"normal", ifmib.Uptime{Ticks: 10000, At: t0}, 4000, 0, t0.Add(-60 * time.Second), true},
		{"changed at this tick", ifmib.Uptime{Ticks: 10000, At: t0}, 10000, 0, t0, true},
		{"zero = before agent start", ifmib.Uptime{Ticks: 10000, At: t0}, 0, 0, t0.Add(-100 * time.Second), false},
		{"from before restart", ifmib.Uptime{Ticks: 200, At: t0}, 5000, 0, t0.Add(-2 * time.Second), false},
		{"before a known wrap", ifmib.Uptime{Ticks: 100, At: t0}, wrap - 100, 1, t0.Add(-2 * time.Second), true},
		{"after a known wrap", ifmib.Uptime{Ticks: 500, At: t0}, 300, 1, t0.Add(-2 * time.Second), true},
		{"zero after a wrap: boot", ifmib.Uptime{Ticks: 0, At: t0}, 0, 1, t0.Add(-ifmib.Ticks(wrap)), false},
	}
	for _, tt := range tests {
		got, exact := ifmib.Since(tt.up, tt.lastChange, tt.wraps)
		if !got.Equal(tt.want) || exact != tt.exact {
			t.Errorf("%s: Since = %v, %v; want %v, %v", tt.name, got, exact, tt.want, tt.exact)
		}
	}
}

func TestAgentClock(t *testing.T) {
	const wrap = 1 << 32
	type step struct {
		ticks uint32
		after time.Duration // wall time since the previous reading
		want  ifmib.Observation
		wraps uint32
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"steady", []step{{1000, 0, ifmib.First, 0}, {7000, time.Minute, ifmib.Continued, 0}, {13001, time.Minute, ifmib.Continued, 0}}},
		{"slow response within slack", []step{{1000, 0, ifmib.First, 0}, {6800, time.Minute, ifmib.Continued, 0}}},
		{"agent clock fast", []step{{1000, 0, ifmib.First, 0}, {9000, time.Minute, ifmib.Continued, 0}}},
		{"went back: restart", []step{{100000, 0, ifmib.First, 0}, {300, time.Minute, ifmib.Restarted, 0}}},
		{"advanced too little: restarted while we were away", []step{
			{1000, 0, ifmib.First, 0}, {2000, time.Hour, ifmib.Restarted, 0}}},
		{"wrap", []step{{wrap - 3000, 0, ifmib.First, 0}, {3000, time.Minute, ifmib.Wrapped, 1}, {9000, time.Minute, ifmib.Continued, 1}}},
		{"back near the top is not a wrap", []step{{wrap - 3000, 0, ifmib.First, 0}, {wrap - 9000, time.Minute, ifmib.Restarted, 0}}},
		{"restart after wrap forgets wraps", []step{{wrap - 3000, 0, ifmib.First, 0}, {3000, time.Minute, ifmib.Wrapped, 1}, {50, time.Minute, ifmib.Restarted, 0}}},
		{"frozen sysUpTime (a simulator) is no restart", []step{{8640000, 0, ifmib.First, 0}, {8640000, time.Minute, ifmib.Continued, 0},
			{8640000, time.Hour, ifmib.Continued, 0}}},
		{"frozen at 10 s, an hour later: booted since", []step{{1000, 0, ifmib.First, 0}, {1000, time.Hour, ifmib.Restarted, 0}}},
		{"rebooted during a long outage, up longer than the last reading", []step{
			{10000, 0, ifmib.First, 0}, {360000, 2 * time.Hour, ifmib.Restarted, 0}}},
		{"wall clock stepped back", []step{{1000, 0, ifmib.First, 0}, {1500, -time.Hour, ifmib.Continued, 0}}},
	}
	for _, tt := range tests {
		var c ifmib.AgentClock
		at := t0
		for i, s := range tt.steps {
			at = at.Add(s.after)
			got := c.Observe(ifmib.Uptime{Ticks: s.ticks, At: at})
			if got != s.want || c.Wraps() != s.wraps {
				t.Errorf("%s step %d: Observe = %v wraps %d; want %v wraps %d", tt.name, i, got, c.Wraps(), s.want, s.wraps)
			}
		}
	}
}

func TestAgentClockBoot(t *testing.T) {
	var c ifmib.AgentClock
	if !c.Boot().IsZero() {
		t.Error("Boot before any reading is not zero")
	}
	c.Observe(ifmib.Uptime{Ticks: 6000, At: t0})
	if want := t0.Add(-time.Minute); !c.Boot().Equal(want) {
		t.Errorf("Boot = %v, want %v", c.Boot(), want)
	}
	since, exact := c.Since(ifmib.Uptime{Ticks: 6000, At: t0}, 3000)
	if want := t0.Add(-30 * time.Second); !since.Equal(want) || !exact {
		t.Errorf("Since = %v %v, want %v true", since, exact, want)
	}
}
