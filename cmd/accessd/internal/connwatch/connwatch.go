// Package connwatch enforces the HTTP server's timeouts (for a request's
// headers, for its answer, for an idle keep-alive connection) with one
// coarse clock and one sweep a tick, instead of net/http's runtime timer
// per deadline. net/http, given a Server's timeouts, moves up to five
// deadlines a request, each a timer in the runtime's heap under a lock:
// about 0.6 µs, 8 % of the CPU of a small look-up (issue 15's figures).
// Here a request costs two atomic stores, and a sweep walks the open
// connections once a tick.
//
// A Watch wraps the server's listeners (Listen) and receives its
// connections' states (ConnState). Each connection is in one phase:
//
//   - header: from accept (a TLS handshake included), or from the first
//     byte after idling, until its request's headers are read
//     (http.StateActive): Limits.Header;
//   - answer: until the answer is written (http.StateIdle):
//     Limits.Answer, net/http's WriteTimeout;
//   - idle: until the next request's first byte: Limits.Idle.
//
// The sweep closes a connection past its phase's limit: net/http then
// ends it as it would at a deadline, and a handler still running sees
// its request's context cancelled. A limit holds to within two ticks, and
// never cuts early. A request's body is not timed by the sweep: wrap the
// handler in Bodies, which gives a request that has one a real read
// deadline (net/http's ReadTimeout), at no cost to the others.
//
// HTTP/2 connections have no such phases (a PING is a byte in idle); a
// server using a Watch serves HTTP/1.1 only.
package connwatch

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Limits are the longest each phase may last; 0 means no limit.
type Limits struct {
	Header, Answer, Idle time.Duration
}

// phase is a connection's phase, in the low bits of its state word.
type phase uint64

const (
	header phase = iota
	answer
	idle
	// free is a hijacked connection: none of the server's business.
	free
	phaseBits = 2
	phaseMask = 1<<phaseBits - 1
)

// Stats count the connections cut, by the phase they overstayed.
type Stats struct {
	Header, Answer, Idle uint64
	// Open is how many connections are being watched.
	Open int
}

// Watch tracks the connections of the listeners it wraps.
type Watch struct {
	lim   Limits
	tick  time.Duration
	epoch time.Time
	log   *slog.Logger
	name  string
	desc  *prometheus.Desc
	clock atomic.Int64 // milliseconds since epoch, as of the last tick

	mu    sync.Mutex
	conns map[*conn]struct{}

	cut [3]atomic.Uint64 // by phase
	// lastLog limits the warnings to one a minute; under mu.
	lastLog  time.Time
	unlogged [3]uint64
}

// New makes a Watch for a server called name (in log lines); log gets at
// most one warning a minute about connections cut while reading headers
// or writing answers (idle ones are cut quietly: clients leave them).
func New(name string, lim Limits, log *slog.Logger) *Watch {
	return &Watch{lim: lim, tick: tickFor(lim), epoch: time.Now(), log: log, name: name,
		desc: newDesc(), conns: make(map[*conn]struct{})}
}

// tickFor is a twentieth of the shortest limit, between 50 ms and 500 ms.
func tickFor(lim Limits) time.Duration {
	shortest := time.Duration(0)
	for _, d := range []time.Duration{lim.Header, lim.Answer, lim.Idle} {
		if d > 0 && (shortest == 0 || d < shortest) {
			shortest = d
		}
	}
	return min(max(shortest/20, 50*time.Millisecond), 500*time.Millisecond)
}

// Tick is how often Run sweeps.
func (w *Watch) Tick() time.Duration { return w.tick }

// Listen wraps ln: its connections are watched from accept to close.
func (w *Watch) Listen(ln net.Listener) net.Listener { return &listener{Listener: ln, w: w} }

// Run sweeps every tick until ctx ends.
func (w *Watch) Run(ctx context.Context) {
	t := time.NewTicker(w.tick)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			w.Sweep(now)
		}
	}
}

// ConnState is the server's http.Server.ConnState hook.
func (w *Watch) ConnState(nc net.Conn, s http.ConnState) {
	c := connOf(nc)
	if c == nil {
		return
	}
	switch s {
	case http.StateActive:
		c.enter(answer, w.clock.Load())
	case http.StateIdle:
		c.enter(idle, w.clock.Load())
	case http.StateHijacked:
		c.enter(free, 0)
	}
}

// connOf finds the watched connection under nc (itself, or under TLS).
func connOf(nc net.Conn) *conn {
	switch v := nc.(type) {
	case *conn:
		return v
	case interface{ NetConn() net.Conn }:
		c, _ := v.NetConn().(*conn)
		return c
	}
	return nil
}

// Sweep moves the clock to now and closes the connections past their
// phase's limit. Run calls it every tick; tests call it with their own
// clock.
func (w *Watch) Sweep(now time.Time) {
	ms := now.Sub(w.epoch).Milliseconds()
	w.clock.Store(ms)
	limits := [3]int64{header: w.limitMS(w.lim.Header), answer: w.limitMS(w.lim.Answer), idle: w.limitMS(w.lim.Idle)}
	var over []*conn
	var count [3]uint64
	w.mu.Lock()
	for c := range w.conns {
		st := c.state.Load()
		p := phase(st & phaseMask)
		if p == free || limits[p] == 0 {
			continue
		}
		if since := int64(st >> phaseBits); ms-since > limits[p] {
			over = append(over, c)
			count[p]++
		}
	}
	w.noteCut(now, count)
	w.mu.Unlock()
	for _, c := range over {
		c.Close()
	}
}

// limitMS is a limit in the clock's milliseconds, plus the tick the
// clock may lag behind, so that a connection is never cut early.
func (w *Watch) limitMS(d time.Duration) int64 {
	if d <= 0 {
		return 0
	}
	return (d + w.tick).Milliseconds()
}

// noteCut counts the cut connections and warns about them at most once a
// minute. Call with w.mu held.
func (w *Watch) noteCut(now time.Time, count [3]uint64) {
	for p, n := range count {
		w.cut[p].Add(n)
		if phase(p) != idle {
			w.unlogged[p] += n
		}
	}
	if w.unlogged[header]+w.unlogged[answer] == 0 || now.Sub(w.lastLog) < time.Minute {
		return
	}
	w.log.Warn("HTTP connections cut at their timeout: a client too slow sending a request's headers, "+
		"or not reading its answer (a dead peer or a slow-request attack); they were closed",
		"server", w.name, "cut_reading_headers", w.unlogged[header], "header_limit", w.lim.Header,
		"cut_writing_answers", w.unlogged[answer], "answer_limit", w.lim.Answer, "open", len(w.conns))
	w.lastLog, w.unlogged = now, [3]uint64{}
}

// Stats says how many connections were cut, and how many are open.
func (w *Watch) Stats() Stats {
	w.mu.Lock()
	open := len(w.conns)
	w.mu.Unlock()
	return Stats{Header: w.cut[header].Load(), Answer: w.cut[answer].Load(), Idle: w.cut[idle].Load(), Open: open}
}

func (w *Watch) add(c *conn) {
	w.mu.Lock()
	w.conns[c] = struct{}{}
	w.mu.Unlock()
}

func (w *Watch) remove(c *conn) {
	w.mu.Lock()
	delete(w.conns, c)
	w.mu.Unlock()
}

// Bodies gives each request that has a body a read deadline of limit from
// now (net/http's ReadTimeout, for bodies only); requests without one, the
// look-ups, pay nothing. net/http clears the deadline before the next
// request.
func Bodies(limit time.Duration, h http.Handler) http.Handler {
	if limit <= 0 {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength != 0 {
			// An error means the writer cannot take a deadline (a test's
			// recorder); the request then runs as it would have.
			_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(limit))
		}
		h.ServeHTTP(w, r)
	})
}
