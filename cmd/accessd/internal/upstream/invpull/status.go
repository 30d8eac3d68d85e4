package invpull

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/stadsnat/accessd/cmd/accessd/internal/upstream/internal/remote"
	"github.com/stadsnat/accessd/store"
	"github.com/stadsnat/accessd/store/inventory"
)

// Status is what accessctl shows of a source. It holds no secret.
type Status struct {
	Name   string `json:"name"`
	URL    string `json:"url"`
	Format Format `json:"format"`
	// LastModified is sent as If-Modified-Since on the next incremental
	// pull; the daemon may persist it (SetLastModified).
	LastModified string    `json:"lastModified,omitempty"`
	LastAttempt  time.Time `json:"lastAttempt,omitzero"`
	LastSuccess  time.Time `json:"lastSuccess,omitzero"`
	LastReplace  time.Time `json:"lastReplace,omitzero"`
	// LastResult is the last successful pull's result.
	LastResult *Result `json:"lastResult,omitempty"`
	// LastError is the last pull's error, "" after a success. A refused
	// pull (bad data) names the first problem's line and field, and
	// Problems lists up to 50 of them.
	LastError      string              `json:"lastError,omitempty"`
	LastErrorLine  int                 `json:"lastErrorLine,omitempty"`
	LastErrorField string              `json:"lastErrorField,omitempty"`
	Problems       []inventory.Problem `json:"problems,omitempty"`
	// Refused is true when the last error was the data's (nothing
	// applied), false when the source could not be read.
	Refused  bool   `json:"refused,omitempty"`
	Pulls    uint64 `json:"pulls"`
	Failures uint64 `json:"failures"`
}

// maxProblems caps Status.Problems.
const maxProblems = 50

// Status returns a copy of the source's status.
func (p *Puller) Status() Status {
	p.mu.Lock()
	defer p.mu.Unlock()
	st := p.st
	st.Problems = slices.Clone(st.Problems)
	if st.LastResult != nil {
		r := *st.LastResult
		st.LastResult = &r
	}
	return st
}

// problemsOf returns the problems of a refused pull: the parser's or the
// store's.
func problemsOf(err error) ([]inventory.Problem, bool) {
	var ps *inventory.Problems
	if errors.As(err, &ps) {
		return ps.List, true
	}
	var ce *store.ConflictError
	if errors.As(err, &ce) {
		return ce.Conflicts, true
	}
	return nil, errors.Is(err, errEmptyReplace)
}

// record keeps the outcome of a pull in the status and the metrics.
func (p *Puller) record(started time.Time, res Result, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	st := &p.st
	st.Pulls++
	st.LastAttempt = started
	if err != nil {
		st.Failures++
		st.LastError, st.LastErrorLine, st.LastErrorField, st.Problems = err.Error(), 0, "", nil
		ps, refused := problemsOf(err)
		st.Refused = refused
		if len(ps) > 0 {
			st.LastErrorLine, st.LastErrorField = ps[0].Line, ps[0].Field
			st.Problems = slices.Clone(ps[:min(len(ps), maxProblems)])
		}
		switch {
		case refused:
			p.m.pull("refused")
		case remote.IsAuth(err):
			p.m.pull("auth")
		default:
			p.m.pull("failed")
		}
		return
	}
	st.LastError, st.LastErrorLine, st.LastErrorField, st.Problems, st.Refused = "", 0, "", nil, false
	st.LastSuccess = started
	st.LastModified = res.LastModified
	if res.Mode == Replace.String() {
		st.LastReplace = started
	}
	r := res
	st.LastResult = &r
	if res.NotModified {
		p.m.pull("not_modified")
	} else {
		p.m.pull("applied")
		p.m.applied(res.Summary)
	}
	p.m.success(started)
}

// Run pulls until ctx ends: at once, then every Interval; a pull due at
// least FullInterval after the last successful replace (and the first
// pull, when FullInterval is set) is a replace. A failed pull is logged
// and tried again at the next interval; a failed replace stays due. Run
// returns nil when ctx ends.
func (p *Puller) Run(ctx context.Context) error {
	var lastReplace time.Time
	replaceDue := func() bool {
		return p.cfg.FullInterval > 0 && (lastReplace.IsZero() || time.Since(lastReplace) >= p.cfg.FullInterval)
	}
	for {
		mode := Incremental
		if replaceDue() {
			mode = Replace
		}
		res, err := p.Pull(ctx, mode)
		if ctx.Err() != nil {
			return nil
		}
		p.logOutcome(mode, res, err)
		if err == nil && mode == Replace {
			lastReplace = time.Now()
		}
		wait := p.cfg.Interval
		if p.cfg.FullInterval > 0 && !lastReplace.IsZero() {
			if until := time.Until(lastReplace.Add(p.cfg.FullInterval)); until > 0 && until < wait {
				wait = until
			}
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
	}
}

// logOutcome logs a pull once: what happened and what accessd did.
func (p *Puller) logOutcome(mode Mode, res Result, err error) {
	switch {
	case err != nil:
		_, refused := problemsOf(err)
		what := "inventory pull failed; will try again at the next interval"
		if refused {
			what = "inventory pull refused, nothing applied; will try again at the next interval"
		}
		p.log.Warn(what, "mode", mode.String(), "err", err)
	case res.NotModified:
		p.log.Debug("inventory not modified since the last pull", "lastModified", res.LastModified)
	default:
		p.log.Info("inventory pulled and applied", "mode", res.Mode, "accesses", res.Accesses,
			"created", res.Summary.Created, "updated", res.Summary.Updated, "unchanged", res.Summary.Unchanged,
			"removed", res.Summary.Removed, "lastModified", res.LastModified)
	}
	if err == nil && res.Note != "" {
		p.log.Info("inventory pull: "+res.Note, "mode", res.Mode)
	}
	if len(res.Ignored) > 0 {
		p.log.Info("inventory pull: skipped unknown fields", "fields", res.Ignored)
	}
}
