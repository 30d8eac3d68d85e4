// Package fakeagent is an in-memory SNMP agent for unit tests: it answers
// GET and GETBULK over a MIB loaded from a recorded walk, keeps sysUpTime
// running on the (possibly synctest-faked) clock, and can be scripted:
// change a port's oper status (moving its ifLastChange), restart (sysUpTime
// back to zero, ifIndex renumbered), stop answering, refuse large responses
// with tooBig or by silence. A Network of agents implements client.Dialer.
package fakeagent

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/stadsnat/accessd/snmp/client"
	"github.com/stadsnat/accessd/snmp/ifmib"
)

// Request is one request an agent received (retries not repeated).
type Request struct {
	Op             string // "get" or "getbulk"
	OIDs           []string
	NonRepeaters   int
	MaxRepetitions int
}

// Agent is one simulated agent. Safe for concurrent use.
type Agent struct {
	mu       sync.Mutex
	vars     map[string]ifmib.Varbind
	keys     []string // sorted in OID order
	boot     time.Time
	offset   uint32 // sysUpTime at boot, in ticks
	down     bool
	latency  time.Duration
	tooBig   int // a response with more varbinds than this is tooBig (0: no limit)
	silentAt int // a response with more varbinds than this is dropped (0: no limit)
	log      []Request
	packets  int
}

// New returns an agent serving vbs; its sysUpTime continues from the
// sysUpTime.0 of vbs (0 if absent), starting now.
func New(vbs []ifmib.Varbind) *Agent {
	a := &Agent{vars: make(map[string]ifmib.Varbind), boot: time.Now()}
	for _, vb := range vbs {
		if vb.OID == ifmib.OIDSysUpTime {
			a.offset = uint32(vb.Uint)
		}
		a.vars[vb.OID] = vb
	}
	// sysUpTime.0 is served from the clock; the entry keeps its place in
	// OID order for GETNEXT.
	a.vars[ifmib.OIDSysUpTime] = ifmib.Varbind{OID: ifmib.OIDSysUpTime, Type: ifmib.TypeTimeTicks}
	a.resort()
	return a
}

func (a *Agent) resort() {
	a.keys = a.keys[:0]
	for k := range a.vars {
		a.keys = append(a.keys, k)
	}
	slices.SortFunc(a.keys, ifmib.CompareOID)
}

func (a *Agent) uptimeLocked() uint32 {
	return a.offset + uint32(time.Since(a.boot)/(time.Second/ifmib.TicksPerSecond))
}

// Uptime returns the agent's current sysUpTime.
func (a *Agent) Uptime() uint32 {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.uptimeLocked()
}

// SetUptime makes sysUpTime read ticks now (and run on from there) without
// touching anything else: to put an agent just before the 32-bit wrap.
func (a *Agent) SetUptime(ticks uint32) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.boot, a.offset = time.Now(), ticks
}

// SetOper sets ifOperStatus of ifIndex and moves its ifLastChange to the
// current sysUpTime, as a real agent does.
func (a *Agent) SetOper(ifIndex int, oper ifmib.OperStatus) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.vars[ifmib.ColOper.Instance(ifIndex)] = ifmib.Varbind{OID: ifmib.ColOper.Instance(ifIndex), Type: ifmib.TypeInteger, Int: int64(oper)}
	a.vars[ifmib.ColLastChange.Instance(ifIndex)] = ifmib.Varbind{OID: ifmib.ColLastChange.Instance(ifIndex), Type: ifmib.TypeTimeTicks, Uint: uint64(a.uptimeLocked())}
	a.resort()
}

// Set stores one varbind as it is (no side effects).
func (a *Agent) Set(vb ifmib.Varbind) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if vb.OID == ifmib.OIDSysUpTime {
		a.boot, a.offset = time.Now(), uint32(vb.Uint)
		return
	}
	a.vars[vb.OID] = vb
	a.resort()
}

// Restart simulates an agent restart: sysUpTime starts again from 0,
// every ifLastChange and ifTableLastChange becomes 0, and each row's
// ifIndex becomes renumber(ifIndex) (nil keeps them).
func (a *Agent) Restart(renumber func(int) int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.boot, a.offset = time.Now(), 0
	vars := make(map[string]ifmib.Varbind, len(a.vars))
	for oid, vb := range a.vars {
		if col, idx, ok := ifmib.ColumnOf(oid); ok {
			if renumber != nil {
				idx = renumber(idx)
			}
			vb.OID = col.Instance(idx)
			if col == ifmib.ColLastChange {
				vb.Uint = 0
			}
		} else if idx, ok := ifmib.IndexUnder(ifmib.OIDIfIndex, oid); ok && renumber != nil {
			vb.OID = ifmib.OIDIfIndex + "." + strconv.Itoa(renumber(idx))
			vb.Int = int64(renumber(idx))
		}
		if oid == ifmib.OIDIfTableLastChange {
			vb.Uint = 0
		}
		vars[vb.OID] = vb
	}
	a.vars = vars
	a.resort()
}

// SetDown makes the agent stop (true) or resume (false) answering.
func (a *Agent) SetDown(down bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.down = down
}

// SetLatency sets how long each answer takes.
func (a *Agent) SetLatency(d time.Duration) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.latency = d
}

// LimitResponse makes a response that would hold more than tooBig varbinds
// an error-status tooBig, and one with more than silent varbinds vanish (a
// timeout), as agents with small buffers do. 0 means no limit.
func (a *Agent) LimitResponse(tooBig, silent int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.tooBig, a.silentAt = tooBig, silent
}

// Requests returns the requests received so far and forgets them.
func (a *Agent) Requests() []Request {
	a.mu.Lock()
	defer a.mu.Unlock()
	r := a.log
	a.log = nil
	return r
}

// Packets returns how many request packets (retries included) reached the
// agent.
func (a *Agent) Packets() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.packets
}

func (a *Agent) valueLocked(oid string) ifmib.Varbind {
	if oid == ifmib.OIDSysUpTime {
		return ifmib.Varbind{OID: oid, Type: ifmib.TypeTimeTicks, Uint: uint64(a.uptimeLocked())}
	}
	if vb, ok := a.vars[oid]; ok {
		return vb
	}
	return ifmib.Varbind{OID: oid, Type: ifmib.TypeNoSuchInstance}
}

func (a *Agent) nextLocked(oid string) ifmib.Varbind {
	i, found := slices.BinarySearchFunc(a.keys, oid, ifmib.CompareOID)
	if found {
		i++
	}
	if i >= len(a.keys) {
		return ifmib.Varbind{OID: oid, Type: ifmib.TypeEndOfMibView}
	}
	return a.valueLocked(a.keys[i])
}

func (a *Agent) answer(req Request) (vbs []ifmib.Varbind, drop bool, err error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.log = append(a.log, req)
	if a.down {
		return nil, true, nil
	}
	switch req.Op {
	case "get":
		for _, oid := range req.OIDs {
			vbs = append(vbs, a.valueLocked(oid))
		}
	case "getbulk":
		for _, oid := range req.OIDs[:req.NonRepeaters] {
			vbs = append(vbs, a.nextLocked(oid))
		}
		cur := slices.Clone(req.OIDs[req.NonRepeaters:])
		for r := 0; r < req.MaxRepetitions && len(cur) > 0; r++ {
			for j, oid := range cur {
				vb := a.nextLocked(oid)
				vbs = append(vbs, vb)
				cur[j] = vb.OID
			}
		}
	}
	if a.silentAt > 0 && len(vbs) > a.silentAt {
		return nil, true, nil
	}
	if a.tooBig > 0 && len(vbs) > a.tooBig {
		return nil, false, &client.StatusError{Status: 1}
	}
	return vbs, false, nil
}

// Network is a set of agents by address; it implements client.Dialer. An
// address without an agent never answers.
type Network struct {
	mu     sync.Mutex
	agents map[string]*Agent
	dials  int
}

// NewNetwork returns an empty network.
func NewNetwork() *Network { return &Network{agents: make(map[string]*Agent)} }

// Add places agent a at addr (host:port).
func (n *Network) Add(addr string, a *Agent) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.agents[addr] = a
}

// Dials returns how many sessions were opened.
func (n *Network) Dials() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.dials
}

// Dial opens a session with the agent at t.Address.
func (n *Network) Dial(_ context.Context, t client.Target) (client.Client, error) {
	if err := t.Validate(); err != nil {
		return nil, err
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	n.dials++
	a := n.agents[t.Address]
	if a == nil {
		a = New(nil)
		a.SetDown(true)
	}
	return &session{a: a, t: t}, nil
}

type session struct {
	a      *Agent
	t      client.Target
	closed bool
}

func (s *session) Get(ctx context.Context, oids []string) ([]ifmib.Varbind, error) {
	if len(oids) > client.MaxOIDs {
		return nil, fmt.Errorf("get from %s: %d OIDs, at most %d", s.t.Address, len(oids), client.MaxOIDs)
	}
	return s.do(ctx, Request{Op: "get", OIDs: slices.Clone(oids)})
}

func (s *session) GetBulk(ctx context.Context, nonRep, rep []string, maxReps int) ([]ifmib.Varbind, error) {
	if len(nonRep)+len(rep) > client.MaxOIDs {
		return nil, fmt.Errorf("getbulk from %s: too many OIDs", s.t.Address)
	}
	return s.do(ctx, Request{Op: "getbulk", OIDs: append(slices.Clone(nonRep), rep...), NonRepeaters: len(nonRep), MaxRepetitions: max(maxReps, 1)})
}

func (s *session) do(ctx context.Context, req Request) ([]ifmib.Varbind, error) {
	if s.closed {
		return nil, fmt.Errorf("%s from %s: session closed", req.Op, s.t.Address)
	}
	for attempt := 0; attempt <= s.t.Retries; attempt++ {
		if attempt > 0 && s.t.Hooks.OnRetry != nil {
			s.t.Hooks.OnRetry()
		}
		if s.t.Hooks.OnSend != nil {
			s.t.Hooks.OnSend()
		}
		s.a.mu.Lock()
		s.a.packets++
		latency := s.a.latency
		s.a.mu.Unlock()
		vbs, drop, err := s.a.answer(req)
		wait := latency
		if drop {
			wait = s.t.Timeout
		}
		if wait > 0 {
			select {
			case <-ctx.Done():
				return nil, fmt.Errorf("%s from %s: %w", req.Op, s.t.Address, ctx.Err())
			case <-time.After(wait):
			}
		}
		if drop {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("%s from %s: %w", req.Op, s.t.Address, err)
		}
		return vbs, nil
	}
	return nil, fmt.Errorf("%s from %s: %w after %d retries", req.Op, s.t.Address, client.ErrTimeout, s.t.Retries)
}

func (s *session) Close() error {
	s.closed = true
	return nil
}
