package localtest

import (
	"context"
	"time"

	"github.com/stadsnat/accessd/cmd/accessd/internal/upstream/atlasportal"
)

// Run is the scheduler: it runs each due order (IN_PROGRESS, Activate for
// ActivationTime, DONE_SUCCESS or DONE_FAILED), one at a time, until ctx
// ends. An order whose transitions cannot be appended stays as it was.
func (e *Engine) Run(ctx context.Context) {
	for {
		next, ok := e.runDue(ctx)
		wait := time.Minute
		if ok {
			wait = max(time.Until(next), 0)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-e.wake:
		case <-t.C:
		}
		t.Stop()
	}
}

// runDue runs the due orders and returns when the next is due.
func (e *Engine) runDue(ctx context.Context) (time.Time, bool) {
	for ctx.Err() == nil {
		o, next, ok := e.takeDue(ctx)
		if o == nil {
			return next, ok
		}
		var err error
		if e.Activate != nil {
			err = e.Activate(*o)
		}
		if e.ActivationTime > 0 {
			select {
			case <-ctx.Done():
				return time.Time{}, false
			case <-time.After(e.ActivationTime):
			}
		}
		e.finish(ctx, o.ID, err)
	}
	return time.Time{}, false
}

// takeDue moves the first due order to IN_PROGRESS; with none due it
// returns the next due time.
func (e *Engine) takeDue(ctx context.Context) (*Order, time.Time, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	now := time.Now()
	var next time.Time
	for _, o := range e.sorted() {
		if o.State != atlasportal.LocalReceived {
			continue
		}
		if o.Due.After(now) {
			if next.IsZero() || o.Due.Before(next) {
				next = o.Due
			}
			continue
		}
		o.State = atlasportal.LocalInProgress
		if err := e.commit(ctx, o); err != nil {
			o.State = atlasportal.LocalReceived
			return nil, now.Add(time.Second), true
		}
		c := *o
		return &c, time.Time{}, false
	}
	return nil, next, !next.IsZero()
}

func (e *Engine) finish(ctx context.Context, id string, err error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	o := e.orders[id]
	o.State, o.Message = atlasportal.LocalDone, "activated"
	if err != nil {
		o.State, o.Message = atlasportal.LocalFailed, err.Error()
	} else {
		e.active[o.AccessID+"|"+o.Service] = true
	}
	if cerr := e.commit(ctx, o); cerr != nil {
		o.State, o.Message = atlasportal.LocalInProgress, ""
	}
}
