package atlas

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"
)

// bounceSummaryEvery is how often the bounce outcomes are logged at info.
const bounceSummaryEvery = time.Minute

// bounceLog logs the bounce URL's outcomes: each one at debug, and at
// info one line a minute with how many of each there were. The bounce URL
// is public and asked for by every visitor's browser, thousands of times
// a second in a storm: a line per request at info cost the daemon a tenth
// of its time in formatting and writes (journald would drop most of them
// anyway, past its rate limit), and let anyone flood the journal.
type bounceLog struct {
	log *slog.Logger
	// epoch is when the log began, with its monotonic reading: every
	// bounce asks time.Since(epoch), which reads only the monotonic clock
	// (time.Now reads the wall clock too, ~0.04 µs a bounce).
	epoch time.Time
	next  atomic.Int64 // time since epoch of the next summary
	// outcomes since the last summary
	ok, notFound, failed, refused atomic.Int64
}

func newBounceLog(log *slog.Logger) *bounceLog {
	l := &bounceLog{log: log, epoch: time.Now()}
	l.next.Store(int64(bounceSummaryEvery))
	return l
}

// outcome records one bounce's outcome (bounceOK, bounceNotFound,
// bounceError) and logs it at debug.
func (l *bounceLog) outcome(status, access string) {
	switch status {
	case bounceOK:
		l.ok.Add(1)
	case bounceNotFound:
		l.notFound.Add(1)
	default:
		l.failed.Add(1)
	}
	// (Enabled first: the arguments would cost two allocations a bounce
	// even with debug off.)
	if l.log.Enabled(context.Background(), slog.LevelDebug) {
		l.log.Debug("atlas bounce", "status", status, "access_id", access)
	}
	l.summarize()
}

// refusal records a refused bounce (bad parameters, a return_url not
// allowed) and logs it at debug with why.
func (l *bounceLog) refusal(what string, err error) {
	l.refused.Add(1)
	l.log.Debug("atlas bounce refused", "reason", what, "err", err)
	l.summarize()
}

// summarize logs the counts at info once bounceSummaryEvery has passed
// since the last summary; one caller wins the turn.
func (l *bounceLog) summarize() {
	now := time.Since(l.epoch)
	next := l.next.Load()
	if int64(now) < next || !l.next.CompareAndSwap(next, int64(now+bounceSummaryEvery)) {
		return
	}
	ok, nf, failed, refused := l.ok.Swap(0), l.notFound.Swap(0), l.failed.Swap(0), l.refused.Swap(0)
	l.log.Info("atlas bounces since the last summary", "ok", ok, "not_found", nf, "error", failed, "refused", refused,
		"since", l.epoch.Add(time.Duration(next)-bounceSummaryEvery).UTC().Format(time.RFC3339))
}
