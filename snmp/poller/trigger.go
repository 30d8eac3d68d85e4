package poller

import (
	"context"
	"slices"
)

// trigger asks for an immediate read of ifIndex (from a trap).
func (w *worker) trigger(ifIndex int) {
	w.trigMu.Lock()
	w.trigIdx[ifIndex] = true
	w.trigMu.Unlock()
	select {
	case w.trigCh <- struct{}{}:
	default:
	}
}

func (w *worker) takeTriggers() []int {
	w.trigMu.Lock()
	defer w.trigMu.Unlock()
	out := make([]int, 0, len(w.trigIdx))
	for idx := range w.trigIdx {
		out = append(out, idx)
	}
	clear(w.trigIdx)
	slices.Sort(out)
	return out
}

// handleTriggers reads the rows of trapped ifIndexes now.
func (w *worker) handleTriggers(ctx context.Context) {
	idxs := w.takeTriggers()
	if len(idxs) == 0 {
		return
	}
	if !w.sw.Reachable || w.cl == nil {
		// a trap from a switch we think is down: it is back, poll it all
		w.cycle(ctx, true)
		return
	}
	var want []int
	for i := range w.ports {
		if pt := &w.ports[i]; pt.known && slices.Contains(idxs, int(pt.rec.ifIndex)) {
			want = append(want, int(pt.rec.ifIndex))
		}
	}
	if len(want) == 0 {
		return // a port nobody asked about
	}
	slices.Sort(want)
	if !w.acquire(ctx) {
		return
	}
	w.pkts = 0
	changed, escalate, _, err := w.readRows(ctx, want, SourceTrap)
	w.idle()
	w.release()
	if ctx.Err() != nil {
		return
	}
	if err != nil {
		// the next cycle decides about reachability
		w.p.log.Debug("read after trap failed", "switch", w.key, "err", err)
		return
	}
	w.markReachable()
	if escalate {
		w.cycle(ctx, true)
		return
	}
	if len(changed) > 0 {
		w.p.publish(w.sw, changed, w)
	}
}
