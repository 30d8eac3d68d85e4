package atlas

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

// Each bounce is logged at debug; at info one summary a minute counts them.
func TestBounceLogSummarizesAMinute(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var buf bytes.Buffer
		start := time.Now()
		l := newBounceLog(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo})))
		for range 1000 {
			l.outcome(bounceOK, "ALS10001")
		}
		l.outcome(bounceNotFound, "")
		l.refusal("return_url not allowed", errors.New("x"))
		if buf.Len() != 0 {
			t.Fatalf("logged at info within the minute:\n%s", buf.String())
		}
		time.Sleep(bounceSummaryEvery)
		l.outcome(bounceError, "")
		got := buf.String()
		if strings.Count(got, "\n") != 1 || !strings.Contains(got, "ok=1000 not_found=1 error=1 refused=1 since="+start.UTC().Format(time.RFC3339)) {
			t.Errorf("summary: %q", got)
		}
		buf.Reset()
		l.outcome(bounceOK, "ALS10001")
		time.Sleep(bounceSummaryEvery)
		l.refusal("bad parameters", nil)
		if got := buf.String(); !strings.Contains(got, "ok=1 not_found=0 error=0 refused=1 since="+start.Add(bounceSummaryEvery).UTC().Format(time.RFC3339)) {
			t.Errorf("second summary: %q", got)
		}
	})
}
