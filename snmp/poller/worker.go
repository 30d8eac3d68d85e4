package poller

import (
	"context"
	"errors"
	"net"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/stadsnat/accessd/snmp/client"
	"github.com/stadsnat/accessd/snmp/ifmib"
	"github.com/stadsnat/accessd/snmp/portmatch"
)

type pollReq struct {
	full bool
	done chan struct{}
}

// worker is the goroutine of one switch. Everything but the channels and
// the trigger set is owned by its goroutine; the snapshot (under the
// poller's mutex) reads ports' records too, so the goroutine changes them
// and the ports slice only while it holds that mutex.
type worker struct {
	p       *Poller
	key     string
	initial Switch // the config it was started with (session identity)
	cancel  context.CancelFunc
	done    chan struct{}
	cfgCh   chan Switch
	pollCh  chan pollReq
	trigCh  chan struct{}

	trigMu  sync.Mutex
	trigIdx map[int]bool
	removed bool // guarded by trigMu: stopped because unconfigured

	// owned by the goroutine
	cfg       Switch
	cl        client.Client
	clock     ifmib.AgentClock
	budget    int
	ceiling   int // 0: none learnt
	rows      int // rows of the last complete walk (0: none yet)
	cycles    int // cycles since the last full refresh
	needFull  bool
	firstDone bool
	haveTLC   bool
	tlc       uint32
	walked    []int  // the ifIndexes of the last walk's rows with an ifLastChange, sorted
	ports     []port // the wanted ports, by name
	sw        SwitchState
	pkts      int // request packets in the current cycle
}

// port is the worker's record of one wanted port.
type port struct {
	rec        portRec // its state (see state)
	known      bool    // rec came from a row of a reachable switch
	lastChange uint32  // raw ifLastChange behind rec
	ifName     string  // ifName at IfIndex when matched (identity check)
}

// state is a port's state.
func (w *worker) state(pt *port) PortState { return pt.rec.state(w.key, w.cfg.Group) }

func newWorker(p *Poller, sw Switch, cancel context.CancelFunc) *worker {
	w := &worker{
		p:       p,
		key:     sw.Address,
		initial: sw,
		cancel:  cancel,
		done:    make(chan struct{}),
		cfgCh:   make(chan Switch, 1),
		pollCh:  make(chan pollReq),
		trigCh:  make(chan struct{}, 1),
		trigIdx: make(map[int]bool),
		budget:  p.opts.MaxRepetitions,
	}
	w.cfg, w.ports = sw, w.wantPorts(sw) // not yet seen by anyone: no lock
	w.sw = SwitchState{Switch: sw.Address, Group: sw.Group, MaxRepetitions: w.budget}
	return w
}

// stop ends the worker; removed says the switch left the configuration
// (its ports are then reported Removed).
func (w *worker) stop(removed bool) {
	w.trigMu.Lock()
	w.removed = removed
	w.trigMu.Unlock()
	w.cancel()
}

// update hands a new configuration (same session) to the worker.
func (w *worker) update(sw Switch) {
	select {
	case <-w.cfgCh: // drop a stale one not yet taken
	default:
	}
	w.cfgCh <- sw
}

// setConfig takes a new configuration of the switch: its wanted ports
// keep their state, new ones are polled fully at once.
func (w *worker) setConfig(sw Switch) {
	w.cfg = sw
	ports := w.wantPorts(sw)
	w.p.mu.Lock() // the snapshot reads w.ports
	w.ports = ports
	w.p.mu.Unlock()
}

// wantPorts are the ports of sw, with the state of those already wanted.
func (w *worker) wantPorts(sw Switch) []port {
	ports := make([]port, 0, len(sw.Ports)) // exactly as long: kept for every switch
	for _, name := range sw.Ports {
		if pt := w.port(name); pt != nil {
			ports = append(ports, *pt)
		} else {
			ports = append(ports, port{rec: portRec{name: name}})
			w.needFull = true
		}
	}
	slices.SortFunc(ports, func(a, b port) int { return strings.Compare(a.rec.name, b.rec.name) })
	return ports
}

// port is the wanted port name, nil when it is not wanted.
func (w *worker) port(name string) *port {
	i, ok := findPort(w.ports, name)
	if !ok {
		return nil
	}
	return &w.ports[i]
}

func (w *worker) run(ctx context.Context) {
	defer close(w.done)
	defer w.exit()
	timer := time.NewTimer(0)
	defer timer.Stop()
	schedule := func(start time.Time) {
		timer.Reset(max(time.Until(start.Add(w.p.opts.Interval)), 0))
	}
	for {
		select {
		case <-ctx.Done():
			return
		case sw := <-w.cfgCh:
			old := w.cfg.Ports
			w.setConfig(sw)
			w.reportRemovedPorts(old)
			start := time.Now()
			w.cycle(ctx, true)
			schedule(start)
		case req := <-w.pollCh:
			start := time.Now()
			w.cycle(ctx, req.full)
			close(req.done)
			schedule(start)
		case <-w.trigCh:
			w.handleTriggers(ctx)
		case <-timer.C:
			start := time.Now()
			w.cycle(ctx, false)
			schedule(start)
		}
	}
}

// reportRemovedPorts tells the sink about ports no longer wanted.
func (w *worker) reportRemovedPorts(old []string) {
	var gone []PortState
	for _, name := range old {
		if w.port(name) == nil {
			gone = append(gone, PortState{Switch: w.key, Group: w.cfg.Group, Port: name, Link: ifmib.LinkUnknown, Removed: true})
		}
	}
	if len(gone) > 0 {
		w.p.publish(w.sw, gone, nil)
	}
}

func (w *worker) exit() {
	if w.cl != nil {
		w.cl.Close()
		w.cl = nil
	}
	w.trigMu.Lock()
	removed := w.removed
	w.trigMu.Unlock()
	if !removed {
		return
	}
	sw := w.sw
	sw.Removed = true
	gone := make([]PortState, 0, len(w.ports))
	for i := range w.ports {
		st := w.state(&w.ports[i])
		st.Removed = true
		gone = append(gone, st)
	}
	w.p.publish(sw, gone, nil)
	w.p.forget(w.key, w.done)
	w.p.log.Info("switch removed from configuration: stopped polling it", "switch", w.key, "group", w.cfg.Group)
}

func (w *worker) acquire(ctx context.Context) bool {
	select {
	case w.p.sem <- struct{}{}:
		return true
	case <-ctx.Done():
		return false
	}
}

func (w *worker) release() { <-w.p.sem }

// cycle runs one poll cycle and reports it.
func (w *worker) cycle(ctx context.Context, forceFull bool) {
	start := time.Now()
	if !w.acquire(ctx) {
		return
	}
	w.pkts = 0
	began := time.Now() // the duration leaves out the wait for the semaphore
	full, changed, err := w.poll(ctx, forceFull)
	w.idle()
	w.release()
	if ctx.Err() != nil {
		return // shutting down: not the switch's fault
	}
	w.p.m.cycle(w.cfg.Group, time.Since(began), err)
	w.sw.PolledAt = time.Now()
	w.sw.LastCyclePackets = w.pkts
	w.sw.LastCycleFull = full
	w.sw.MaxRepetitions = w.budget
	if err != nil {
		changed = w.fail(start, err)
	}
	w.p.publish(w.sw, changed, w)
	if !w.firstDone {
		w.firstDone = true
		w.p.firstCycleDone(w.key)
	}
}

// idle lets the session give back its socket and buffers until the next
// cycle (see client.Idler): thousands of idle sockets with their receive
// buffers would be most of the daemon's memory.
func (w *worker) idle() {
	if w.cl != nil {
		client.Idle(w.cl)
	}
}

// dial opens the session if there is none.
func (w *worker) dial(ctx context.Context) error {
	if w.cl != nil {
		return nil
	}
	t := client.Target{
		Address:     w.key,
		Credentials: w.cfg.Credentials,
		Timeout:     w.p.opts.Timeout,
		Retries:     w.p.opts.Retries,
		Hooks: client.Hooks{
			OnSend:  func() { w.pkts++; w.p.m.request(w.cfg.Group) },
			OnRetry: func() { w.p.m.retry(w.cfg.Group) },
		},
	}
	cl, err := w.p.opts.Dialer.Dial(ctx, t)
	if err != nil {
		return err
	}
	w.cl = cl
	if host := hostOf(w.key); net.ParseIP(host) == nil {
		// a switch given by name: learn its addresses for trap matching
		if addrs, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host); err == nil {
			for _, a := range addrs {
				w.p.registerIP(w.key, a)
			}
		}
	}
	return nil
}

// poll does the SNMP work of one cycle and returns the ports that
// changed.
func (w *worker) poll(ctx context.Context, forceFull bool) (full bool, changed []PortState, err error) {
	if err := w.dial(ctx); err != nil {
		return false, nil, err
	}
	if !w.sw.Reachable {
		// One small request first: a switch that is down costs one
		// timeout series, and a walk that then times out means the agent
		// drops big responses (see walk).
		if _, err := w.cl.Get(ctx, []string{ifmib.OIDSysUpTime}); err != nil {
			if errors.Is(err, client.ErrTimeout) {
				w.p.m.timeout(w.cfg.Group)
			}
			return true, nil, err
		}
	}
	_, seen := w.clock.Last()
	full = forceFull || w.needFull || !seen || !w.sw.Reachable || w.cycles+1 >= w.p.opts.FullEvery
	restarted := false
	if !full {
		var escalate bool
		changed, escalate, restarted, err = w.incremental(ctx)
		if err != nil {
			return false, nil, err
		}
		full = escalate
	}
	if full {
		more, r, err := w.refresh(ctx, restarted)
		if err != nil {
			return true, nil, err
		}
		changed = mergeChanged(changed, more)
		restarted = restarted || r
		w.cycles = 0
		w.needFull = false
	} else {
		w.cycles++
	}
	if restarted {
		w.sw.Restarts++
		w.p.log.Info("agent restarted (sysUpTime went back): re-read every port by name", "switch", w.key,
			"group", w.cfg.Group, "boot", w.clock.Boot().UTC().Format(time.RFC3339))
	}
	w.markReachable()
	return full, changed, nil
}

func (w *worker) observe(up ifmib.Uptime) (restarted bool) {
	obs := w.clock.Observe(up)
	w.sw.Boot = w.clock.Boot()
	return obs == ifmib.Restarted
}

// incremental reads sysUpTime, ifTableLastChange and the ifLastChange
// column, then the rows of the wanted ports whose ifLastChange moved. It
// asks for a full refresh (escalate) when the agent restarted, the table
// changed, or a wanted ifIndex vanished or now names another interface.
func (w *worker) incremental(ctx context.Context) (changed []PortState, escalate, restarted bool, err error) {
	tab, up, err := w.walk(ctx, []string{ifmib.OIDSysUpTimeObject, ifmib.OIDIfTableLastChangeObject}, []ifmib.Column{ifmib.ColLastChange})
	if err != nil {
		return nil, false, false, err
	}
	if w.observe(up) {
		return nil, true, true, nil
	}
	if tab.HasTableLastChange {
		moved := w.haveTLC && tab.TableLastChange != w.tlc
		w.tlc, w.haveTLC = tab.TableLastChange, true
		if moved {
			return nil, true, false, nil
		}
	}
	if rowsAddedOrRemoved(w.walked, tab) {
		return nil, true, false, nil // matching may change: re-read names
	}
	var idxs []int
	for i := range w.ports {
		pt := &w.ports[i]
		if !pt.known || pt.rec.ifIndex == 0 {
			continue // unmatched ports wait for the next full refresh
		}
		row := tab.Rows[int(pt.rec.ifIndex)]
		if row == nil || !row.Has.Contains(ifmib.ColLastChange) {
			return nil, true, false, nil // the row vanished
		}
		if row.LastChange != pt.lastChange {
			idxs = append(idxs, int(pt.rec.ifIndex))
		}
	}
	w.walked = walkedRows(tab)
	w.p.mu.Lock() // the snapshot reads the records
	for i := range w.ports {
		if pt := &w.ports[i]; pt.known {
			pt.rec.polledAt = up.At // confirmed: its ifLastChange did not move
		}
	}
	w.p.mu.Unlock()
	if len(idxs) == 0 {
		return nil, false, false, nil
	}
	changed, escalate, restarted, err = w.readRows(ctx, idxs, SourcePoll)
	return changed, escalate, restarted, err
}

// rowsAddedOrRemoved reports whether the rows of tab are not those of
// the previous walk (for agents without ifTableLastChange).
func rowsAddedOrRemoved(prev []int, tab *ifmib.Table) bool {
	n := 0
	for idx, r := range tab.Rows {
		if !r.Has.Contains(ifmib.ColLastChange) {
			continue
		}
		if _, ok := slices.BinarySearch(prev, idx); !ok {
			return true
		}
		n++
	}
	return n != len(prev)
}

// walkedRows are the ifIndexes of tab's rows with an ifLastChange, sorted
// (a slice, exactly as long, is kept for every switch: a map was 2.4 KB).
func walkedRows(tab *ifmib.Table) []int {
	idxs := make([]int, 0, len(tab.Rows))
	for idx, r := range tab.Rows {
		if r.Has.Contains(ifmib.ColLastChange) {
			idxs = append(idxs, idx)
		}
	}
	slices.Sort(idxs)
	return slices.Clip(idxs)
}

// readRows GETs the state columns of idxs and applies them to the ports
// at those ifIndexes. escalate: an ifIndex no longer names the interface
// matched before, or the agent restarted.
func (w *worker) readRows(ctx context.Context, idxs []int, src Source) (changed []PortState, escalate, restarted bool, err error) {
	tab, up, err := w.getRows(ctx, idxs)
	if err != nil {
		return nil, false, false, err
	}
	if w.observe(up) {
		return nil, true, true, nil
	}
	byIdx := make(map[int]*port, len(w.ports))
	for i := range w.ports {
		if pt := &w.ports[i]; pt.known && pt.rec.ifIndex != 0 {
			byIdx[int(pt.rec.ifIndex)] = pt
		}
	}
	for _, idx := range idxs {
		pt := byIdx[idx]
		if pt == nil {
			continue
		}
		row := tab.Rows[idx]
		if row == nil || !row.Has.Contains(ifmib.ColOper) || (row.Has.Contains(ifmib.ColName) && row.Name != pt.ifName) {
			escalate = true
			continue
		}
		if st, ok := w.applyRow(pt, row, up, false, src, nil); ok {
			changed = append(changed, st)
		}
	}
	return changed, escalate, false, nil
}

// refresh walks every column, matches every wanted port by name again and
// applies all rows.
func (w *worker) refresh(ctx context.Context, restartedBefore bool) (changed []PortState, restarted bool, err error) {
	tab, up, err := w.walk(ctx, []string{ifmib.OIDSysUpTimeObject, ifmib.OIDIfTableLastChangeObject}, ifmib.AllColumns())
	if err != nil {
		return nil, false, err
	}
	restarted = w.observe(up) || restartedBefore
	w.tlc, w.haveTLC = tab.TableLastChange, tab.HasTableLastChange
	w.walked = walkedRows(tab)
	ifs := make([]portmatch.Interface, 0, len(tab.Rows))
	for _, r := range tab.Sorted() {
		ifs = append(ifs, portmatch.Interface{IfIndex: r.IfIndex, Name: r.Name, Descr: r.Descr, Alias: r.Alias})
	}
	ix := portmatch.NewIndex(ifs)
	for i := range w.ports {
		pt := &w.ports[i]
		name := pt.rec.name
		m, err := ix.Find(name, w.cfg.Rewrites)
		var st PortState
		var ok bool
		if err != nil {
			st, ok = w.applyProblem(pt, err, up.At)
		} else {
			if int(pt.rec.ifIndex) != m.IfIndex && pt.known {
				w.p.log.Debug("port has a new ifIndex", "switch", w.key, "port", name, "old", pt.rec.ifIndex, "new", m.IfIndex)
			}
			row := tab.Rows[m.IfIndex]
			pt.ifName = row.Name
			st, ok = w.applyRow(pt, row, up, restarted, SourcePoll, &m)
		}
		if ok {
			changed = append(changed, st)
		}
	}
	return changed, restarted, nil
}
