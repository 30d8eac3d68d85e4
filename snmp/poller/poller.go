package poller

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/netip"
	"slices"
	"sync"

	"github.com/stadsnat/accessd/snmp/client"
	"github.com/stadsnat/accessd/snmp/ifmib"
	"github.com/stadsnat/accessd/snmp/portmatch"
)

// Poller polls a replaceable set of switches. Create it with New, feed it
// with SetSwitches, run it with Run.
type Poller struct {
	opts Options
	sink Sink
	log  *slog.Logger
	sem  chan struct{}
	m    *metrics

	mu      sync.Mutex
	cfg     map[string]Switch // by normalized address
	workers map[string]*worker
	runCtx  context.Context
	wg      sync.WaitGroup
	snaps   map[string]*snapshot
	byIP    map[netip.Addr][]string    // switches by management IP (several when they differ by port only)
	budgets map[string][2]int          // remembered budget and ceiling per switch
	pending map[string]bool            // switches whose first cycle is not done
	exiting map[string]<-chan struct{} // done of a removed switch's goroutine still exiting
	ready   chan struct{}
	isReady bool
}

// snapshot is what Switches, Ports, Port and LinkCounts answer of one
// switch: the ports are the records of the worker that published last
// (one copy of 100,000 ports' states, not two), which it changes only
// under p.mu.
type snapshot struct {
	sw    SwitchState
	group string    // of its ports
	w     *worker   // nil until a worker published every port
	links LinkCount // of w's ports, kept with it
}

// ports are the records of the snapshot's ports, by name; read under p.mu.
func (s *snapshot) ports() []port {
	if s.w == nil {
		return nil
	}
	return s.w.ports
}

// New returns a poller that reports to sink. It validates opts (Timeout
// > 0, Retries ≥ 0, Interval > 0, ...) and registers its metrics on
// opts.Registerer.
func New(sink Sink, opts Options) (*Poller, error) {
	switch {
	case sink == nil:
		return nil, errors.New("poller: nil sink")
	case opts.Interval <= 0:
		return nil, fmt.Errorf("poller: interval %v must be positive", opts.Interval)
	case opts.Timeout <= 0:
		return nil, fmt.Errorf("poller: timeout %v must be positive", opts.Timeout)
	case opts.Retries < 0:
		return nil, fmt.Errorf("poller: retries %d must not be negative", opts.Retries)
	case opts.FullEvery < 1:
		return nil, fmt.Errorf("poller: full_every %d must be at least 1", opts.FullEvery)
	case opts.Concurrency < 1:
		return nil, fmt.Errorf("poller: concurrency %d must be at least 1", opts.Concurrency)
	case opts.MaxRepetitions < 1 || opts.MaxRepetitionsLimit < opts.MaxRepetitions:
		return nil, fmt.Errorf("poller: max-repetitions %d (limit %d): want 1 ≤ start ≤ limit", opts.MaxRepetitions, opts.MaxRepetitionsLimit)
	}
	if opts.Dialer == nil {
		opts.Dialer = client.Net{}
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	p := &Poller{
		opts:    opts,
		sink:    sink,
		log:     log,
		sem:     make(chan struct{}, opts.Concurrency),
		cfg:     make(map[string]Switch),
		workers: make(map[string]*worker),
		snaps:   make(map[string]*snapshot),
		byIP:    make(map[netip.Addr][]string),
		budgets: make(map[string][2]int),
		exiting: make(map[string]<-chan struct{}),
		ready:   make(chan struct{}),
	}
	m, err := newMetrics(opts.Registerer, p)
	if err != nil {
		return nil, err
	}
	p.m = m
	return p, nil
}

// SetSwitches replaces the set of switches. It checks every entry first
// (address, credentials, no address twice) and changes nothing on error.
// While Run runs: removed switches stop (their ports are reported once
// with Removed), new ones start, a switch whose address or credentials
// changed gets a new session, and one whose ports, group or rewrites
// changed is updated in place and polled (fully) at once.
func (p *Poller) SetSwitches(sws []Switch) error {
	cfg := make(map[string]Switch, len(sws))
	for i, sw := range sws {
		key, err := client.NormalizeAddress(sw.Address)
		if err != nil {
			return fmt.Errorf("switch %d: %w", i, err)
		}
		if err := sw.Credentials.Validate(); err != nil {
			return fmt.Errorf("switch %s: %w", key, err)
		}
		if _, dup := cfg[key]; dup {
			return fmt.Errorf("switch %s listed twice", key)
		}
		sw.Address = key
		if sw.Group == "" {
			sw.Group = "default"
		}
		sw.Ports = uniq(sw.Ports)
		cfg[key] = sw
		p.m.group(sw.Group)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	prev := p.cfg
	p.cfg = cfg
	if p.runCtx != nil {
		p.reconcileLocked(prev)
	}
	return nil
}

// uniq is ports without "" and repetitions: ports itself when it has
// neither (a switch list of 100,000 ports need not be held twice).
func uniq(ports []string) []string {
	if strictlySorted(ports) && (len(ports) == 0 || ports[0] != "") {
		return ports // the switch list's own: sorted, every name once
	}
	seen := make(map[string]bool, len(ports))
	out := make([]string, 0, len(ports))
	for _, port := range ports {
		if port != "" && !seen[port] {
			seen[port] = true
			out = append(out, port)
		}
	}
	return out
}

// strictlySorted reports whether every name of s is greater than the one
// before it.
func strictlySorted(s []string) bool {
	for i := 1; i < len(s); i++ {
		if s[i-1] >= s[i] {
			return false
		}
	}
	return true
}

// Run polls until ctx is done, then stops every switch goroutine and
// returns ctx's error once they have ended. Call SetSwitches before Run so
// readiness covers the configured switches.
func (p *Poller) Run(ctx context.Context) error {
	p.mu.Lock()
	if p.runCtx != nil {
		p.mu.Unlock()
		return errors.New("poller: Run called twice")
	}
	p.runCtx = ctx
	p.pending = make(map[string]bool, len(p.cfg))
	for key := range p.cfg {
		p.pending[key] = true
	}
	p.checkReadyLocked()
	p.reconcileLocked(nil)
	p.mu.Unlock()

	<-ctx.Done()
	p.mu.Lock()
	for _, w := range p.workers {
		w.cancel()
	}
	p.mu.Unlock()
	p.wg.Wait()
	return ctx.Err()
}

// Ready is closed when every switch configured when Run started has
// completed (or failed) its first cycle.
func (p *Poller) Ready() <-chan struct{} { return p.ready }

func (p *Poller) checkReadyLocked() {
	if !p.isReady && len(p.pending) == 0 {
		p.isReady = true
		close(p.ready)
	}
}

func (p *Poller) firstCycleDone(key string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.pending, key)
	p.checkReadyLocked()
}

// reconcileLocked makes the workers match p.cfg. prev is the
// configuration the workers run with: a switch whose entry did not change
// is left alone (an inventory reload that does not touch a switch must not
// cost it a full refresh).
func (p *Poller) reconcileLocked(prev map[string]Switch) {
	for key, w := range p.workers {
		if _, ok := p.cfg[key]; !ok {
			w.stop(true)
			delete(p.workers, key)
			delete(p.pending, key)
			p.exiting[key] = w.done
		}
	}
	for _, key := range slices.Sorted(maps.Keys(p.cfg)) {
		sw := p.cfg[key]
		old := p.workers[key]
		switch {
		case old == nil:
			// listed again before its old goroutine finished: start after
			// it reported the ports removed, or that would be the last word
			p.startLocked(sw, p.exiting[key])
		case !sameSession(old.initial, sw):
			old.stop(false)
			p.startLocked(sw, old.done)
		case sameSwitch(prev[key], sw):
			// unchanged
		default:
			old.update(sw)
		}
	}
	p.checkReadyLocked()
}

func sameSession(a, b Switch) bool {
	if a.Address != b.Address || a.Credentials.Community != b.Credentials.Community {
		return false
	}
	if (a.Credentials.V3 == nil) != (b.Credentials.V3 == nil) {
		return false
	}
	return a.Credentials.V3 == nil || *a.Credentials.V3 == *b.Credentials.V3
}

// sameSwitch reports whether two entries of one switch are the same
// configuration: session, group, wanted ports (in order) and rewrites.
func sameSwitch(a, b Switch) bool {
	return sameSession(a, b) && a.Group == b.Group && slices.Equal(a.Ports, b.Ports) &&
		slices.EqualFunc(a.Rewrites, b.Rewrites, func(x, y portmatch.Rewrite) bool { return x.String() == y.String() })
}

func (p *Poller) startLocked(sw Switch, after <-chan struct{}) {
	ctx, cancel := context.WithCancel(p.runCtx)
	w := newWorker(p, sw, cancel)
	if b, ok := p.budgets[sw.Address]; ok {
		w.budget, w.ceiling = b[0], b[1]
	}
	p.workers[sw.Address] = w
	if addr, err := netip.ParseAddr(hostOf(sw.Address)); err == nil {
		p.addIPLocked(addr, sw.Address)
	}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		if after != nil {
			<-after // one session per switch: the old one closes first
		}
		w.run(ctx)
	}()
}

func hostOf(addr string) string {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	return host
}

// registerIP maps a resolved address of a switch given by name to it.
func (p *Poller) registerIP(key string, addr netip.Addr) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.workers[key]; ok {
		p.addIPLocked(addr, key)
	}
}

func (p *Poller) addIPLocked(addr netip.Addr, key string) {
	addr = addr.Unmap()
	if !slices.Contains(p.byIP[addr], key) {
		p.byIP[addr] = append(p.byIP[addr], key)
	}
}

// forget drops what the poller remembers of a removed switch; done is
// its exiting goroutine's.
func (p *Poller) forget(key string, done <-chan struct{}) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.exiting[key] == done {
		delete(p.exiting, key)
	}
	if _, configured := p.cfg[key]; configured {
		return
	}
	delete(p.snaps, key)
	delete(p.budgets, key)
	for ip, keys := range p.byIP {
		if keys = slices.DeleteFunc(keys, func(k string) bool { return k == key }); len(keys) == 0 {
			delete(p.byIP, ip)
		} else {
			p.byIP[ip] = keys
		}
	}
}

// publish records a worker's states (from: every wanted port of the
// worker, for the snapshot, read on its own goroutine; nil when only
// changed ones are known) and hands the switch and the changed ports to
// the sink.
func (p *Poller) publish(sw SwitchState, changed []PortState, from *worker) {
	p.mu.Lock()
	s := p.snaps[sw.Switch]
	if s == nil {
		s = &snapshot{}
		p.snaps[sw.Switch] = s
	}
	s.sw = sw
	if from != nil {
		s.w, s.group = from, from.cfg.Group
	}
	if from != nil || len(changed) > 0 {
		s.links = countLinks(s.ports())
	}
	if sw.Removed {
		delete(p.snaps, sw.Switch)
	}
	p.mu.Unlock()
	p.sink.Update(sw, changed)
}

// rememberBudget keeps a switch's GETBULK budget and ceiling across
// session changes.
func (p *Poller) rememberBudget(key string, budget, ceiling int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.budgets[key] = [2]int{budget, ceiling}
}

// Switches returns the state of every switch, by address.
func (p *Poller) Switches() []SwitchState {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]SwitchState, 0, len(p.snaps))
	for _, key := range slices.Sorted(maps.Keys(p.snaps)) {
		out = append(out, p.snaps[key].sw)
	}
	return out
}

// Ports returns the last state of every wanted port, by switch and port.
func (p *Poller) Ports() []PortState {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []PortState
	for _, key := range slices.Sorted(maps.Keys(p.snaps)) {
		s := p.snaps[key]
		pts := s.ports() // by index, reading rec alone (see stateCollector.Collect)
		for i := range pts {
			out = append(out, pts[i].rec.state(key, s.group))
		}
	}
	return out
}

// LinkCount counts a switch's wanted ports by link.
type LinkCount struct{ Up, Down, Unknown int }

// LinkCounts returns, by switch address, how many of the switch's wanted
// ports are UP, DOWN and UNKNOWN by their last state: counts kept as the
// states arrive, so a status page does not go through every port.
func (p *Poller) LinkCounts() map[string]LinkCount {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[string]LinkCount, len(p.snaps))
	for key, s := range p.snaps {
		out[key] = s.links
	}
	return out
}

// countLinks counts ports by link.
func countLinks(ports []port) LinkCount {
	var c LinkCount
	for i := range ports {
		switch links[ports[i].rec.link] {
		case ifmib.LinkUp:
			c.Up++
		case ifmib.LinkDown:
			c.Down++
		default:
			c.Unknown++
		}
	}
	return c
}

// Port returns the last state of one port; sw is the switch address as
// configured or normalized ("10.0.0.2" or "10.0.0.2:161").
func (p *Poller) Port(sw, port string) (PortState, bool) {
	key, err := client.NormalizeAddress(sw)
	if err != nil {
		return PortState{}, false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if s := p.snaps[key]; s != nil {
		if pts := s.ports(); len(pts) > 0 {
			if i, ok := findPort(pts, port); ok {
				return pts[i].rec.state(key, s.group), true
			}
		}
	}
	return PortState{}, false
}

// LinkTrap asks the switch that sent a linkUp/linkDown trap from address
// from for an immediate read of ifIndex's row, through the switch's own
// goroutine and session. It reports whether from is a known switch; it
// never blocks (requests for one switch coalesce).
func (p *Poller) LinkTrap(from netip.Addr, ifIndex int) bool {
	p.mu.Lock()
	var ws []*worker
	for _, key := range p.byIP[from.Unmap()] {
		if w := p.workers[key]; w != nil {
			ws = append(ws, w)
		}
	}
	p.mu.Unlock()
	// Switches that share an address (differing by port) cannot be told
	// apart by a trap's source: each reads the ifIndex if it is a wanted
	// port of its own.
	for _, w := range ws {
		w.trigger(ifIndex)
	}
	return len(ws) > 0
}

// PollNow runs one cycle (a full refresh if full) on every switch now and
// waits until all have finished or ctx is done. For accessctl and the
// scale harness.
func (p *Poller) PollNow(ctx context.Context, full bool) error {
	p.mu.Lock()
	ws := slices.Collect(maps.Values(p.workers))
	p.mu.Unlock()
	dones := make([]chan struct{}, 0, len(ws))
	for _, w := range ws {
		d := make(chan struct{})
		select {
		case w.pollCh <- pollReq{full: full, done: d}:
			dones = append(dones, d)
		case <-w.done:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	for _, d := range dones {
		select {
		case <-d:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}
