package poller

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/stadsnat/accessd/snmp/client"
	"github.com/stadsnat/accessd/snmp/ifmib"
)

// walk reads whole columns with GETBULK: the first request carries
// nonRep as non-repeaters (sysUpTime, ifTableLastChange), later ones only
// sysUpTime; each continues every unfinished column from its last OID.
// The returned uptime is the sysUpTime of the last response and the time
// it arrived: every ifLastChange of the walk is at most that value, so
// Since is exact whichever response a row came in.
//
// The switch's budget (varbinds asked per request, split over the open
// columns, and never more repetitions than the last walk's rows + 2)
// shrinks on tooBig, and on a timeout when a probe shows the
// agent alive (an agent that drops what it cannot send); that size is
// then the switch's ceiling. It grows when the walk needed several
// requests that all came back fast.
func (w *worker) walk(ctx context.Context, nonRep []string, cols []ifmib.Column) (*ifmib.Table, ifmib.Uptime, error) {
	ws := newWalkState(cols)
	for len(ws.active) > 0 {
		nr := nonRep
		if ws.requests > 0 {
			nr = []string{ifmib.OIDSysUpTimeObject}
		}
		reps := max(1, w.budget/len(ws.active))
		if w.rows > 0 {
			// no need to ask far past the end of the table: the last walk
			// saw w.rows rows; +2 leaves room for one new row and the
			// varbind that shows the end
			reps = min(reps, w.rows+2)
		}
		oids := make([]string, len(ws.active))
		for i, ci := range ws.active {
			oids[i] = ws.cursor[ci]
		}
		t0 := time.Now()
		vbs, err := w.cl.GetBulk(ctx, nr, oids, reps)
		rtt := time.Since(t0)
		ws.requests++
		if err != nil {
			if again, err := w.walkFailed(ctx, err, reps, len(ws.active), &ws.shrinks); again {
				continue
			} else if err != nil {
				return nil, ws.up, err
			}
		}
		if rtt >= w.p.opts.FastResponse {
			ws.slow = true
		}
		if err := w.walkResponse(ws, nr, vbs); err != nil {
			return nil, ws.up, err
		}
	}
	if !ws.haveUp {
		return nil, ws.up, fmt.Errorf("getbulk from %s: no sysUpTime.0 in the response", w.key)
	}
	if len(ws.decodeErrs) > 0 {
		w.p.log.Warn("switch sent values that do not fit IF-MIB: skipped them", "switch", w.key,
			"group", w.cfg.Group, "err", errors.Join(ws.decodeErrs...))
	}
	w.rows = slices.Max(ws.count)
	if ws.requests > 1 && !ws.slow && ws.shrinks == 0 {
		w.grow((slices.Max(ws.count) + 2) * len(cols))
	}
	return ws.tab, ws.up, nil
}

// walkState is one walk of columns with GETBULK: where each column's walk
// stands and what has been learnt.
type walkState struct {
	cols       []ifmib.Column
	tab        *ifmib.Table
	cursor     []string // the last OID seen of each column
	active     []int    // the columns not yet walked to their end
	count      []int    // rows seen of each column
	up         ifmib.Uptime
	haveUp     bool
	requests   int
	shrinks    int
	slow       bool
	decodeErrs []error
}

func newWalkState(cols []ifmib.Column) *walkState {
	ws := &walkState{cols: cols, tab: ifmib.NewTable(), cursor: make([]string, len(cols)),
		active: make([]int, len(cols)), count: make([]int, len(cols))}
	for i, c := range cols {
		ws.cursor[i] = c.OID()
		ws.active[i] = i
	}
	return ws
}

// walkFailed decides what a failed GETBULK of reps repetitions of columns
// columns means: again (a smaller request may pass: tooBig, or a time-out
// while the agent still answers small requests) or the walk's error.
func (w *worker) walkFailed(ctx context.Context, err error, reps, columns int, shrinks *int) (again bool, _ error) {
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	asked := reps * columns
	switch {
	case errors.Is(err, client.ErrTooBig) && reps > 1 && *shrinks < 8:
		w.p.m.tooBig(w.cfg.Group)
		w.shrink(asked, true, "tooBig")
		*shrinks++
		return true, nil
	case errors.Is(err, client.ErrTimeout):
		w.p.m.timeout(w.cfg.Group)
		if reps > 1 && *shrinks < 8 && w.probe(ctx) {
			w.shrink(asked, false, "timeout while the agent answers small requests")
			*shrinks++
			return true, nil
		}
	}
	return false, err
}

// walkResponse takes one GETBULK response: the non-repeaters (sysUpTime),
// then each active column's next varbinds, closing the columns that end.
func (w *worker) walkResponse(ws *walkState, nr []string, vbs []ifmib.Varbind) error {
	at := time.Now()
	n := min(len(nr), len(vbs))
	for _, vb := range vbs[:n] {
		if vb.OID == ifmib.OIDSysUpTime {
			if t, err := vb.TimeTicks(); err == nil {
				ws.up, ws.haveUp = ifmib.Uptime{Ticks: t, At: at}, true
			}
		}
	}
	if err := ws.tab.Apply(vbs[:n]); err != nil {
		ws.decodeErrs = append(ws.decodeErrs, err)
	}
	rest := vbs[n:]
	if len(rest) == 0 {
		return fmt.Errorf("getbulk from %s: no repetitions in the response", w.key)
	}
	closed := make([]bool, len(ws.cols))
	for i, vb := range rest {
		ci := ws.active[i%len(ws.active)]
		if closed[ci] {
			continue
		}
		if vb.Type == ifmib.TypeEndOfMibView || !ifmib.Under(ws.cols[ci].OID(), vb.OID) {
			closed[ci] = true
			continue
		}
		if ifmib.CompareOID(vb.OID, ws.cursor[ci]) <= 0 {
			return fmt.Errorf("getbulk from %s: %s does not follow %s (agent bug)", w.key, vb.OID, ws.cursor[ci])
		}
		ws.cursor[ci] = vb.OID
		ws.count[ci]++
		if err := ws.tab.Apply([]ifmib.Varbind{vb}); err != nil {
			ws.decodeErrs = append(ws.decodeErrs, err)
		}
	}
	ws.active = slices.DeleteFunc(ws.active, func(ci int) bool { return closed[ci] })
	return nil
}

// probe checks with the smallest request whether the agent answers.
func (w *worker) probe(ctx context.Context) bool {
	_, err := w.cl.Get(ctx, []string{ifmib.OIDSysUpTime})
	if errors.Is(err, client.ErrTimeout) {
		w.p.m.timeout(w.cfg.Group)
	}
	return err == nil
}

// shrink lowers the budget below asked (the size that failed). A tooBig
// is proof of size: the new budget becomes the switch's ceiling. A timeout
// may be load as well as size: the budget may grow again once responses
// are fast.
func (w *worker) shrink(asked int, ceiling bool, why string) {
	old := w.budget
	w.budget = max(1, min(w.budget, asked)/2)
	if ceiling {
		w.ceiling = w.budget
	}
	w.p.rememberBudget(w.key, w.budget, w.ceiling)
	w.p.log.Debug("smaller GETBULK", "switch", w.key, "why", why, "from", old, "to", w.budget)
}

// grow raises the budget towards need (what would have done the walk in
// one request), at least doubling it, within the ceiling and the limit.
func (w *worker) grow(need int) {
	limit := w.p.opts.MaxRepetitionsLimit
	if w.ceiling > 0 {
		limit = min(limit, w.ceiling)
	}
	nb := min(limit, max(w.budget*2, need))
	if nb > w.budget {
		w.budget = nb
		w.p.rememberBudget(w.key, w.budget, w.ceiling)
	}
}

// getRows GETs the state columns of the rows idxs, with sysUpTime.0 in
// every request; the uptime returned is the last response's.
func (w *worker) getRows(ctx context.Context, idxs []int) (*ifmib.Table, ifmib.Uptime, error) {
	cols := ifmib.StateColumns()
	per := (client.MaxOIDs - 1) / len(cols)
	tab := ifmib.NewTable()
	var up ifmib.Uptime
	for chunk := range slices.Chunk(idxs, per) {
		oids := []string{ifmib.OIDSysUpTime}
		for _, idx := range chunk {
			oids = append(oids, ifmib.RowOIDs(idx, cols)...)
		}
		vbs, err := w.cl.Get(ctx, oids)
		if err != nil {
			switch {
			case errors.Is(err, client.ErrTooBig):
				w.p.m.tooBig(w.cfg.Group)
			case errors.Is(err, client.ErrTimeout):
				w.p.m.timeout(w.cfg.Group)
			}
			return nil, up, err
		}
		at := time.Now()
		part, err := ifmib.Decode(vbs)
		if err != nil {
			w.p.log.Warn("switch sent values that do not fit IF-MIB: skipped them", "switch", w.key, "group", w.cfg.Group, "err", err)
		}
		if !part.HasSysUpTime {
			return nil, up, fmt.Errorf("get from %s: no sysUpTime.0 in the response", w.key)
		}
		up = ifmib.Uptime{Ticks: part.SysUpTime, At: at}
		for idx, r := range part.Rows {
			tab.Rows[idx] = r
		}
	}
	return tab, up, nil
}
